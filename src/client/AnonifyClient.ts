/**
 * `RuntimeClient<R>`: one user (an ethers signer) talking to one TEE node of one AnonifyGroup, whatever runtime the
 * group runs, typed by the runtime's `RuntimeTypes` (wire.ts). Before anything is encrypted the node's enclave is
 * checked against the group's roster on chain (see trust.ts); commands are EIP-712 signed and HPKE-sealed to that
 * enclave, reads come back sealed to a fresh key of this client. `AnonifyClient` is the token's typed layer on top.
 */
import { Contract, getAddress, isAddress, type Provider, type Signer, type TypedDataDomain } from "ethers";
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
  RuntimeMismatchError,
  StaleReadError,
} from "./errors";
import { DEFAULT_REQUEST_TIMEOUT_MS, NodeHttpClient } from "./http";
import { CLIENT_GROUP_ABI, checkCheckpointAgreement, checkEnclaveTrust, checkJoinReportData, type TrustedEnclave } from "./trust";
import {
  TOKEN_CODEC,
  checkPayloadSize,
  encodeRuntimeQuery,
  jsonRuntimeCodec,
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
  type QueryOp,
  type QueryResult,
  type RuntimeCodec,
  type RuntimeQuery,
  type RuntimeTypes,
  type TokenRuntimeTypes,
  type UntypedRuntime,
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
  /**
   * Freshness of reads: how many log entries the node's answer may lag behind the group's log on chain, counted
   * against the chain's counter read (by this client, from the contract) just before the read is sent. Default 0:
   * the answer reflects every entry the chain held when the read was sent (entries appended meanwhile do not count).
   */
  maxReadLag?: number | bigint;
  /** What a read that lags more than `maxReadLag` does: "refuse" (`StaleReadError`, default) or "wait". */
  readLagPolicy?: ReadLagPolicy;
  /** With readLagPolicy "wait": how long the read is re-sent until the node caught up. Default 30 s. */
  readWaitTimeoutMs?: number;
  /**
   * Other nodes of the group asked about a command's outcome together with this client's node (`settle`, and every
   * poll of `CommandSubmission.wait`), so a command settles when this client's node is unreachable, does not know it,
   * is wedged or says it failed. Their answers are those hosts' word (docs/client.md "Settling a command").
   */
  fallbackNodes?: readonly string[];
}

/** `RuntimeClient`'s options: the connection options of every client, and how the runtime's messages are encoded. */
export interface RuntimeClientOptions<R extends RuntimeTypes = UntypedRuntime> extends AnonifyClientOptions {
  /**
   * How commands and queries become the exact JSON bytes that are signed (no canonicalization happens anywhere
   * else). Default `jsonRuntimeCodec()`: `op` first, the other members in the object's order, bigints as decimal
   * strings. Give a codec when the runtime wants one spelling of a value (e.g. lower-case addresses).
   */
  codec?: RuntimeCodec<R>;
}

export type ReadLagPolicy = "refuse" | "wait";

/** Per-read freshness options (default: the client's). */
export interface ReadOptions {
  maxLag?: number | bigint;
  policy?: ReadLagPolicy;
  waitTimeoutMs?: number;
}

/** A read's answer with the counters it was checked against. */
export interface FreshRead<T> {
  value: T;
  /** The log position the enclave's answer reflects (from inside the sealed reply). */
  stateCounter: bigint;
  /** The group's log counter on chain, read by the client just before the (last) read was sent. */
  chainCounter: bigint;
  /** chainCounter - stateCounter (0 when the node is at or ahead of it). */
  lag: bigint;
}

/** One node's answer in `settle`. */
export interface NodeCommandAnswer {
  node: string;
  status?: CommandStatus;
  /** Why the node gave no usable answer (unreachable, unknown_command, a counter the chain does not have, …). */
  error?: string;
}

/** What the nodes asked know about a command (`AnonifyClient.settle`). */
export interface CommandSettlement {
  id: Hex;
  /**
   * The most final answer of any node: applied/rejected (a node applied the command's entry) > settled > posted >
   * queued > failed; "unknown" when no node knows the command.
   */
  status: CommandStatus["status"] | "unknown";
  stateCounter?: bigint;
  reason?: string;
  txHash?: Hex;
  /** The node whose answer `status` is. */
  node?: string;
  answers: NodeCommandAnswer[];
}

/** The final, successful state of a command. */
export interface CommandOutcome {
  id: Hex;
  /** "settled": the log used the command's nonce before the node restarted; its outcome was not recorded. */
  status: "applied" | "settled";
  /** 0 when the node does not know it (settled). */
  stateCounter: bigint;
  txHash?: Hex;
  /** The node whose answer settled it (the client's own node, or a fallback node). */
  node?: string;
}

/** What a `CommandSubmission` asks its client (any runtime's). */
interface CommandTracker {
  readonly waitTimeoutMs: number;
  readonly pollIntervalMs: number;
  commandStatus(id: string): Promise<CommandStatus>;
  settle(id: string): Promise<CommandSettlement>;
  noteSettled(id: Hex): void;
  nonceUsed(nonce: bigint): Promise<boolean | undefined>;
  forgetNonce(): void;
}

/** A command accepted by the node (202); `wait()` follows it to the log. `C`: the runtime's command type. */
export class CommandSubmission<C extends { op: string } = TokenCommand> {
  constructor(
    private readonly client: CommandTracker,
    readonly id: Hex,
    readonly command: C,
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
      // The client's node and its fallback nodes: a command one node applied is applied, whatever the others say.
      const settlement = await this.client.settle(this.id);
      switch (settlement.status) {
        case "applied":
        case "settled":
          this.client.noteSettled(this.id);
          return { id: this.id, status: settlement.status, stateCounter: settlement.stateCounter ?? 0n, txHash: settlement.txHash, node: settlement.node };
        case "rejected":
          this.client.noteSettled(this.id);
          throw new CommandRejectedError(this.id, settlement.reason ?? "unspecified", settlement.stateCounter);
        case "failed": {
          // "failed" is the node's word that it gave up before the log; it is believed only when a fresh read of
          // the user's nonce (through a trusted enclave) shows the command's nonce unused.
          const used = await this.client.nonceUsed(this.nonce);
          if (used === false) {
            this.client.noteSettled(this.id);
            this.client.forgetNonce();
            throw new CommandFailedError(this.id, settlement.reason ?? "unspecified");
          }
          break;
        }
        default:
          break;
      }
      if (Date.now() >= deadline) {
        const said = settlement.answers.map((a) => `${a.node}: ${a.status?.status ?? a.error}`).join("; ");
        throw new ClientTimeoutError(`command ${this.id} still ${settlement.status} after the wait limit (${said})`);
      }
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

/**
 * A client of any runtime: `send` its commands, `query` / `readQuery` its state, `subscribe` to notifications.
 * `R` describes the runtime (`RuntimeTypes`); without it every command and query with an `op` string is accepted and
 * results are `unknown`. The token's client, `AnonifyClient`, extends it with the token's methods.
 *
 * ```ts
 * const auction = new RuntimeClient<AuctionRuntime>({ nodeUrl, signer, group });
 * const bid = await auction.send({ op: "bid", auction: "7", amount: 120n });   // only AuctionRuntime's commands
 * await bid.wait();
 * const mine = await auction.query({ op: "myBid", auction: "7" });             // typed: string | null
 * ```
 */
export class RuntimeClient<R extends RuntimeTypes = UntypedRuntime> {
  readonly node: NodeHttpClient;
  readonly signer: Signer;
  readonly group: Hex;
  readonly provider: Provider;
  readonly pollIntervalMs: number;
  readonly waitTimeoutMs: number;
  readonly checkpointQuorum: number;
  readonly maxReadLag: bigint;
  readonly readLagPolicy: ReadLagPolicy;
  readonly readWaitTimeoutMs: number;
  /** Nodes asked about commands besides `node` (option `fallbackNodes`). */
  readonly fallbackNodes: NodeHttpClient[];
  private readonly requestTimeoutMs: number;
  private groupView: Contract | undefined;
  private domainCache: TypedDataDomain | undefined;
  private runtimeCache: string | undefined;
  private senderCache: Hex | undefined;
  /** Next nonce to use, or undefined when it must be read from the enclave. */
  private nextNonce: bigint | undefined;
  private readonly pendingIds = new Set<Hex>();
  private readonly reportDataChecked = new Set<string>();
  /** How this client's commands and queries become the signed JSON bytes (option `codec`). */
  readonly codec: RuntimeCodec<R>;

  constructor(options: RuntimeClientOptions<R>) {
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
    this.maxReadLag = checkMaxLag(options.maxReadLag ?? 0);
    this.readLagPolicy = checkPolicy(options.readLagPolicy ?? "refuse");
    this.readWaitTimeoutMs = options.readWaitTimeoutMs ?? 30_000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.fallbackNodes = (options.fallbackNodes ?? []).map((url) => new NodeHttpClient(url, this.requestTimeoutMs));
    this.codec = options.codec ?? jsonRuntimeCodec<R>();
  }

  /** The group's log counter on chain (entries logged so far), read through the client's provider. */
  async chainStateCounter(): Promise<bigint> {
    this.groupView ??= new Contract(this.group, CLIENT_GROUP_ABI, this.provider);
    return BigInt(await this.groupView.stateCounter());
  }

  /** The runtime the group contract names (`AnonifyGroup.runtime()`, fixed at deployment: read once). */
  async groupRuntime(): Promise<string> {
    this.groupView ??= new Contract(this.group, CLIENT_GROUP_ABI, this.provider);
    this.runtimeCache ??= String(await this.groupView.runtime());
    return this.runtimeCache;
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
  async verifyEnclave(node: NodeHttpClient = this.node): Promise<TrustedEnclave> {
    const info = await node.get<unknown>("/enclave");
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

  /**
   * Seals and submits one of the runtime's commands with the next nonce; `wait()` on the result follows it to the
   * log. The command is encoded first (the client's codec; `WireFormatError` for what it refuses, before anything
   * is signed or sent). The nonce is read from the enclave once, then tracked locally; commands still pending are
   * waited for first (the enclave accepts only the next nonce of its applied state). After a submission error or a
   * failed command the next command re-reads the nonce, except after `CommandRefusedError` (the enclave's dry run
   * refused it before posting) and `RateLimitedError`: nothing was accepted, so the same nonce stays the next one.
   */
  async send(command: R["command"]): Promise<CommandSubmission<R["command"]>> {
    const payload = checkPayloadSize(this.codec.encodeCommand(command), "command");
    const enclave = await this.verifyEnclave();
    // The enclave checks a command's nonce against its applied state, so this user's earlier commands must be in
    // the log (applied or rejected) before the next one is sealed.
    await this.settlePending();
    const domain = await this.domain();
    for (let attempt = 1; ; attempt++) {
      // The enclave checks the nonce against its own applied state, so its answer is the one to seal with, fresh or not.
      const nonce = this.nextNonce ?? (await this.nonce({ maxLag: UNBOUNDED_LAG }));
      const sealed = await sealCommand({ enclaveHpkeKey: enclave.hpkePublicKey, signer: this.signer, domain, nonce, payload });
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
          const current = await this.nonce({ maxLag: UNBOUNDED_LAG });
          if (current > nonce) {
            this.nextNonce = current;
            continue;
          }
        }
        throw error;
      }
      this.nextNonce = nonce + 1n;
      this.pendingIds.add(response.id);
      return new CommandSubmission<R["command"]>(this, response.id, command, sealed.envelope.sender, nonce);
    }
  }

  /** The client's node's answer about a command (`GET /commands/:id`). */
  async commandStatus(id: string): Promise<CommandStatus> {
    const status = await this.node.get<CommandStatus>(`/commands/${encodeURIComponent(id)}`);
    if (status.status !== "queued" && status.status !== "posted") this.pendingIds.delete(id as Hex);
    return status;
  }

  /**
   * Asks the client's node, its fallback nodes and `options.nodes` about a command and returns the most final
   * answer (applied/rejected > settled > posted > queued > failed > unknown) with every node's answer. An answer
   * naming a log position the group's log on chain does not have yet is discarded. What a node says about a
   * command is its host's word, not the enclave's (docs/client.md "Settling a command").
   */
  async settle(id: string, options: { nodes?: readonly string[] } = {}): Promise<CommandSettlement> {
    const key = id.toLowerCase() as Hex;
    const nodes = [this.node, ...this.fallbackNodes, ...(options.nodes ?? []).map((url) => new NodeHttpClient(url, this.requestTimeoutMs))];
    const seen = new Set<string>();
    const unique = nodes.filter((n) => (seen.has(n.baseUrl.href) ? false : (seen.add(n.baseUrl.href), true)));
    let chainCounter: bigint | undefined;
    const answers = await Promise.all(
      unique.map(async (node): Promise<NodeCommandAnswer> => {
        const url = node.baseUrl.origin;
        let status: CommandStatus;
        try {
          status = await node.get<CommandStatus>(`/commands/${encodeURIComponent(key)}`);
        } catch (error) {
          return { node: url, error: error instanceof NodeRequestError ? error.code : (error as Error).message };
        }
        if (typeof status?.status !== "string" || !STATUS_RANK.has(status.status)) return { node: url, error: "bad_response" };
        if (status.stateCounter !== undefined && (status.status === "applied" || status.status === "rejected")) {
          chainCounter ??= await this.chainStateCounter();
          if (!/^[0-9]+$/.test(status.stateCounter) || BigInt(status.stateCounter) > chainCounter) {
            return { node: url, error: `claims log position ${status.stateCounter}, the chain's log has ${chainCounter} entries` };
          }
        }
        return { node: url, status };
      }),
    );
    let best: NodeCommandAnswer | undefined;
    for (const answer of answers) {
      if (answer.status === undefined) continue;
      if (best === undefined || STATUS_RANK.get(answer.status.status)! > STATUS_RANK.get(best.status!.status)!) best = answer;
    }
    if (best === undefined) return { id: key, status: "unknown", answers };
    const s = best.status!;
    if (s.status !== "queued" && s.status !== "posted") this.pendingIds.delete(key);
    // The node that posted the command knows its transaction; the one that answers from its log index does not.
    const txHash = s.txHash ?? answers.find((a) => a.status?.txHash !== undefined)?.status?.txHash;
    return {
      id: key,
      status: s.status,
      ...(s.stateCounter !== undefined ? { stateCounter: BigInt(s.stateCounter) } : {}),
      ...(s.reason !== undefined ? { reason: s.reason } : {}),
      ...(txHash !== undefined ? { txHash } : {}),
      node: best.node,
      answers,
    };
  }

  /** @internal A command reached a final state. */
  noteSettled(id: Hex): void {
    this.pendingIds.delete(id.toLowerCase() as Hex);
  }

  /**
   * Whether the log used this user's `nonce`, from a fresh read (lag 0) through the client's node or else a fallback
   * node, each enclave checked against the roster first: true (used: a command with it reached the log), false
   * (unused as of the chain's counter), undefined (no node could answer fresh).
   */
  async nonceUsed(nonce: bigint): Promise<boolean | undefined> {
    for (const node of [this.node, ...this.fallbackNodes]) {
      try {
        const read = await this.readVia<string>(node, await this.nonceQuery(), { maxLag: 0, policy: "refuse" });
        return decimal(read.value, "nonce") > nonce;
      } catch {
        continue;
      }
    }
    return undefined;
  }

  /** Waits until every command submitted through this client is applied, rejected, failed or settled. */
  async settlePending(timeoutMs = this.waitTimeoutMs): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.pendingIds.size > 0) {
      for (const id of [...this.pendingIds]) {
        const status = await this.settle(id);
        // No node answers for it: the client's node's own error (unreachable, unknown_command), as before.
        if (status.status === "unknown") await this.commandStatus(id);
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

  /**
   * Sends one of the runtime's queries, signed, and returns the enclave's answer (typed by the runtime's
   * `RuntimeTypes`), checked for freshness like every read: see `readQuery`.
   */
  async query<K extends QueryOp<R>>(query: RuntimeQuery<R, K>, options: ReadOptions = {}): Promise<QueryResult<R, K>> {
    return (await this.readQuery(query, options)).value;
  }

  /**
   * `query` with the counters the answer was checked against: `{value, stateCounter, chainCounter, lag}`. The query
   * is encoded first (the client's codec; `WireFormatError` before anything is signed). Throws `ReadRefusedError`
   * with the enclave's code (the runtime refused it: `not_authorized`, `malformed_query`, …), or `StaleReadError`
   * when the answer lags more than `maxReadLag` (policy "refuse"), or did not catch up within `readWaitTimeoutMs`
   * (policy "wait": the read is sent again meanwhile); `options` override the client's freshness settings.
   */
  async readQuery<K extends QueryOp<R>>(query: RuntimeQuery<R, K>, options: ReadOptions = {}): Promise<FreshRead<QueryResult<R, K>>> {
    const bytes = checkPayloadSize(this.codec.encodeQuery(query), "query");
    return this.readVia<QueryResult<R, K>>(this.node, bytes, options);
  }

  /** The next command nonce of this user according to the enclave's applied state (the ledger's, any runtime). */
  async nonce(options?: ReadOptions): Promise<bigint> {
    return (await this.readNonce(options)).value;
  }

  async readNonce(options: ReadOptions = {}): Promise<FreshRead<bigint>> {
    return decimalRead(await this.readVia<string>(this.node, await this.nonceQuery(), options), "nonce");
  }

  /** The ledger's nonce query for this user; the same bytes whatever the codec (the ledger answers it itself). */
  private async nonceQuery(): Promise<Uint8Array> {
    return encodeRuntimeQuery({ op: "nonce", account: await this.address() });
  }

  /** One encoded query through the client's node (the token layer's `read`). */
  protected async readEncoded<T>(query: Uint8Array, options: ReadOptions): Promise<FreshRead<T>> {
    return this.readVia<T>(this.node, checkPayloadSize(query, "query"), options);
  }

  private async readVia<T>(node: NodeHttpClient, query: Uint8Array, options: ReadOptions): Promise<FreshRead<T>> {
    const maxLag = options.maxLag === undefined ? this.maxReadLag : checkMaxLag(options.maxLag);
    const policy = checkPolicy(options.policy ?? this.readLagPolicy);
    const waitMs = options.waitTimeoutMs ?? this.readWaitTimeoutMs;
    const deadline = Date.now() + waitMs;
    let chainCounter: bigint | undefined;
    for (;;) {
      const enclave = await this.verifyEnclave(node);
      // The host orders the log; a reordered or forked log shows as a checkpoint other enclaves do not share.
      await checkCheckpointAgreement(this.provider, enclave, { quorum: this.checkpointQuorum });
      // Read once, before the query is first sent: entries appended while it is answered do not make it stale.
      chainCounter ??= await this.chainStateCounter();
      const sealed = await sealRead({ enclaveHpkeKey: enclave.hpkePublicKey, signer: this.signer, domain: await this.domain(), query, issuedAt: await this.issuedAt() });
      const response = await node.post<ReadResponse>("/reads", { payload: sealed.payload });
      // The counter is the enclave's, sealed with the answer to this read's fresh reply key: the host cannot alter it.
      const reply = await openReadReply<T>(sealed.replyKeyPair, response.reply);
      if (!reply.ok) throw new ReadRefusedError(reply.error.code, reply.error.message);
      // The enclave names the runtime that answered; only the contract's runtime answers for this group.
      const runtime = await this.groupRuntime();
      if (reply.runtime !== runtime) throw new RuntimeMismatchError(runtime, reply.runtime, node.baseUrl.origin);
      const lag = chainCounter > reply.stateCounter ? chainCounter - reply.stateCounter : 0n;
      if (lag <= maxLag) return { value: reply.result, stateCounter: reply.stateCounter, chainCounter, lag };
      if (policy === "refuse") throw new StaleReadError(reply.stateCounter, chainCounter, lag, maxLag, node.baseUrl.origin);
      if (Date.now() >= deadline) throw new StaleReadError(reply.stateCounter, chainCounter, lag, maxLag, node.baseUrl.origin, waitMs);
      await sleep(Math.min(this.pollIntervalMs, Math.max(0, deadline - Date.now())));
    }
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

/**
 * The token's client: `RuntimeClient<TokenRuntimeTypes>` with the token's encoders (`TOKEN_CODEC`: addresses and
 * amounts checked, the wire format's key order) and one typed method per command and query. Every method goes
 * through `send` / `readQuery`.
 */
export class AnonifyClient extends RuntimeClient<TokenRuntimeTypes> {
  constructor(options: AnonifyClientOptions) {
    super({ ...options, codec: TOKEN_CODEC });
  }

  // ------------------------------------------------------------------------------------------ token commands

  init(name: string, symbol: string, initialSupply: AmountLike): Promise<CommandSubmission> {
    return this.send({ op: "init", name, symbol, initialSupply });
  }
  transfer(to: string, amount: AmountLike): Promise<CommandSubmission> {
    return this.send({ op: "transfer", to, amount });
  }
  approve(spender: string, amount: AmountLike): Promise<CommandSubmission> {
    return this.send({ op: "approve", spender, amount });
  }
  transferFrom(from: string, to: string, amount: AmountLike): Promise<CommandSubmission> {
    return this.send({ op: "transferFrom", from, to, amount });
  }
  mint(to: string, amount: AmountLike): Promise<CommandSubmission> {
    return this.send({ op: "mint", to, amount });
  }
  burn(amount: AmountLike): Promise<CommandSubmission> {
    return this.send({ op: "burn", amount });
  }

  /** `send` under its earlier name: seals and submits one token command (see `RuntimeClient.send`). */
  submit(command: TokenCommand): Promise<CommandSubmission> {
    return this.send(command);
  }

  // ------------------------------------------------------------------------------------------ token reads

  /**
   * Sends one signed token query; returns the result with the log position it reflects (`stateCounter`, from inside
   * the sealed reply) and the chain's log counter read before it was sent (`chainCounter`). Errors as `readQuery`.
   */
  async read<T = unknown>(query: TokenQuery, options: ReadOptions = {}): Promise<{ result: T; stateCounter: bigint; chainCounter: bigint; lag: bigint }> {
    const read = await this.readEncoded<T>(this.codec.encodeQuery(query), options);
    return { result: read.value, stateCounter: read.stateCounter, chainCounter: read.chainCounter, lag: read.lag };
  }

  /** Balance of `account` (default: this user; the enclave answers only the account's own signer). */
  async balanceOf(account?: string, options?: ReadOptions): Promise<bigint> {
    return (await this.readBalance(account, options)).value;
  }
  async allowance(owner: string, spender: string, options?: ReadOptions): Promise<bigint> {
    return (await this.readAllowance(owner, spender, options)).value;
  }
  async totalSupply(options?: ReadOptions): Promise<bigint> {
    return (await this.readTotalSupply(options)).value;
  }
  async tokenInfo(options?: ReadOptions): Promise<TokenInfo> {
    return (await this.readTokenInfo(options)).value;
  }

  // The same reads with the counters they were checked against.
  async readBalance(account?: string, options: ReadOptions = {}): Promise<FreshRead<bigint>> {
    return decimalRead(await this.readQuery({ op: "balanceOf", account: account ?? (await this.address()) }, options), "balance");
  }
  async readAllowance(owner: string, spender: string, options: ReadOptions = {}): Promise<FreshRead<bigint>> {
    return decimalRead(await this.readQuery({ op: "allowance", owner, spender }, options), "allowance");
  }
  async readTotalSupply(options: ReadOptions = {}): Promise<FreshRead<bigint>> {
    return decimalRead(await this.readQuery({ op: "totalSupply" }, options), "totalSupply");
  }
  readTokenInfo(options: ReadOptions = {}): Promise<FreshRead<TokenInfo>> {
    return this.readQuery({ op: "tokenInfo" }, options);
  }
}

/** Commands ranked by how final a node's answer is (settle picks the highest). */
const STATUS_RANK = new Map<string, number>([
  ["failed", 1],
  ["queued", 2],
  ["posted", 3],
  ["settled", 4],
  ["applied", 5],
  ["rejected", 5],
]);

/** A lag no read exceeds (the nonce the client seals with is the node enclave's, fresh or not). */
const UNBOUNDED_LAG = 2n ** 64n;

function checkMaxLag(value: number | bigint): bigint {
  if (typeof value === "number" && !Number.isSafeInteger(value)) throw new ClientArgumentError(`maxReadLag must be a non-negative integer, got ${value}`);
  const lag = BigInt(value);
  if (lag < 0n) throw new ClientArgumentError(`maxReadLag must be a non-negative integer, got ${value}`);
  return lag;
}

function checkPolicy(value: string): ReadLagPolicy {
  if (value !== "refuse" && value !== "wait") throw new ClientArgumentError(`readLagPolicy must be "refuse" or "wait", got ${JSON.stringify(value)}`);
  return value;
}

function decimalRead(read: FreshRead<string>, what: string): FreshRead<bigint> {
  return { ...read, value: decimal(read.value, what) };
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
