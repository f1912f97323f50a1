/**
 * Sends the node's transactions one at a time from its own signer, with locally tracked nonces (re-read from the
 * chain after any failure), a simulation (`staticCall`) before every send so contract refusals cost no gas, and
 * retries with exponential backoff for transport errors. Contract refusals are returned decoded, never retried here.
 */
import type { Contract, Signer, TransactionReceipt } from "ethers";
import { groupRevert } from "./groupContract";

export interface TxOptions {
  /** Attempts for transport failures (not for reverts). Default 5. */
  maxAttempts?: number;
  /** First backoff delay; doubles per attempt up to 5 s. Default 200 ms. */
  backoffMs?: number;
}

export type TxOutcome =
  | { ok: true; receipt: TransactionReceipt }
  | { ok: false; revert: { name: string; args: unknown[] } };

const MAX_BACKOFF_MS = 5_000;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Nonce races and transport failures are worth another attempt; anything else is not. */
function isRetryable(error: unknown): boolean {
  const code = (error as { code?: string })?.code;
  const text = String((error as { message?: string })?.message ?? error).toLowerCase();
  return (
    code === "NONCE_EXPIRED" ||
    code === "NETWORK_ERROR" ||
    code === "SERVER_ERROR" ||
    code === "TIMEOUT" ||
    text.includes("nonce too low") ||
    text.includes("nonce has already been used") ||
    text.includes("econnrefused") ||
    text.includes("socket hang up")
  );
}

export class TxSender {
  private chain: Promise<unknown> = Promise.resolve();
  private nextNonce: number | undefined;

  constructor(
    private readonly signer: Signer,
    private readonly options: TxOptions = {},
  ) {}

  /**
   * Simulates then sends `contract[method](...args)` and waits for its receipt. Serialised: one transaction of
   * this node in flight at a time, so nonces never collide.
   */
  send(contract: Contract, method: string, args: unknown[]): Promise<TxOutcome> {
    const run = this.chain.then(() => this.sendNow(contract, method, args));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async sendNow(contract: Contract, method: string, args: unknown[]): Promise<TxOutcome> {
    const maxAttempts = this.options.maxAttempts ?? 5;
    let delay = this.options.backoffMs ?? 200;
    const connected = contract.connect(this.signer) as Contract;
    for (let attempt = 1; ; attempt++) {
      try {
        await connected.getFunction(method).staticCall(...args);
      } catch (error) {
        const revert = groupRevert(error);
        if (revert !== undefined) return { ok: false, revert };
        if (attempt >= maxAttempts || !isRetryable(error)) throw error;
        await sleep(delay);
        delay = Math.min(delay * 2, MAX_BACKOFF_MS);
        continue;
      }
      let sent = false;
      try {
        if (this.nextNonce === undefined) this.nextNonce = await this.signer.getNonce("pending");
        const tx = await connected.getFunction(method).send(...args, { nonce: this.nextNonce });
        sent = true;
        this.nextNonce++;
        const receipt = await tx.wait();
        if (receipt === null) throw new Error(`transaction ${tx.hash} was dropped`);
        return { ok: true, receipt };
      } catch (error) {
        this.nextNonce = undefined; // re-read from the chain
        const revert = groupRevert(error);
        if (revert !== undefined) return { ok: false, revert };
        // Mined but reverted (the state moved between the simulation and the block): nothing was posted.
        const receipt = (error as { receipt?: { status?: number } }).receipt;
        if (sent && receipt?.status === 0) return { ok: false, revert: { name: "RevertedOnChain", args: [] } };
        // A transaction that was accepted but whose receipt failed is not sent again (no double posts).
        if (sent || attempt >= maxAttempts || !isRetryable(error)) throw error;
        await sleep(delay);
        delay = Math.min(delay * 2, MAX_BACKOFF_MS);
      }
    }
  }
}
