/**
 * The submitter: user commands sealed to the enclave go through `state_submit`; the resulting signed log
 * entries are queued and posted with `postCiphertext` (or `postCiphertextBatch` when several are queued and the
 * enclave can sign a batch). A command is posted at most once; when the group's epoch moved on before the post
 * landed (`EpochMismatch`), the original sealed user payload is submitted again once the node has caught up, and
 * the new entry is posted instead.
 */
import type { Contract } from "ethers";
import type { CommandStatus, CommandStatusName, Hex } from "../client/wire";
import { EnclaveError, type EnclaveProcess } from "../enclave/EnclaveProcess";
import type { Eip712DomainParams } from "../enclave/protocol";
import type { EntryApplied } from "./chainSync";
import type { CommandJournal, FinalStatusName, JournaledCommand } from "./commandJournal";
import { crashPoint } from "./crashPoints";
import { ENCLAVE_STATUS, GROUP_INTERFACE, MAX_BATCH_SIZE } from "./groupContract";
import { NodeError } from "./errors";
import type { NodeLogger } from "./logger";
import { callState, type StateSubmitResult } from "./stateMethods";
import { sleep, TxUnresolvedError, type TxSender } from "./txSender";
import type { TransactionReceipt } from "ethers";

const DEFAULT_MAX_BATCH_SIZE = 32;
const DEFAULT_REMOVAL_WAIT_MS = 120_000;
const DEFAULT_BATCH_WINDOW_MS = 20;

export interface SubmitterOptions {
  /** Largest batch posted at once, 1..the contract's MAX_BATCH_SIZE (else invalid_options). Default 32. */
  maxBatchSize?: number;
  /**
   * How long a posting round waits after the first queued command, so commands arriving together share one
   * batch (commands arriving while a post is in flight queue up for the next round anyway). Default 20 ms.
   */
  batchWindowMs?: number;
  /** How many times a command is re-submitted after EpochMismatch before it fails. Default 5. */
  maxResubmits?: number;
  /** Poll interval while waiting for the node to catch up. Default 100 ms. */
  pollIntervalMs?: number;
  /**
   * How long a post refused with `RemovalCommitPending` (a revoked enclave's removal commit has not landed; audit F-6)
   * waits for the removal before its commands fail. Default 120 s: a member node posts the removal commit as soon as
   * it reads the revocation.
   */
  removalWaitMs?: number;
  /**
   * Signs `CiphertextBatch{epoch, firstSequence, payloadsHash}` for entries this enclave produced (consecutive
   * producer sequences); without it every entry is posted alone.
   */
  signBatch?: (epoch: string, entries: Hex[]) => Promise<{ signature: Hex; firstSequence: string }>;
}

/** Throws NodeError("invalid_options") for a batch size the contract cannot take or a negative window. */
export function checkBatchOptions(options: Pick<SubmitterOptions, "maxBatchSize" | "batchWindowMs">): void {
  const max = options.maxBatchSize;
  if (max !== undefined && (!Number.isInteger(max) || max < 1 || max > MAX_BATCH_SIZE)) {
    throw new NodeError("invalid_options", `maxBatchSize must be an integer in 1..${MAX_BATCH_SIZE} (the contract's MAX_BATCH_SIZE), got ${max}`);
  }
  const window = options.batchWindowMs;
  if (window !== undefined && (!Number.isFinite(window) || window < 0)) {
    throw new NodeError("invalid_options", `batchWindowMs must be a non-negative number of milliseconds, got ${window}`);
  }
}

interface Queued {
  status: CommandStatus;
  /** The user's sealed command (kept to re-submit after an epoch change or a restart). */
  payload: Hex;
  /** The enclave's entry for it; none yet for a command restored from the journal. */
  submitted?: StateSubmitResult;
  resubmits: number;
}

/** What the submitter needs to know about the chain and the node's progress. */
export interface SubmitterContext {
  enclave: EnclaveProcess;
  group: Contract;
  sender: TxSender;
  domain: Eip712DomainParams;
  logger: NodeLogger;
  /** The chain epoch the node's enclave would sign for now (MLS epoch + 1), or null when not a member. */
  nodeChainEpoch: () => bigint | null;
  /** Applies the log up to the chain's head (handshakes the re-submission must see first). */
  catchUp: () => Promise<void>;
  /** Durable record of accepted commands (none: commands live in memory only). */
  journal?: CommandJournal;
  /** The node's enclave address: a post refused while its own enclave is revoked fails at once (no waiting). */
  enclaveAddress?: string;
  /** The outcome the node applied from the log for a command id, if any (src/node/outcomeIndex.ts). */
  appliedOutcome?: (id: string) => { status: "applied" | "rejected"; stateCounter: bigint; reason?: string } | undefined;
}

/** The enclave's `nonce_mismatch` message (PROTOCOL.md, state_submit). */
const NONCE_MISMATCH = /expected nonce (\d+), got (\d+)/;

export class Submitter {
  private readonly commands = new Map<string, Queued>();
  private readonly queue: Queued[] = [];
  /** Open commands from the journal, re-submitted by `resubmitRecovered` once the node has caught up. */
  private recovered: Queued[] = [];
  /** Batches whose transaction an outage left unresolved, by the transaction's nonce. */
  private readonly unsettled = new Map<number, Queued[]>();
  private pumping: Promise<void> | undefined;
  private stopped = false;
  /** Serializes state_submit calls (see `sealing`). */
  private sealingChain: Promise<void> = Promise.resolve();
  /** Commands whose current entry is known not to be on chain (being sealed again). */
  private readonly stale = new Set<Queued>();

  constructor(
    private readonly ctx: SubmitterContext,
    private readonly options: SubmitterOptions = {},
  ) {
    checkBatchOptions(options);
  }

  /**
   * state_submit (enclave pre-checks throw EnclaveError: a bad envelope, a used nonce, or `command_refused` when the
   * runtime would reject the command) and queue; the same command twice gets the same id. `admit(sender)` runs for a
   * new command before it is queued (the API's per-sender rate limit); when it throws, nothing is queued, and the
   * entry the enclave sealed is dropped: it was never pending, so the next entry takes its producer sequence.
   */
  async submit(payload: Hex, admit?: (sender: string) => void): Promise<CommandStatus> {
    try {
      return await this.submitOnce(payload, admit);
    } catch (error) {
      if (!(error instanceof EnclaveError) || error.code !== "command_refused") throw error;
      // The dry run judged the command against this node's applied state, which may lag the chain (e.g. the funds
      // it spends were sent through another node a moment ago): bring the node up to the chain's head and ask once
      // more before refusing. At the head already, this costs one read of the chain and one state_submit.
      await this.ctx.catchUp().catch(() => undefined); // sync errors are reported by the poll loop
      return this.submitOnce(payload, admit);
    }
  }

  private submitOnce(payload: Hex, admit?: (sender: string) => void): Promise<CommandStatus> {
    return this.sealing(async () => {
      const submitted = await callState(this.ctx.enclave, "state_submit", { payload, domain: this.ctx.domain, ...this.pending() });
      const id = submitted.commandId.toLowerCase();
      const known = this.commands.get(id);
      if (known !== undefined && known.status.status !== "failed") return { ...known.status };
      admit?.(submitted.sender);
      const queued: Queued = { status: { id: id as Hex, status: "queued" }, payload, submitted, resubmits: 0 };
      this.ctx.journal?.accepted(queued.status.id, payload); // on disk before the caller acknowledges it
      crashPoint("command:accepted");
      this.commands.set(id, queued);
      this.queue.push(queued);
      this.kick();
      return { ...queued.status };
    });
  }

  /**
   * Runs one state_submit and the recording of its entry before the next starts: the `pending` account of each
   * must include the entries sealed before it (concurrent submissions would otherwise get the same number).
   */
  private sealing<T>(work: () => Promise<T>): Promise<T> {
    const run = this.sealingChain.then(work, work);
    this.sealingChain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * Takes the journal's commands after a restart (call before the first sync, so the replay settles those the log
   * holds): finished ones keep their status, open ones wait for `resubmitRecovered`.
   */
  restore(commands: JournaledCommand[]): void {
    for (const c of commands) {
      const id = c.status.id.toLowerCase();
      const open = c.status.status === "queued" || c.status.status === "posted";
      const restored: Queued = { status: { ...c.status }, payload: c.payload, resubmits: 0 };
      this.commands.set(id, restored);
      if (open) this.recovered.push(restored);
    }
  }

  /**
   * Seals the journal's open commands to the enclave again (oldest first) and queues them. Call once the node has
   * caught up with everything its own account sent: a command the log applied meanwhile is settled by the replay
   * (applied/rejected) or, when the enclave says its nonce is used, marked `settled`.
   */
  async resubmitRecovered(): Promise<{ requeued: number; settled: number }> {
    const open = this.recovered.filter((c) => c.status.status === "queued" || c.status.status === "posted");
    this.recovered = [];
    let requeued = 0;
    let settled = 0;
    for (const q of open) {
      // Applied from the log before the restart, after the enclave sealed it but before the journal said so.
      const indexed = this.ctx.appliedOutcome?.(q.status.id);
      if (indexed !== undefined) {
        q.status.stateCounter = indexed.stateCounter.toString();
        this.finish(q, indexed.status, indexed.reason);
        settled++;
        continue;
      }
      try {
        q.submitted = await this.sealing(() => callState(this.ctx.enclave, "state_submit", { payload: q.payload, domain: this.ctx.domain, ...this.pending() }));
      } catch (error) {
        const used = error instanceof EnclaveError && error.code === "nonce_mismatch" ? NONCE_MISMATCH.exec(error.message) : null;
        const known = this.ctx.appliedOutcome?.(q.status.id);
        if (known !== undefined) {
          q.status.stateCounter = known.stateCounter.toString();
          this.finish(q, known.status, known.reason);
          settled++;
        } else if (used !== null && BigInt(used[2]) < BigInt(used[1])) {
          this.finish(q, "settled", "the log used this command's nonce before the node restarted; read the state for its effect");
          settled++;
        } else {
          this.finish(q, "failed", `re-submission after a restart refused: ${(error as Error).message}`);
        }
        continue;
      }
      q.status.status = "queued";
      delete q.status.txHash;
      delete q.status.stateCounter;
      this.queue.push(q);
      requeued++;
    }
    if (requeued > 0) this.kick();
    return { requeued, settled };
  }

  status(id: string): CommandStatus | undefined {
    const known = this.commands.get(id.toLowerCase());
    return known === undefined ? undefined : { ...known.status };
  }

  /** Counts by status (health output). */
  get queued(): number {
    return this.queue.length;
  }

  /** The sync applied an entry: the command it carries (from any node) is now applied or rejected. */
  onApplied(applied: EntryApplied): void {
    const id = applied.result.commandId?.toLowerCase();
    if (id === undefined) return;
    const known = this.commands.get(id);
    if (known === undefined) return;
    // The first entry of the command in the log decided it; a later one with the same id (the same command sealed
    // again) is only rejected for its used nonce and does not change the command's outcome.
    if ((known.status.status === "applied" || known.status.status === "rejected") && known.status.stateCounter !== undefined && BigInt(known.status.stateCounter) < BigInt(applied.result.stateCounter)) return;
    crashPoint("command:applied");
    known.status.stateCounter = applied.result.stateCounter;
    this.dequeue(known);
    this.finish(known, applied.result.outcome, applied.result.reason);
  }

  /** Stops posting (queued commands stay queued). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.pumping;
  }

  private kick(): void {
    if (this.pumping !== undefined || this.stopped) return;
    const window = this.options.signBatch === undefined ? 0 : (this.options.batchWindowMs ?? DEFAULT_BATCH_WINDOW_MS);
    this.pumping = sleep(window).then(() => this.pump()).finally(() => {
      this.pumping = undefined;
      if (this.queue.length > 0 && !this.stopped) this.kick();
    });
  }

  private async pump(): Promise<void> {
    while (this.queue.length > 0 && !this.stopped) {
      const epoch = submittedOf(this.queue[0]).epoch;
      const max = this.options.signBatch === undefined ? 1 : Math.min(this.options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE, MAX_BATCH_SIZE);
      // In producer-sequence order, not queue order: a command re-sealed after an epoch change keeps its place in
      // the queue but numbers after the commands sealed for the new epoch meanwhile, and the contract takes an
      // enclave's posts only in that order (a batch as one run of numbers). A join storm makes exactly this
      // interleaving.
      const batch = consecutiveRun(
        this.queue.filter((q) => submittedOf(q).epoch === epoch).sort(bySequence),
        max,
      );
      try {
        await this.post(epoch, batch);
      } catch (error) {
        if (error instanceof TxUnresolvedError) {
          this.awaitSettlement(batch, error);
          continue;
        }
        for (const q of batch) this.fail(q, `post failed: ${(error as Error).message}`);
      }
    }
  }

  private async post(epoch: string, batch: Queued[]): Promise<void> {
    const entries = batch.map((q) => submittedOf(q).entry);
    let outcome;
    if (batch.length === 1) {
      const submitted = submittedOf(batch[0]);
      outcome = await this.ctx.sender.send(this.ctx.group, "postCiphertext", [epoch, submitted.producerSequence, entries[0], submitted.signature]);
    } else {
      let signed: { signature: Hex; firstSequence: string };
      try {
        signed = await this.options.signBatch!(epoch, entries);
      } catch (error) {
        // The enclave already follows a newer epoch than the entries': the contract would refuse them too.
        if (error instanceof EnclaveError && error.code === "epoch_mismatch") {
          for (const q of batch) this.stale.add(q);
          for (const q of batch) await this.resubmit(q, "epoch_mismatch");
          return;
        }
        throw error;
      }
      outcome = await this.ctx.sender.send(this.ctx.group, "postCiphertextBatch", [epoch, signed.firstSequence, entries, signed.signature]);
    }
    if (outcome.ok) {
      const first = postedCounter(outcome.receipt.logs);
      batch.forEach((q, i) => {
        this.dequeue(q);
        if (q.status.status === "queued") q.status.status = "posted";
        q.status.txHash = outcome.receipt.hash as Hex;
        if (first !== undefined && q.status.stateCounter === undefined) q.status.stateCounter = (first + BigInt(i)).toString();
        if (q.status.status === "posted") this.ctx.journal?.posted(q.status.id, q.status.txHash, q.status.stateCounter);
      });
      crashPoint("post:mined");
      this.ctx.logger.info(`posted ${batch.length} entr${batch.length === 1 ? "y" : "ies"} in epoch ${epoch} (tx ${outcome.receipt.hash})`);
      return;
    }
    // A revoked enclave still holds its leaf (audit F-6): the entries were sealed for an epoch it can read. Wait until
    // the removal commit lands (it moves the epoch), then seal the commands again for the new epoch.
    if (outcome.revert.name === "RemovalCommitPending") {
      if (await this.ownEnclaveRevoked()) {
        // The revoked enclave is the one awaiting removal: its entries are refused for good (EnclaveWasRevoked after).
        for (const q of batch) this.fail(q, `the group refused the entry: RemovalCommitPending(${String(outcome.revert.args[0])}): this node's enclave ${this.ctx.enclaveAddress} is revoked`);
        return;
      }
      for (const q of batch) this.stale.add(q); // none of these entries is on chain
      const waited = await this.waitForRemovals(BigInt(outcome.revert.args[0] as bigint));
      if (!waited) {
        for (const q of batch) this.fail(q, `the group refuses entries until a revoked enclave's removal commit lands (RemovalCommitPending), and none landed within ${(this.options.removalWaitMs ?? DEFAULT_REMOVAL_WAIT_MS) / 1000}s`);
        return;
      }
      for (const q of batch) await this.resubmit(q, "RemovalCommitPending");
      return;
    }
    // PostSequenceMismatch: an earlier entry of ours never landed (its post failed), so this one's number is not the
    // contract's next; sealed again, it takes the number the log waits for.
    if (outcome.revert.name === "EpochMismatch" || outcome.revert.name === "RevertedOnChain" || outcome.revert.name === "PostSequenceMismatch") {
      for (const q of batch) this.stale.add(q); // none of these entries is on chain
      for (const q of batch) await this.resubmit(q, outcome.revert.name);
      return;
    }
    for (const q of batch) this.fail(q, `the group refused the entry: ${outcome.revert.name}(${outcome.revert.args.map(String).join(", ")})`);
  }

  /** Whether the roster says this node's own enclave is revoked (false when the address is not known). */
  private async ownEnclaveRevoked(): Promise<boolean> {
    if (this.ctx.enclaveAddress === undefined) return false;
    const record = (await this.ctx.group.enclave(this.ctx.enclaveAddress)) as { status: bigint };
    return Number(record.status) === ENCLAVE_STATUS.Revoked;
  }

  /**
   * Waits until no revoked enclave's removal is pending on chain (`pendingRemovalCount` 0). False when the wait ran
   * out (or the submitter stopped).
   */
  private async waitForRemovals(pending: bigint): Promise<boolean> {
    this.ctx.logger.info(`${pending} revoked enclave(s) still hold a leaf: posts wait for the removal commit (audit F-6)`);
    const deadline = Date.now() + (this.options.removalWaitMs ?? DEFAULT_REMOVAL_WAIT_MS);
    while (!this.stopped) {
      if (((await this.ctx.group.pendingRemovalCount()) as bigint) === 0n) return true;
      if (Date.now() > deadline) return false;
      await sleep(this.options.pollIntervalMs ?? 100);
    }
    return false;
  }

  /** The epoch moved on: wait until the node has applied the new handshakes, then seal the same command anew. */
  private async resubmit(q: Queued, why: string): Promise<void> {
    if (++q.resubmits > (this.options.maxResubmits ?? 5)) {
      this.fail(q, `${why} after ${q.resubmits - 1} re-submissions`);
      return;
    }
    for (let round = 0; ; round++) {
      if (this.stopped) return;
      const chainEpoch = (await this.ctx.group.currentEpoch()) as bigint;
      const nodeEpoch = this.ctx.nodeChainEpoch();
      if (nodeEpoch !== null && nodeEpoch >= chainEpoch) break;
      if (nodeEpoch === null) {
        // Revoked, the enclave's leaf is removed by the other members' removal commit (audit F-6): say why.
        const revoked = await this.ownEnclaveRevoked().catch(() => false);
        this.fail(q, revoked ? `the group refused the entry: this node's enclave ${this.ctx.enclaveAddress} is revoked and its leaf was removed (${why})` : `${why}: this node's enclave is no longer a member`);
        return;
      }
      if (round > 0) await sleep(this.options.pollIntervalMs ?? 100);
      await this.ctx.catchUp().catch(() => undefined); // sync errors are reported by the poll loop
    }
    try {
      this.stale.add(q);
      const submitted = await this.sealing(async () => {
        const result = await callState(this.ctx.enclave, "state_submit", { payload: q.payload, domain: this.ctx.domain, ...this.pending() });
        q.submitted = result;
        this.stale.delete(q);
        return result;
      });
      this.ctx.logger.info(`command ${q.status.id} re-submitted for epoch ${submitted.epoch} after ${why}`);
    } catch (error) {
      // The log used the command's nonce meanwhile (this entry landed after all, or another of the user's): the
      // command is not "failed" — its outcome is the log's (fail() takes it from the index when it has it).
      if (nonceUsed(error)) {
        this.dequeue(q);
        if (q.status.status === "queued" || q.status.status === "posted") {
          const known = this.ctx.appliedOutcome?.(q.status.id);
          if (known !== undefined) {
            q.status.stateCounter = known.stateCounter.toString();
            this.finish(q, known.status, known.reason);
          } else {
            this.finish(q, "settled", "the log used this command's nonce; read the state for its effect");
          }
        }
        return;
      }
      this.fail(q, `re-submission after ${why} refused: ${(error as Error).message}`);
    }
  }

  // --- RPC outages (docs/node.md "RPC outages") ---

  /**
   * The retry cap ended a post whose transaction may be on chain: the commands count as posted (never queued
   * again, so never posted twice) until the sender settles the transaction (`onSettled`).
   */
  private awaitSettlement(batch: Queued[], error: TxUnresolvedError): void {
    for (const q of batch) {
      this.dequeue(q);
      if (q.status.status === "queued") q.status.status = "posted";
      if (error.txHash !== undefined) q.status.txHash = error.txHash as Hex;
      if (q.status.status === "posted" && q.status.txHash !== undefined) this.ctx.journal?.posted(q.status.id, q.status.txHash);
    }
    this.unsettled.set(error.nonce, batch);
    this.ctx.logger.warn(`${batch.length} command(s) wait for their transaction: ${error.message}`);
  }

  /** A transaction an outage left unresolved was mined: its entries get counters, or (reverted) are re-submitted. */
  onSettled(nonce: number, receipt: TransactionReceipt): void {
    const batch = this.unsettled.get(nonce);
    if (batch === undefined) return;
    this.unsettled.delete(nonce);
    if (receipt.status === 1) {
      const first = postedCounter(receipt.logs);
      batch.forEach((q, i) => {
        q.status.txHash = receipt.hash as Hex;
        if (first !== undefined && q.status.stateCounter === undefined) q.status.stateCounter = (first + BigInt(i)).toString();
        if (q.status.status === "posted") this.ctx.journal?.posted(q.status.id, q.status.txHash, q.status.stateCounter);
      });
      return;
    }
    // Reverted on chain: nothing was posted; the commands go back to the queue for a new entry.
    for (const q of batch) if (q.status.status === "posted") this.stale.add(q);
    for (const q of batch) {
      if (q.status.status !== "posted") continue;
      q.status.status = "queued";
      delete q.status.txHash;
      void this.resubmit(q, "RevertedOnChain").then(() => {
        if (q.status.status !== "queued") return; // failed (re-submission refused or too many)
        this.queue.push(q);
        this.kick();
      });
    }
  }

  /**
   * state_submit's `pending`: this node's entries of the enclave's current epoch that may still reach the log
   * (queued, being posted or posted, not applied yet). The enclave numbers the new entry after the highest of them,
   * or at the log's next number when there is none, so an entry that never reached the chain (a failed post, a
   * duplicate submission) does not make the following ones out of sequence (enclave/PROTOCOL.md "Log entries").
   */
  private pending(): { pending?: { epoch: string; highestSequence?: string } } {
    const epoch = this.ctx.nodeChainEpoch();
    if (epoch === null) return {};
    let highest: bigint | undefined;
    for (const q of this.commands.values()) {
      if ((q.status.status !== "queued" && q.status.status !== "posted") || q.submitted === undefined || this.stale.has(q)) continue;
      if (q.submitted.epoch !== epoch.toString() || q.submitted.producerSequence === undefined) continue;
      const sequence = BigInt(q.submitted.producerSequence);
      if (highest === undefined || sequence > highest) highest = sequence;
    }
    return { pending: highest === undefined ? { epoch: epoch.toString() } : { epoch: epoch.toString(), highestSequence: highest.toString() } };
  }

  private fail(q: Queued, reason: string): void {
    this.dequeue(q);
    if (q.status.status !== "queued") return; // applied meanwhile (another path posted it)
    // An entry of the command reached the log (e.g. a post reported as failed that was mined after all): its
    // outcome there is the command's, never "failed".
    const known = this.ctx.appliedOutcome?.(q.status.id);
    if (known !== undefined) {
      q.status.stateCounter = known.stateCounter.toString();
      this.finish(q, known.status, known.reason);
      return;
    }
    this.finish(q, "failed" satisfies CommandStatusName, reason);
    this.ctx.logger.warn(`command ${q.status.id} failed: ${reason}`);
  }

  /** Records a final status (in the journal first, then in memory). */
  private finish(q: Queued, status: FinalStatusName, reason?: string): void {
    this.stale.delete(q);
    q.status.status = status;
    if (reason !== undefined) q.status.reason = reason;
    else delete q.status.reason;
    this.ctx.journal?.done({ ...q.status, status });
  }

  private dequeue(q: Queued): void {
    const index = this.queue.indexOf(q);
    if (index >= 0) this.queue.splice(index, 1);
  }
}

/** state_submit refused the command because the log already used its nonce ("expected nonce N, got M", M < N). */
function nonceUsed(error: unknown): boolean {
  const used = error instanceof EnclaveError && error.code === "nonce_mismatch" ? NONCE_MISMATCH.exec(error.message) : null;
  return used !== null && BigInt(used[2]) < BigInt(used[1]);
}

/** Orders entries of one epoch by their producer sequence (the order appliers accept them in). */
function bySequence(a: Queued, b: Queued): number {
  const d = BigInt(submittedOf(a).producerSequence) - BigInt(submittedOf(b).producerSequence);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

/** The longest prefix (at most `max`) of `sorted` whose producer sequences follow each other without a gap. */
function consecutiveRun(sorted: Queued[], max: number): Queued[] {
  let end = 1;
  while (end < Math.min(sorted.length, max) && BigInt(submittedOf(sorted[end]).producerSequence) === BigInt(submittedOf(sorted[end - 1]).producerSequence) + 1n) end++;
  return sorted.slice(0, end);
}

/** The enclave's entry of a queued command (every queued command has one: it is queued after state_submit). */
function submittedOf(q: Queued): StateSubmitResult {
  if (q.submitted === undefined) throw new Error(`command ${q.status.id} is queued without an enclave entry`);
  return q.submitted;
}

/** stateCounter of the first entry a post created, from its receipt's logs. */
function postedCounter(logs: readonly { topics: readonly string[]; data: string }[]): bigint | undefined {
  for (const log of logs) {
    const parsed = GROUP_INTERFACE.parseLog({ topics: [...log.topics], data: log.data });
    if (parsed?.name === "CiphertextPosted") return parsed.args.stateCounter as bigint;
    if (parsed?.name === "CiphertextBatchPosted") return parsed.args.firstStateCounter as bigint;
  }
  return undefined;
}
