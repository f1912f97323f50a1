/**
 * The node's index of command outcomes from the log: for EVERY entry its applier applied that carried a user command
 * (any node's, not only its own), the command id, the runtime's outcome (applied / rejected, with the reason) and the
 * entry's log position. `GET /commands/:id` answers from it for commands submitted through other nodes, so a user
 * can settle a command through any node of the group (issue 15, item 4).
 *
 * It is the host's record of what `state_apply` returned (not signed by the enclave): docs/node.md "Command
 * outcomes of the whole log" says what an answer from it proves.
 *
 * Format: `<dataDir>/outcomes.index`, one JSON object per line `{"id","s":"applied"|"rejected","c":"<counter>","r"?}`,
 * appended after each applied entry (written to the file at once, not fsync'ed: a process crash loses nothing, a
 * machine crash may lose the last lines — those ids then answer `unknown_command` here while other nodes still know
 * them). On open it is compacted to the newest {@link OUTCOME_INDEX_KEEP} ids. A torn or bad line is skipped (the
 * index only ever adds knowledge; it never decides anything the node does).
 */
import fs from "node:fs";
import path from "node:path";
import type { Hex } from "../client/wire";

export const OUTCOME_INDEX_FILE = "outcomes.index";
/** Ids kept on compaction (about 120 bytes each on disk). */
export const OUTCOME_INDEX_KEEP = 100_000;

export interface IndexedOutcome {
  status: "applied" | "rejected";
  stateCounter: bigint;
  reason?: string;
}

interface Line {
  id: string;
  s: "applied" | "rejected";
  c: string;
  r?: string;
}

const ID = /^0x[0-9a-f]{64}$/;

function parse(line: string): Line | undefined {
  try {
    const r = JSON.parse(line) as Partial<Line>;
    if (typeof r.id !== "string" || !ID.test(r.id) || (r.s !== "applied" && r.s !== "rejected") || typeof r.c !== "string" || !/^[0-9]+$/.test(r.c)) return undefined;
    if (r.r !== undefined && typeof r.r !== "string") return undefined;
    return r as Line;
  } catch {
    return undefined;
  }
}

export class OutcomeIndex {
  private readonly outcomes = new Map<string, IndexedOutcome>();
  private fd: number | undefined;
  /** Lines in the file (compacted again past twice `keep`). */
  private lines = 0;

  private constructor(
    private readonly file: string,
    private readonly keep: number,
  ) {}

  /** Opens (creating) the index of `dataDir`, compacted to the newest `keep` ids. */
  static open(dataDir: string, keep = OUTCOME_INDEX_KEEP): OutcomeIndex {
    const index = new OutcomeIndex(path.join(dataDir, OUTCOME_INDEX_FILE), keep);
    index.load();
    index.compact();
    return index;
  }

  /**
   * After a rollback to a state that applied the log up to `lastApplied`: forgets the outcomes of later positions
   * (the replay of the new chain records them again). Returns how many were dropped.
   */
  static truncateAfter(dataDir: string, lastApplied: bigint): number {
    const index = OutcomeIndex.open(dataDir);
    let dropped = 0;
    for (const [id, outcome] of index.outcomes) {
      if (outcome.stateCounter > lastApplied) {
        index.outcomes.delete(id);
        dropped++;
      }
    }
    if (dropped > 0) index.compact();
    index.close();
    return dropped;
  }

  get(id: string): IndexedOutcome | undefined {
    const found = this.outcomes.get(id.toLowerCase());
    return found === undefined ? undefined : { ...found };
  }

  get size(): number {
    return this.outcomes.size;
  }

  /**
   * Records the outcome of the entry at `stateCounter` carrying command `id`. The first entry in log order that
   * carries an id is the command's outcome: a later entry with the same id (the same command sealed again, e.g. to
   * a second node) has the same sender and nonce, so it can only be rejected for its used nonce; it is not recorded.
   */
  record(id: Hex, outcome: IndexedOutcome): void {
    const key = id.toLowerCase();
    const known = this.outcomes.get(key);
    if (known !== undefined && known.stateCounter < outcome.stateCounter) return;
    this.outcomes.delete(key); // re-inserted as the newest
    this.outcomes.set(key, { ...outcome });
    if (this.outcomes.size > this.keep) this.outcomes.delete(this.outcomes.keys().next().value!);
    const line: Line = { id: key, s: outcome.status, c: outcome.stateCounter.toString(), ...(outcome.reason !== undefined ? { r: outcome.reason } : {}) };
    if (this.fd === undefined) this.fd = fs.openSync(this.file, "a", 0o600);
    fs.writeSync(this.fd, JSON.stringify(line) + "\n");
    if (++this.lines > 2 * this.keep) {
      this.close();
      this.compact();
    }
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  private load(): void {
    if (!fs.existsSync(this.file)) return;
    for (const text of fs.readFileSync(this.file, "utf8").split("\n")) {
      if (text.length === 0) continue;
      const line = parse(text);
      if (line === undefined) continue;
      this.outcomes.delete(line.id);
      this.outcomes.set(line.id, { status: line.s, stateCounter: BigInt(line.c), ...(line.r !== undefined ? { reason: line.r } : {}) });
    }
  }

  /** Rewrites the file atomically with the newest `keep` ids (oldest dropped from memory too). */
  private compact(): void {
    const excess = this.outcomes.size - this.keep;
    if (excess > 0) {
      let n = 0;
      for (const id of this.outcomes.keys()) {
        if (n++ >= excess) break;
        this.outcomes.delete(id);
      }
    }
    const lines = [...this.outcomes].map(([id, o]) => JSON.stringify({ id, s: o.status, c: o.stateCounter.toString(), ...(o.reason !== undefined ? { r: o.reason } : {}) }) + "\n");
    const tmp = `${this.file}.tmp`;
    const fd = fs.openSync(tmp, "w", 0o600);
    try {
      fs.writeSync(fd, lines.join(""));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
    this.lines = lines.length;
  }
}
