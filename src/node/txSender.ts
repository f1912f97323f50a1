/**
 * Sends the node's transactions one at a time from its own signer: a simulation (`eth_estimateGas`) before every
 * send so contract refusals cost no gas, locally tracked nonces, and every chain call through `ChainRpc` (timeouts,
 * backoff, the retry cap).
 *
 * A transaction is signed once, with its nonce, and only that signed transaction is ever (re-)broadcast for that
 * nonce: when the RPC fails between send and receipt the sender looks the transaction up by hash and by the
 * account's latest nonce, and re-broadcasts the same bytes only if it was dropped. So an outage can delay a post but
 * never duplicate it, and the nonce never sticks: a transaction still unresolved at the retry cap is kept and
 * settled (mined, or re-broadcast) before the next send.
 */
import { Transaction, type Contract, type Provider, type Signer, type TransactionReceipt, type TransactionRequest } from "ethers";
import { NodeError } from "./errors";
import { groupRevert } from "./groupContract";
import { silentLogger, type NodeLogger } from "./logger";
import { ChainRpc, sleep } from "./rpc";

export { sleep } from "./rpc";

export interface TxOptions {
  /** How often a sent transaction's receipt is polled. Default 100 ms. */
  receiptPollMs?: number;
  /** Re-broadcasts of a dropped transaction before the send fails. Default 5. */
  maxRebroadcasts?: number;
}

export type TxOutcome =
  | { ok: true; receipt: TransactionReceipt }
  | { ok: false; revert: { name: string; args: unknown[] } };

/**
 * The retry cap ended a send whose transaction was (maybe) broadcast: it is neither confirmed nor given up. The
 * sender settles it before its next transaction (`settlePending`); it is never replaced by another.
 */
export class TxUnresolvedError extends NodeError {
  constructor(
    readonly txHash: string | undefined,
    readonly nonce: number,
    cause: Error,
  ) {
    super("chain_unreachable", `${cause.message}; transaction ${txHash ?? "(hash unknown)"} (nonce ${nonce}) may be on chain: it is settled when the chain returns`, 503);
  }
}

/** A signed transaction whose fate is being found out. */
interface SentTx {
  nonce: number;
  /** Known up front when the signer signs locally (Wallet); else after the node's RPC accepted it. */
  hash: string | undefined;
  /** The signed bytes (local signers); re-broadcasting them can never create a second transaction. */
  raw: string | undefined;
  /** The populated request (signers that sign on the RPC side, e.g. Hardhat's in-process accounts). */
  request: TransactionRequest;
  /** The head before it was first sent: a hash-less transaction is searched for from here (0 when signed locally). */
  sentAtBlock: number;
}

type TxState = { kind: "mined"; receipt: TransactionReceipt } | { kind: "pending" } | { kind: "dropped" } | { kind: "replaced" };

export class TxSender {
  private chain: Promise<unknown> = Promise.resolve();
  private nextNonce: number | undefined;
  private unresolved: SentTx | undefined;
  private readonly signer: Signer;
  private readonly provider: Provider;
  private readonly rpc: ChainRpc;
  /** Whether the signer signs without its RPC (learnt at the first send). */
  private signsLocally: boolean | undefined;
  /** Called when a transaction left unresolved by an outage is settled (mined or reverted). */
  onSettled: ((nonce: number, receipt: TransactionReceipt) => void) | undefined;

  /** `rpc`: the node's RPC guard; default a guard of its own over the signer's provider. */
  constructor(
    signer: Signer,
    rpc?: ChainRpc,
    private readonly options: TxOptions = {},
    private readonly logger: NodeLogger = silentLogger,
  ) {
    if (signer.provider === null) throw new NodeError("invalid_options", "the signer must be connected to a provider");
    this.rpc = rpc ?? new ChainRpc(signer.provider, logger);
    this.provider = this.rpc.provider;
    // Every call the signer makes (fees, chain id) goes through the guarded provider.
    let connected: Signer;
    try {
      connected = signer.connect(this.rpc.provider);
    } catch {
      connected = signer; // signers bound to their RPC (JsonRpcSigner)
    }
    this.signer = connected;
  }

  /** True while a transaction from before an outage is still unresolved. */
  get hasUnresolved(): boolean {
    return this.unresolved !== undefined;
  }

  /**
   * Simulates then sends `contract[method](...args)` and waits for its receipt. Serialised: one transaction of
   * this node in flight at a time, so nonces never collide. `args` may be a function: it is called when the
   * transaction's turn comes, after those queued before it were mined (a checkpoint's tail must reach the chain's
   * head as it is then); what it throws is the send's error.
   */
  send(contract: Contract, method: string, args: unknown[] | (() => Promise<unknown[]>)): Promise<TxOutcome> {
    return this.serialised(() => this.sendNow(contract, method, args));
  }

  /** Settles a transaction the retry cap left unresolved (no-op without one). The poll loop calls this. */
  settlePending(): Promise<void> {
    if (this.unresolved === undefined) return Promise.resolve();
    return this.serialised(() => this.settleUnresolved());
  }

  private serialised<T>(task: () => Promise<T>): Promise<T> {
    const run = this.chain.then(task);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** The account that pays for (and, for `join`, is the operator of) the node's transactions. */
  async address(): Promise<string> {
    return this.signer.getAddress();
  }

  private async sendNow(contract: Contract, method: string, args: unknown[] | (() => Promise<unknown[]>)): Promise<TxOutcome> {
    await this.settleUnresolved();
    const from = await this.signer.getAddress();
    const resolved = typeof args === "function" ? await args() : args;
    const call = { ...(await contract.getFunction(method).populateTransaction(...resolved)), from };
    let gasLimit: bigint;
    try {
      gasLimit = await this.provider.estimateGas(call);
    } catch (error) {
      const revert = groupRevert(error);
      if (revert !== undefined) return { ok: false, revert };
      throw error;
    }
    this.nextNonce ??= await this.provider.getTransactionCount(from, "pending");
    const request: TransactionRequest = { ...call, nonce: this.nextNonce, gasLimit: (gasLimit * 6n) / 5n };
    const sent = await this.prepare(request);
    let receipt: TransactionReceipt;
    try {
      receipt = await this.deliver(sent, true);
    } catch (error) {
      if (error instanceof TxUnresolvedError) throw error;
      this.nextNonce = undefined; // refused for good: re-read the nonce
      const revert = groupRevert(error);
      if (revert !== undefined) return { ok: false, revert };
      throw error;
    }
    this.nextNonce = sent.nonce + 1;
    // Mined but reverted (the state moved between the simulation and the block): nothing was posted.
    if (receipt.status === 0) return { ok: false, revert: { name: "RevertedOnChain", args: [] } };
    return { ok: true, receipt };
  }

  /** Signs locally when the signer can (the hash is then known before anything is sent). */
  private async prepare(request: TransactionRequest): Promise<SentTx> {
    // Wrapped again for signers bound to their own provider (they could not be connected to the guarded one).
    const populated = await this.rpc.call("populateTransaction", () => this.signer.populateTransaction(request));
    if (this.signsLocally !== false) {
      try {
        const raw = await this.signer.signTransaction(populated);
        this.signsLocally = true;
        return { nonce: Number(request.nonce), hash: Transaction.from(raw).hash!, raw, request: populated, sentAtBlock: 0 };
      } catch (error) {
        if (this.signsLocally === true) throw error;
        // Hardhat's accounts, JsonRpcSigner (no eth_signTransaction): the RPC signs at send time.
        this.signsLocally = false;
      }
    }
    return { nonce: Number(request.nonce), hash: undefined, raw: undefined, request: populated, sentAtBlock: await this.provider.getBlockNumber() };
  }

  /**
   * Broadcasts `sent` (when `broadcastFirst`) and follows it until it is mined. A failed or unanswered broadcast
   * is never taken for "not sent": the chain is asked (by hash, by nonce) and only a dropped transaction is
   * re-broadcast, as the same signed bytes. The retry cap turns into TxUnresolvedError (kept for settlePending).
   */
  private async deliver(sent: SentTx, broadcastFirst: boolean): Promise<TransactionReceipt> {
    let broadcast = broadcastFirst;
    let rebroadcasts = 0;
    let refusal: unknown;
    try {
      for (;;) {
        if (broadcast) {
          broadcast = false;
          refusal = undefined;
          try {
            await this.broadcast(sent);
          } catch (error) {
            if (error instanceof NodeError && error.code === "chain_unreachable") throw error;
            refusal = error; // "nonce too low", "already known"...: maybe an earlier attempt got through
          }
        }
        const state = await this.inspect(sent);
        if (state.kind === "mined") {
          this.unresolved = undefined;
          return state.receipt;
        }
        if (state.kind === "replaced") {
          this.unresolved = undefined;
          throw new Error(`nonce ${sent.nonce} of ${String(sent.request.from)} was used by another transaction than ${sent.hash ?? "ours"}`);
        }
        if (state.kind === "dropped") {
          if (refusal !== undefined) throw refusal; // the RPC refused it and it is nowhere: a real refusal
          if (++rebroadcasts > (this.options.maxRebroadcasts ?? 5)) throw new Error(`transaction ${sent.hash ?? `nonce ${sent.nonce}`} was dropped ${rebroadcasts - 1} times`);
          this.logger.warn(`transaction ${sent.hash ?? ""} (nonce ${sent.nonce}) is not known to the chain; re-broadcasting the same signed transaction`);
          broadcast = true;
          continue;
        }
        await sleep(this.options.receiptPollMs ?? 100);
      }
    } catch (error) {
      if (error instanceof NodeError && error.code === "chain_unreachable") {
        this.unresolved = sent;
        throw new TxUnresolvedError(sent.hash, sent.nonce, error);
      }
      throw error;
    }
  }

  private async broadcast(sent: SentTx): Promise<void> {
    if (sent.raw !== undefined) {
      await this.provider.broadcastTransaction(sent.raw);
      return;
    }
    // The RPC signs: a retry sends the same request with the same nonce, so at most one of them is mined.
    sent.hash = (await this.rpc.call("sendTransaction", () => this.signer.sendTransaction(sent.request))).hash;
  }

  /** Where is `sent`? Mined (receipt), pending in the pool, dropped (its nonce is free), or replaced. */
  private async inspect(sent: SentTx): Promise<TxState> {
    if (sent.hash !== undefined) {
      const receipt = await this.provider.getTransactionReceipt(sent.hash);
      if (receipt !== null) return { kind: "mined", receipt };
    }
    const from = String(sent.request.from);
    const latest = await this.provider.getTransactionCount(from, "latest");
    if (latest > sent.nonce) {
      if (sent.hash !== undefined) {
        const receipt = await this.provider.getTransactionReceipt(sent.hash); // mined since the first look
        return receipt !== null ? { kind: "mined", receipt } : { kind: "replaced" };
      }
      const receipt = await this.findByNonce(from, sent.nonce, sent.sentAtBlock);
      return receipt !== undefined ? { kind: "mined", receipt } : { kind: "replaced" };
    }
    if (sent.hash !== undefined && (await this.provider.getTransaction(sent.hash)) !== null) return { kind: "pending" };
    return { kind: "dropped" };
  }

  /** The receipt of `from`'s transaction with `nonce`, searched from `fromBlock` (signers without local signing). */
  private async findByNonce(from: string, nonce: number, fromBlock: number): Promise<TransactionReceipt | undefined> {
    const head = await this.provider.getBlockNumber();
    for (let number = fromBlock; number <= head; number++) {
      const block = await this.provider.getBlock(number, true);
      const tx = block?.prefetchedTransactions.find((t) => t.from.toLowerCase() === from.toLowerCase() && t.nonce === nonce);
      if (tx !== undefined) return (await this.provider.getTransactionReceipt(tx.hash)) ?? undefined;
    }
    return undefined;
  }

  private async settleUnresolved(): Promise<void> {
    const sent = this.unresolved;
    if (sent === undefined) return;
    let receipt: TransactionReceipt;
    try {
      receipt = await this.deliver(sent, false);
    } catch (error) {
      if (error instanceof TxUnresolvedError) throw error;
      this.unresolved = undefined;
      this.nextNonce = undefined;
      this.logger.warn(`transaction ${sent.hash ?? ""} (nonce ${sent.nonce}) from before the outage could not be settled: ${(error as Error).message}`);
      return;
    }
    this.nextNonce = sent.nonce + 1;
    this.logger.info(`transaction ${receipt.hash} (nonce ${sent.nonce}) from before the outage settled: ${receipt.status === 1 ? "mined" : "reverted"} in block ${receipt.blockNumber}`);
    this.onSettled?.(sent.nonce, receipt);
  }
}
