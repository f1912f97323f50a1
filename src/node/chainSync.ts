/**
 * Applies the group's log to the enclave in chain order, idempotently: handshakes go to
 * `mls_process_handshake` (or `mls_follow` while an external join waits), ciphertext entries to `state_apply`
 * with their stateCounter. What the enclave already holds (its MLS epoch, `state_status.lastApplied`) is
 * skipped, so a restarted node replays the log from the deployment block without applying anything twice.
 */
import { EventEmitter } from "node:events";
import { getAddress } from "ethers";
import { EnclaveError, type EnclaveProcess } from "../enclave/EnclaveProcess";
import type { Hex, MlsProcessHandshakeResult, MlsStatusResult } from "../enclave/protocol";
import type { BlockRef, ChainReader } from "./chainReader";
import { NodeError } from "./errors";
import type { EvidenceSource } from "./evidence";
import type { CiphertextLogEntry, GroupLogEntry, HandshakeLogEntry, RosterLogEntry } from "./groupContract";
import { callState, type StateApplyResult } from "./stateMethods";

export interface HandshakeApplied {
  entry: HandshakeLogEntry;
  outcome: MlsProcessHandshakeResult["outcome"] | "followed";
  epoch: number | null;
}

export interface EntryApplied {
  entry: CiphertextLogEntry;
  result: Exclude<StateApplyResult, { duplicate: true }>;
}

export interface ChainSyncEvents {
  handshake: [HandshakeApplied];
  applied: [EntryApplied];
  /** A ciphertext entry the enclave cannot read (posted before it joined, or after it was removed). */
  unreadable: [CiphertextLogEntry, string];
  /** The enclave is a member but lacks earlier entries: it waits for a snapshot entry (once per wait). */
  awaitingSnapshot: [CiphertextLogEntry, string];
  /** A registered enclave's evidence the enclave refused (its leaf will not be admitted). */
  evidenceRefused: [RosterLogEntry, string];
  /**
   * The roster revoked (or evicted) an enclave: its leaf stays in the MLS group, and the group takes no ciphertext,
   * until a member posts the removal commit (audit F-6; AnonifyNode posts it). Emitted again on a replay.
   */
  revoked: [RosterLogEntry];
}

export class ChainSync extends EventEmitter<ChainSyncEvents> {
  private mls: MlsStatusResult = { group: null, followedEpoch: null, selfUpdateRequired: false };
  private lastAppliedCounter = 0n;
  private highestChainCounter = 0n;
  private pending: GroupLogEntry[] = [];
  /** True once a handshake removed this enclave from the group. */
  removed = false;
  /**
   * Set while the enclave is a member but lacks entries it can never read (encrypted for epochs before it
   * joined): it waits for a member's snapshot entry (`state_snapshot`) to take over the state. Later entries are
   * still handed to `state_apply` (a gap changes nothing; the first snapshot after the gap is adopted) and
   * handshakes still apply, so the node stays a correct group member meanwhile.
   */
  awaitingSnapshot: string | undefined;
  /** Leaf index of each member address seen join (genesis author = leaf 0), for removals by address. */
  readonly leaves = new Map<number, string>();

  constructor(
    private readonly enclave: EnclaveProcess,
    private readonly reader: ChainReader,
    private readonly stateRuntime: boolean,
    /**
     * Feeds the enclave's membership rule: the evidence of every enclave the roster registers (handed before the
     * handshake of its join, which follows in the same transaction) and the time of each handshake's block.
     */
    private readonly evidence?: EvidenceSource,
  ) {
    super();
  }

  /** Reads the enclave's MLS and state positions (call once after `init`). */
  async load(): Promise<void> {
    this.mls = await this.enclave.call("mls_status", {});
    if (this.stateRuntime) this.lastAppliedCounter = BigInt((await callState(this.enclave, "state_status", {})).lastApplied);
  }

  get mlsStatus(): MlsStatusResult {
    return this.mls;
  }
  get isMember(): boolean {
    return this.mls.group?.member === true;
  }
  /** MLS epoch of the group (member) or null. */
  get epoch(): number | null {
    return this.mls.group?.member === true ? this.mls.group.epoch : null;
  }
  get lastApplied(): bigint {
    return this.lastAppliedCounter;
  }
  /** The highest stateCounter seen in the (confirmed) log. */
  get chainStateCounter(): bigint {
    return this.highestChainCounter;
  }
  /** The newest block read and its hash (a restore point's position). */
  get lastRead(): BlockRef | undefined {
    return this.reader.lastRead;
  }
  /** Entries read but not applied yet (after an error). */
  get backlog(): number {
    return this.pending.length;
  }

  /** Reads new entries (up to `upTo` or the confirmed head; `unconfirmed`: the head) and applies everything in order. */
  async step(upTo?: number, unconfirmed = false): Promise<number> {
    this.pending.push(...(await this.reader.poll(upTo, unconfirmed)));
    let done = 0;
    while (this.pending.length > 0) {
      await this.applyEntry(this.pending[0]);
      this.pending.shift();
      done++;
    }
    return done;
  }

  private async applyEntry(entry: GroupLogEntry): Promise<void> {
    if (entry.kind === "handshake") await this.applyHandshake(entry);
    else if (entry.kind === "ciphertext") await this.applyCiphertext(entry);
    else if (entry.kind === "joined") await this.admitJoined(entry);
    else if (entry.kind === "revoked") this.emit("revoked", entry);
  }

  /** Hands the enclave the evidence a join transaction carried (mls_admit_evidence is idempotent). */
  private async admitJoined(entry: RosterLogEntry): Promise<void> {
    if (this.evidence === undefined) return;
    const params = await this.evidence.forJoin(entry);
    try {
      await this.enclave.call("mls_admit_evidence", params);
    } catch (error) {
      if (!(error instanceof EnclaveError) || error.code !== "evidence_refused") throw error;
      this.emit("evidenceRefused", entry, error.message);
    }
  }

  /** `mls_process_handshake` with the time of the entry's block (evidence age is judged at it). */
  private async processHandshake(entry: HandshakeLogEntry): Promise<MlsProcessHandshakeResult> {
    const params: { handshake: Hex; blockTimestamp?: string } = { handshake: entry.handshake as Hex };
    if (this.evidence !== undefined) params.blockTimestamp = String(await this.evidence.blockTimestamp(entry.blockNumber));
    return this.enclave.call("mls_process_handshake", params);
  }

  private async applyHandshake(entry: HandshakeLogEntry): Promise<void> {
    const epoch = Number(entry.epoch);
    const group = this.mls.group;
    const followed = this.mls.followedEpoch;
    let result: MlsProcessHandshakeResult;
    if (group?.member === true) {
      if (epoch <= group.epoch) {
        if (epoch === 0) this.leaves.set(0, getAddress(entry.sender)); // our own genesis, or applied before a restart
        return;
      }
      result = await this.processHandshake(entry);
    } else if (group !== null) {
      // An external join waits for its commit (chain epoch group.epoch + 1). Earlier entries only feed the
      // follower: mls_process_handshake would drop the join.
      if (epoch <= group.epoch) {
        if ((followed === null && epoch === 0) || (followed !== null && epoch === followed + 1)) {
          await this.enclave.call("mls_follow", { handshake: entry.handshake as Hex });
          this.mls = await this.enclave.call("mls_status", {});
          this.emit("handshake", { entry, outcome: "followed", epoch: null });
        }
        return;
      }
      result = await this.processHandshake(entry);
    } else {
      if (followed !== null && epoch <= followed) return;
      if (followed === null && epoch !== 0) {
        // Not following: removed earlier in this run, or a log that does not start at genesis.
        if (this.removed) return;
        throw new NodeError("state_unavailable", `handshake of chain epoch ${epoch} without a followed log (read from the deployment block)`, 503);
      }
      result = await this.processHandshake(entry);
    }
    this.noteLeaf(entry, result);
    if (result.outcome === "removed") this.removed = true;
    this.mls = await this.enclave.call("mls_status", {});
    this.emit("handshake", { entry, outcome: result.outcome, epoch: this.epoch });
  }

  /** Remembers which address holds which leaf (for `remove --enclave`). */
  private noteLeaf(entry: HandshakeLogEntry, result: MlsProcessHandshakeResult): void {
    const sender = getAddress(entry.sender);
    if (entry.epoch === 0n) {
      this.leaves.set(0, sender);
      return;
    }
    if (result.outcome === "external_join" || (result.outcome === "own_commit" && this.mls.group?.member === false)) {
      this.leaves.set(result.committer, sender);
    }
  }

  private async applyCiphertext(entry: CiphertextLogEntry): Promise<void> {
    if (entry.stateCounter > this.highestChainCounter) this.highestChainCounter = entry.stateCounter;
    if (!this.stateRuntime || entry.stateCounter <= this.lastAppliedCounter) return;
    if (!this.isMember) {
      this.emit("unreadable", entry, this.removed ? "this enclave was removed from the group" : "posted before this enclave joined");
      return;
    }
    let result: StateApplyResult;
    try {
      result = await callState(this.enclave, "state_apply", {
        stateCounter: entry.stateCounter.toString(),
        epoch: entry.epoch.toString(),
        entry: entry.ciphertext as Hex,
        blockTimestamp: String(entry.blockTimestamp ?? 0),
      });
    } catch (error) {
      // In chain order a member meets these only for entries of epochs before it joined (a late joiner, or a
      // new machine without sealed data): they never become readable, so it waits for a snapshot entry.
      if (!(error instanceof EnclaveError) || (error.code !== "counter_gap" && error.code !== "epoch_mismatch")) throw error;
      if (this.awaitingSnapshot === undefined) {
        this.awaitingSnapshot = `entry #${entry.stateCounter}: ${error.code}: ${error.message}`;
        this.emit("awaitingSnapshot", entry, this.awaitingSnapshot);
      }
      this.emit("unreadable", entry, `waiting for a snapshot entry (${error.code})`);
      return;
    }
    this.lastAppliedCounter = entry.stateCounter;
    if (result.duplicate === true) return;
    if (result.snapshot === "adopted") this.awaitingSnapshot = undefined;
    this.emit("applied", { entry, result });
  }
}
