/**
 * `AnonifyClient`: one user (an ethers signer) talking to one TEE node of one AnonifyGroup. Before anything is
 * encrypted the node's enclave is checked against the group's roster on chain (see trust.ts); commands are
 * EIP-712 signed and HPKE-sealed to that enclave, reads come back sealed to a fresh key of this client.
 */
import { getAddress, isAddress, type Provider, type Signer, type TypedDataDomain } from "ethers";
import {
  AnonifyClientError,
  ClientArgumentError,
  ClientTimeoutError,
  CommandFailedError,
  CommandRefusedError,
  CommandRejectedError,
  NodeRequestError,
  RateLimitedError,
  ReadRefusedError,
} from "./errors";
import { DEFAULT_REQUEST_TIMEOUT_MS, NodeHttpClient } from "./http";
import { checkCheckpointAgreement, checkEnclaveTrust, checkJoinReportData, type TrustedEnclave } from "./trust";
import {
  groupDomain,
  lowerHex,
  openNotification,
  openReadReply,
  sealCommand,
  sealRead,
  sealSubscription,
  type AmountLike,
  type CommandStatus,
  type Hex,
  type NodeHealth,
  type Notification,
  type NotificationEventData,
  type ReadResponse,
  type SubmitCommandResponse,
  type TokenCommand,
  type TokenInfo,
  type TokenQuery,
} from "./wire";

/** Submissions of one command when the node's nonce moved between the client's read and the submission. */
const NONCE_RACE_ATTEMPTS = 3;

export interface AnonifyClientOptions {
  /** Base URL of the TEE node, e.g. http://127.0.0.1:8545 . */
  nodeUrl: string;
  /** The user's key; any ethers v6 signer with signTypedData. */
  signer: Signer;
  /** AnonifyGroup address. */
  group: string;
  /** Chain access for the roster check; default the signer's provider. */
  provider?: Provider;
  /** Interval of GET /commands/:id polls in `wait()`. Default 250 ms. */
  pollIntervalMs?: number;
  /** Default limit of `wait()`. Default 120 s. */
  waitTimeoutMs?: number;
  /** Timeout of each HTTP request. */
  requestTimeoutMs?: number;
  /**
   * Before a read is trusted, the node enclave's latest checkpoint is compared with the other active enclaves'
   * checkpoints at the same counter (a different hash is refused: `checkpoint_divergence`). This many other
   * enclaves must have checkpointed the same state (`checkpoint_quorum` otherwise). Default 0: none required,
   * none may differ.
   */
  checkpointQuorum?: number;
}

/** The final, successful state of a command. */
export interface CommandOutcome {
  id: Hex;
  /** "settled": the log used the command's nonce before the node restarted; its outcome was not recorded. */
  status: "applied" | "settled";
  /** 0 when the node does not know it (settled). */
  stateCounter: bigint;
  txHash?: Hex;
}

/** A command accepted by the node (202); `wait()` follows it to the log. */
export class CommandSubmission {
  constructor(
    private readonly client: AnonifyClient,
    readonly id: Hex,
    readonly command: TokenCommand,
    readonly sender: Hex,
    readonly nonce: bigint,
  ) {}

  status(): Promise<CommandStatus> {
    return this.client.commandStatus(this.id);
  }

  /**
   * Polls until the command is applied (resolves) or rejected (`CommandRejectedError` with the enclave's reason)
   * or failed (`CommandFailedError`); `ClientTimeoutError` after `timeoutMs`.
   */
  async wait(options: { timeoutMs?: number } = {}): Promise<CommandOutcome> {
    const deadline = Date.now() + (options.timeoutMs ?? this.client.waitTimeoutMs);
    for (;;) {
      const status = await this.status();
      switch (status.status) {
        case "applied":
        case "settled":
          return { id: this.id, status: status.status, stateCounter: BigInt(status.stateCounter ?? "0"), txHash: status.txHash };
        case "rejected":
          throw new CommandRejectedError(this.id, status.reason ?? "unspecified", status.stateCounter === undefined ? undefined : BigInt(status.stateCounter));
        case "failed":
          this.client.forgetNonce();
          throw new CommandFailedError(this.id, status.reason ?? "unspecified");
        default:
          break;
      }
      if (Date.now() >= deadline) throw new ClientTimeoutError(`command ${this.id} still ${status.status} after the wait limit`);
      await sleep(this.client.pollIntervalMs);
    }
  }
}

/** An open notification stream; close it when done. */
export class NotificationSubscription {
  private readonly received: Notification[] = [];
  private readonly waiters: Array<() => void> = [];
  private closedWith: Error | undefined;
  private closed = false;

  constructor(private close_: () => void) {}

  /** @internal */
  push(notification: Notification): void {
    this.received.push(notification);
    this.waiters.splice(0).forEach((wake) => wake());
  }

  /** @internal */
  end(error?: Error): void {
    this.closed = true;
    this.closedWith = error;
    this.waiters.splice(0).forEach((wake) => wake());
  }

  /** Every notification received so far, in order. */
  get notifications(): readonly Notification[] {
    return this.received;
  }

  /** Resolves with the first notification (received so far or later) that satisfies `predicate`. */
  async waitFor(predicate: (n: Notification) => boolean, timeoutMs = 60_000): Promise<Notification> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.find(predicate);
      if (found) return found;
      if (this.closed) throw this.closedWith ?? new AnonifyClientError("stream_closed", "the notification stream ended");
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new ClientTimeoutError("no matching notification before the limit");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    if (!this.closed) this.close_();
    this.end();
  }
}

/**
 * `issuedAt` for a read or subscription: now, or the latest block's time when the chain is ahead of this machine's
 * clock (the enclave judges issuedAt against the newest block time it applied, enclave/PROTOCOL.md "User messages").
 */
export async function chainIssuedAt(provider: Provider): Promise<bigint> {
  const now = BigInt(Math.floor(Date.now() / 1000));
  const latest = await provider.getBlock("latest");
  return latest !== null && BigInt(latest.timestamp) > now ? BigInt(latest.timestamp) : now;
}

export class AnonifyClient {
  readonly node: NodeHttpClient;
  readonly signer: Signer;
  readonly group: Hex;
  readonly provider: Provider;
  readonly pollIntervalMs: number;
  readonly waitTimeoutMs: number;
  readonly checkpointQuorum: number;
  private domainCache: TypedDataDomain | undefined;
  private senderCache: Hex | undefined;
  /** Next nonce to use, or undefined when it must be read from the enclave. */
  private nextNonce: bigint | undefined;
  private readonly pendingIds = new Set<Hex>();
  private readonly reportDataChecked = new Set<string>();

  constructor(options: AnonifyClientOptions) {
    if (!isAddress(options.group)) throw new ClientArgumentError(`group is not an address: ${String(options.group)}`);
    const provider = options.provider ?? options.signer.provider;
    if (!provider) throw new ClientArgumentError("the signer has no provider; pass `provider` to check enclaves against the chain");
    this.node = new NodeHttpClient(options.nodeUrl, options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
    this.signer = options.signer;
    this.group = lowerHex(getAddress(options.group));
    this.provider = provider;
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.waitTimeoutMs = options.waitTimeoutMs ?? 120_000;
    const quorum = options.checkpointQuorum ?? 0;
    if (!Number.isInteger(quorum) || quorum < 0) throw new ClientArgumentError(`checkpointQuorum must be a non-negative integer, got ${quorum}`);
    this.checkpointQuorum = quorum;
  }

  /** The user's address (lower-case hex). */
  async address(): Promise<Hex> {
    this.senderCache ??= lowerHex(await this.signer.getAddress());
    return this.senderCache;
  }

  /** The group's EIP-712 domain (chain id read once from the provider). */
  async domain(): Promise<TypedDataDomain> {
    if (!this.domainCache) {
      const { chainId } = await this.provider.getNetwork();
      this.domainCache = groupDomain(chainId, this.group);
    }
    return this.domainCache;
  }

  /**
   * `issuedAt` of reads and subscriptions: now, or the latest block's time when the chain is ahead of this machine's
   * clock (the enclave judges issuedAt against the newest block time it applied, PROTOCOL.md "User messages").
   */
  private issuedAt(): Promise<bigint> {
    return chainIssuedAt(this.provider);
  }

  /** The node's health report; a degraded or down node's report too (it answers HTTP 503 with it). */
  health(): Promise<NodeHealth> {
    return this.node.health<NodeHealth>();
  }

  /**
   * Fetches the node's enclave and checks it against the roster (registered, active, HPKE/MLS keys and MRENCLAVE
   * equal to the attested ones, MRENCLAVE still allowed) and, once per enclave, against the REPORTDATA of its join
   * report on chain. Throws `EnclaveNotTrustedError`. Called before every seal, so a revoked enclave is refused at
   * once.
   */
  async verifyEnclave(): Promise<TrustedEnclave> {
    const info = await this.node.get<unknown>("/enclave");
    const trusted = await checkEnclaveTrust(this.provider, this.group, info);
    // The join's REPORTDATA never changes: read it from the chain once per enclave and keys.
    const key = `${trusted.address}:${trusted.hpkePublicKey}:${trusted.mlsSignatureKey}`;
    if (!this.reportDataChecked.has(key)) {
      await checkJoinReportData(this.provider, trusted);
      this.reportDataChecked.add(key);
    }
    return trusted;
  }

  // ------------------------------------------------------------------------------------------ commands

  init(name: string, symbol: string, initialSupply: AmountLike): Promise<CommandSubmission> {
    return this.submit({ op: "init", name, symbol, initialSupply });
  }
  transfer(to: string, amount: AmountLike): Promise<CommandSubmission> {
    return this.submit({ op: "transfer", to, amount });
  }
  approve(spender: string, amount: AmountLike): Promise<CommandSubmission> {
    return this.submit({ op: "approve", spender, amount });
  }
  transferFrom(from: string, to: string, amount: AmountLike): Promise<CommandSubmission> {
    return this.submit({ op: "transferFrom", from, to, amount });
  }
  mint(to: string, amount: AmountLike): Promise<CommandSubmission> {
    return this.submit({ op: "mint", to, amount });
  }
  burn(amount: AmountLike): Promise<CommandSubmission> {
    return this.submit({ op: "burn", amount });
  }

  /**
   * Seals and submits one command with the next nonce. The nonce is read from the enclave once, then tracked
   * locally; commands still pending are waited for first (the enclave accepts only the next nonce of its applied
   * state). After a submission error or a failed command the next command re-reads the nonce, except after
   * `CommandRefusedError` (the enclave's dry run refused it before posting) and `RateLimitedError`: nothing was
   * accepted, so the same nonce stays the next one.
   */
  async submit(command: TokenCommand): Promise<CommandSubmission> {
    const enclave = await this.verifyEnclave();
    // The enclave checks a command's nonce against its applied state, so this user's earlier commands must be in
    // the log (applied or rejected) before the next one is sealed.
    await this.settlePending();
    const domain = await this.domain();
    for (let attempt = 1; ; attempt++) {
      const nonce = this.nextNonce ?? (await this.nonce());
      const sealed = await sealCommand({ enclaveHpkeKey: enclave.hpkePublicKey, signer: this.signer, domain, nonce, payload: command });
      let response: SubmitCommandResponse;
      try {
        response = await this.node.post<SubmitCommandResponse>("/commands", { payload: sealed.payload });
      } catch (error) {
        // Refused before anything was accepted (the enclave's dry run, or the node's rate limit): the nonce is still
        // the sender's next, so it is kept for the corrected command or the retry.
        if (error instanceof NodeRequestError && error.code === "command_refused") {
          this.nextNonce = nonce;
          throw new CommandRefusedError(error.nodeMessage, nonce);
        }
        if (error instanceof RateLimitedError) {
          this.nextNonce = nonce;
          throw error;
        }
        this.forgetNonce();
        // The node applied this user's previous command (sent through another node) between the nonce read and the
        // submission: nothing was accepted, so seal the command again with the nonce the enclave now has.
        if (error instanceof NodeRequestError && error.code === "nonce_mismatch" && attempt < NONCE_RACE_ATTEMPTS) {
          const current = await this.nonce();
          if (current > nonce) {
            this.nextNonce = current;
            continue;
          }
        }
        throw error;
      }
      this.nextNonce = nonce + 1n;
      this.pendingIds.add(response.id);
      return new CommandSubmission(this, response.id, command, sealed.envelope.sender, nonce);
    }
  }

  async commandStatus(id: string): Promise<CommandStatus> {
    const status = await this.node.get<CommandStatus>(`/commands/${encodeURIComponent(id)}`);
    if (status.status !== "queued" && status.status !== "posted") this.pendingIds.delete(id as Hex);
    return status;
  }

  /** Waits until every command submitted through this client is applied, rejected, failed or settled. */
  async settlePending(timeoutMs = this.waitTimeoutMs): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.pendingIds.size > 0) {
      for (const id of [...this.pendingIds]) {
        const status = await this.commandStatus(id);
        if (status.status === "failed") this.forgetNonce();
      }
      if (this.pendingIds.size === 0) return;
      if (Date.now() >= deadline) throw new ClientTimeoutError(`commands ${[...this.pendingIds].join(", ")} are still pending`);
      await sleep(this.pollIntervalMs);
    }
  }

  /** Commands submitted through this client and not yet seen applied/rejected/failed. */
  get pending(): readonly Hex[] {
    return [...this.pendingIds];
  }

  /** Drops the locally tracked nonce; the next command reads it from the enclave. */
  forgetNonce(): void {
    this.nextNonce = undefined;
  }

  // ------------------------------------------------------------------------------------------ reads

  /** Sends one signed query; returns the result or throws `ReadRefusedError` with the enclave's code. */
  async read<R = unknown>(query: TokenQuery): Promise<{ result: R; stateCounter: bigint }> {
    const enclave = await this.verifyEnclave();
    // The host orders the log; a reordered or forked log shows as a checkpoint other enclaves do not share.
    await checkCheckpointAgreement(this.provider, enclave, { quorum: this.checkpointQuorum });
    const sealed = await sealRead({ enclaveHpkeKey: enclave.hpkePublicKey, signer: this.signer, domain: await this.domain(), query, issuedAt: await this.issuedAt() });
    const response = await this.node.post<ReadResponse>("/reads", { payload: sealed.payload });
    const reply = await openReadReply<R>(sealed.replyKeyPair, response.reply);
    if (!reply.ok) throw new ReadRefusedError(reply.error.code, reply.error.message);
    return { result: reply.result, stateCounter: reply.stateCounter };
  }

  /** Balance of `account` (default: this user; the enclave answers only the account's own signer). */
  async balanceOf(account?: string): Promise<bigint> {
    return decimal((await this.read<string>({ op: "balanceOf", account: account ?? (await this.address()) })).result, "balance");
  }
  async allowance(owner: string, spender: string): Promise<bigint> {
    return decimal((await this.read<string>({ op: "allowance", owner, spender })).result, "allowance");
  }
  async totalSupply(): Promise<bigint> {
    return decimal((await this.read<string>({ op: "totalSupply" })).result, "totalSupply");
  }
  async tokenInfo(): Promise<TokenInfo> {
    return (await this.read<TokenInfo>({ op: "tokenInfo" })).result;
  }
  /** The next command nonce of this user according to the enclave's applied state. */
  async nonce(): Promise<bigint> {
    return decimal((await this.read<string>({ op: "nonce", account: await this.address() })).result, "nonce");
  }

  // ------------------------------------------------------------------------------------------ notifications

  /**
   * Subscribes this user to notifications: one per applied log entry, `changed` when this user's state moved.
   * `onNotification` is optional; the returned subscription also buffers them (`waitFor`).
   */
  async subscribe(onNotification?: (n: Notification) => void, onError?: (e: Error) => void): Promise<NotificationSubscription> {
    const enclave = await this.verifyEnclave();
    const sealed = await sealSubscription({ enclaveHpkeKey: enclave.hpkePublicKey, signer: this.signer, domain: await this.domain(), issuedAt: await this.issuedAt() });
    let subscription: NotificationSubscription | undefined;
    const early: Array<() => void> = [];
    const stream = await this.node.openEventStream(
      `/notifications?payload=${sealed.payload}`,
      (event, data) => {
        if (event !== "notification") return;
        const handle = () => {
          let payload: Hex;
          try {
            payload = (JSON.parse(data) as NotificationEventData).payload;
          } catch {
            onError?.(new AnonifyClientError("bad_response", `undecodable notification event: ${data.slice(0, 80)}`));
            return;
          }
          openNotification(sealed.replyKeyPair, payload).then(
            (n) => {
              subscription!.push(n);
              onNotification?.(n);
            },
            (e: Error) => onError?.(e),
          );
        };
        if (subscription) handle();
        else early.push(handle);
      },
      (error) => {
        subscription?.end(error);
        if (error) onError?.(error);
      },
    );
    subscription = new NotificationSubscription(() => stream.close());
    early.forEach((handle) => handle());
    return subscription;
  }
}

function decimal(value: unknown, what: string): bigint {
  if (typeof value !== "string" || !/^[0-9]+$/.test(value)) {
    throw new AnonifyClientError("bad_response", `the enclave answered a ${what} that is not a decimal string: ${JSON.stringify(value)}`);
  }
  return BigInt(value);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
