/**
 * State handover to late joiners through the log. An enclave that joins after commands were logged cannot read
 * them (they are encrypted under epoch keys it never had), so after every external join a member posts a
 * snapshot entry: the whole ledger as of its `lastApplied`, encrypted under the current epoch's key and signed by
 * the enclave (`state_snapshot`, PROTOCOL.md) for the one position it can take, entry `lastApplied + 1`
 * (`postSnapshot` refuses it anywhere else, so it is accepted once); the newcomer adopts it, every other member checks
 * it equals its own state (a divergence shows as `snapshot mismatch`).
 *
 * Who posts: every member schedules a post when it applies an external join, staggered by its leaf index (leaf 0
 * at once, leaf k after k x `staggerMs`), and drops it as soon as any valid snapshot entry (`checked` or
 * `adopted`) is applied after the join. So the lowest live leaf posts, and an offline member only delays it. A
 * snapshot whose position another entry took first (the contract's `SnapshotPositionMismatch`) is posted again at
 * once.
 */
import type { Contract } from "ethers";
import type { Eip712DomainParams, Hex } from "../enclave/protocol";
import type { EnclaveProcess } from "../enclave/EnclaveProcess";
import type { ChainSync, EntryApplied, HandshakeApplied } from "./chainSync";
import { NodeError } from "./errors";
import type { NodeLogger } from "./logger";
import { callState } from "./stateMethods";
import type { TxSender } from "./txSender";

/** Default delay per leaf index before a member posts the snapshot for a newcomer. */
export const DEFAULT_SNAPSHOT_STAGGER_MS = 5_000;
/** Posts of one handover that lost their counter to other entries before the handover gives up. */
export const MAX_SNAPSHOT_ATTEMPTS = 5;
const SNAPSHOT_MISMATCH = "snapshot mismatch";

export interface SnapshotContext {
  enclave: () => EnclaveProcess;
  group: Contract;
  sender: TxSender;
  domain: Eip712DomainParams;
  sync: () => ChainSync;
  logger: NodeLogger;
  /** Applies the log up to the chain's head (a snapshot taken behind it would lose its counter). */
  catchUp: () => Promise<void>;
}

export interface PostedSnapshot {
  /** The lastApplied the snapshot holds; it is meant to become entry stateCounter + 1. */
  stateCounter: string;
  epoch: string;
  txHash: Hex;
}

interface Due {
  dueAt: number;
  attempts: number;
  reason: string;
}

export class SnapshotHandover {
  private due: Due | undefined;
  private lastPosted: string | undefined;
  private posting = false;

  constructor(
    private readonly ctx: SnapshotContext,
    private readonly staggerMs = DEFAULT_SNAPSHOT_STAGGER_MS,
  ) {
    if (!Number.isFinite(staggerMs) || staggerMs < 0) {
      throw new NodeError("invalid_options", `snapshotStaggerMs must be a non-negative number of milliseconds, got ${staggerMs}`);
    }
  }

  /** Whether this node has a handover to post (after an external join, until a valid snapshot is logged). */
  get pending(): boolean {
    return this.due !== undefined;
  }

  onHandshake(h: HandshakeApplied): void {
    if (h.outcome !== "external_join") return;
    const sync = this.ctx.sync();
    const status = sync.mlsStatus.group;
    if (status?.member !== true) return;
    // In chain order the sync has seen exactly the entries logged before this join: none, nothing to hand over.
    if (sync.chainStateCounter === 0n) return;
    const delay = status.leaf * this.staggerMs;
    // A later join keeps the earlier schedule: one snapshot after both serves both newcomers.
    if (this.due === undefined) this.due = { dueAt: Date.now() + delay, attempts: 0, reason: `enclave ${h.entry.sender} joined at epoch ${h.entry.epoch}` };
  }

  onApplied(a: EntryApplied): void {
    const { result } = a;
    if (result.snapshot === "checked" || result.snapshot === "adopted") {
      if (this.due !== undefined) this.ctx.logger.info(`snapshot entry #${result.stateCounter} ${result.snapshot}: state handed over`);
      this.due = undefined;
      return;
    }
    if (result.reason === SNAPSHOT_MISMATCH && this.due !== undefined && a.entry.ciphertext.toLowerCase() === this.lastPosted) {
      this.ctx.logger.warn(`snapshot entry #${result.stateCounter} lost its counter to another entry; posting a new one`);
      this.due.dueAt = Date.now();
    }
  }

  /** Posts the scheduled snapshot when it is due and this node is caught up (called after every sync step). */
  async maybePost(): Promise<PostedSnapshot | undefined> {
    if (this.due === undefined || this.posting || Date.now() < this.due.dueAt) return undefined;
    // Read to the head first: a lower leaf's snapshot may already be there.
    await this.ctx.catchUp();
    const due = this.due;
    if (due === undefined || this.posting) return undefined;
    const sync = this.ctx.sync();
    if (!sync.isMember || sync.awaitingSnapshot !== undefined) return undefined;
    if (sync.lastApplied < sync.chainStateCounter) return undefined; // a snapshot now would not be entry lastApplied + 1
    // A revoked enclave's removal commit is pending (audit F-6): the group takes no snapshot until it lands, and a
    // refusal would count as an attempt. The removal commit moves the epoch; the handover is posted after it.
    if (((await this.ctx.group.pendingRemovalCount()) as bigint) > 0n) return undefined;
    if (++due.attempts > MAX_SNAPSHOT_ATTEMPTS) {
      this.ctx.logger.error(`snapshot handover (${due.reason}) lost its counter ${MAX_SNAPSHOT_ATTEMPTS} times; post one with /admin/snapshot`);
      this.due = undefined;
      return undefined;
    }
    due.dueAt = Number.POSITIVE_INFINITY; // until this post is applied (checked) or loses its counter
    return this.post(due.reason);
  }

  /** Posts a snapshot of the enclave's state now (also the operator's `/admin/snapshot`). */
  async post(reason = "requested by the operator"): Promise<PostedSnapshot> {
    if (this.posting) throw new NodeError("snapshot_in_progress", "a snapshot post is in flight", 409);
    this.posting = true;
    try {
      const snapshot = await callState(this.ctx.enclave(), "state_snapshot", { domain: this.ctx.domain });
      this.lastPosted = snapshot.entry.toLowerCase();
      const position = BigInt(snapshot.stateCounter) + 1n;
      const outcome = await this.ctx.sender.send(this.ctx.group, "postSnapshot", [snapshot.epoch, position, snapshot.entry, snapshot.signature]);
      if (!outcome.ok) {
        if (this.due !== undefined) this.due.dueAt = Date.now();
        throw new NodeError("snapshot_refused", `the group refused the snapshot entry: ${outcome.revert.name}(${outcome.revert.args.map(String).join(", ")})`, 409);
      }
      this.ctx.logger.info(`snapshot of state #${snapshot.stateCounter} posted for epoch ${snapshot.epoch} (${reason}; tx ${outcome.receipt.hash})`);
      return { stateCounter: snapshot.stateCounter, epoch: snapshot.epoch, txHash: outcome.receipt.hash as Hex };
    } finally {
      this.posting = false;
    }
  }
}
