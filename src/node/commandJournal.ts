/**
 * The node's durable record of the user commands it accepted, so a crash or restart loses none of them.
 *
 * A command is written here (and fsync'ed) before the HTTP API answers 202, and marked done when the log applies
 * it (or the node gives up on it). On start the node reloads the open ones: those the log already holds are
 * settled by the replay, the others are sealed to the enclave again and posted. Nothing is applied twice either
 * way: the enclave accepts a user's command only with the user's next nonce, so a command that reached the log
 * before the crash is refused as `nonce_mismatch` on re-submission.
 *
 * Format: one JSON object per line (`accepted` with the user's sealed payload — HPKE ciphertext, nothing secret —
 * then `posted` and `done` records). A torn last line (a crash mid-write) is ignored; any other bad line is an
 * error naming the line. The file is compacted on open (open commands plus the latest finished ones).
 */
import fs from "node:fs";
import path from "node:path";
import type { CommandStatus, CommandStatusName, Hex } from "../client/wire";
import { NodeError } from "./errors";

export const COMMAND_JOURNAL_FILE = "commands.journal";
/** Finished commands kept on compaction (their status stays queryable across restarts). */
export const JOURNAL_KEEP_FINISHED = 1_000;

export type FinalStatusName = Exclude<CommandStatusName, "queued" | "posted">;

type JournalRecord =
  | { t: "accepted"; id: Hex; payload: Hex }
  | { t: "posted"; id: Hex; txHash: Hex; stateCounter?: string }
  | { t: "done"; id: Hex; status: FinalStatusName; stateCounter?: string; reason?: string }
  /** A reorg dropped the entry the command was applied in: open again. */
  | { t: "reopened"; id: Hex };

export interface JournaledCommand {
  status: CommandStatus;
  /** The user's sealed command (HPKE to the enclave key). */
  payload: Hex;
}

const HEX = /^0x[0-9a-f]*$/;
const FINAL: ReadonlySet<string> = new Set<FinalStatusName>(["applied", "rejected", "failed", "settled"]);

function parseRecord(line: string): JournalRecord {
  const r = JSON.parse(line) as Record<string, unknown>;
  const hex = (v: unknown) => typeof v === "string" && HEX.test(v);
  const optionalString = (v: unknown) => v === undefined || typeof v === "string";
  const ok =
    typeof r === "object" &&
    r !== null &&
    hex(r.id) &&
    ((r.t === "accepted" && hex(r.payload)) ||
      (r.t === "posted" && hex(r.txHash) && optionalString(r.stateCounter)) ||
      (r.t === "done" && typeof r.status === "string" && FINAL.has(r.status) && optionalString(r.stateCounter) && optionalString(r.reason)) ||
      r.t === "reopened");
  if (!ok) throw new Error("not a journal record");
  return r as unknown as JournalRecord;
}

export class CommandJournal {
  private fd: number | undefined;
  private readonly file: string;

  /** Opens (creating) `<dataDir>/commands.journal` and returns the commands it holds, oldest first. */
  static open(dataDir: string): { journal: CommandJournal; commands: JournaledCommand[] } {
    const journal = new CommandJournal(path.join(dataDir, COMMAND_JOURNAL_FILE));
    const commands = journal.load();
    journal.compact(commands);
    return { journal, commands };
  }

  /**
   * After a rollback to a state that applied the log up to `lastApplied`: commands the journal says were applied
   * (or rejected, or settled) at a later counter are open again, so the node re-submits those the new chain lacks.
   * Returns how many were reopened.
   */
  static reopenAfter(dataDir: string, lastApplied: bigint): number {
    const { journal, commands } = CommandJournal.open(dataDir);
    let reopened = 0;
    try {
      for (const c of commands) {
        const { status, stateCounter } = c.status;
        const final = status === "applied" || status === "rejected" || status === "settled";
        if (final && (stateCounter === undefined || BigInt(stateCounter) > lastApplied)) {
          journal.append({ t: "reopened", id: c.status.id });
          reopened++;
        }
      }
    } finally {
      journal.close();
    }
    return reopened;
  }

  private constructor(file: string) {
    this.file = file;
  }

  accepted(id: Hex, payload: Hex): void {
    this.append({ t: "accepted", id, payload });
  }

  posted(id: Hex, txHash: Hex, stateCounter?: string): void {
    this.append({ t: "posted", id, txHash, ...(stateCounter !== undefined ? { stateCounter } : {}) });
  }

  done(status: CommandStatus & { status: FinalStatusName }): void {
    const { id, stateCounter, reason } = status;
    this.append({ t: "done", id, status: status.status, ...(stateCounter !== undefined ? { stateCounter } : {}), ...(reason !== undefined ? { reason } : {}) });
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  /** One line, written and fsync'ed before returning: the caller acknowledges only what is on disk. */
  private append(record: JournalRecord): void {
    if (this.fd === undefined) this.fd = fs.openSync(this.file, "a", 0o600);
    fs.writeSync(this.fd, JSON.stringify(record) + "\n");
    fs.fsyncSync(this.fd);
  }

  private load(): JournaledCommand[] {
    if (!fs.existsSync(this.file)) return [];
    const text = fs.readFileSync(this.file, "utf8");
    const lines = text.split("\n");
    const torn = !text.endsWith("\n") && text.length > 0;
    const commands = new Map<string, JournaledCommand>();
    lines.forEach((line, index) => {
      if (line.length === 0) return;
      let record: JournalRecord;
      try {
        record = parseRecord(line);
      } catch (error) {
        if (torn && index === lines.length - 1) return; // the write a crash interrupted: never acknowledged
        throw new NodeError("state_unavailable", `${this.file} line ${index + 1} is corrupt (${(error as Error).message}); move the file away to start without it`, 503);
      }
      if (record.t === "accepted") {
        if (!commands.has(record.id)) commands.set(record.id, { status: { id: record.id, status: "queued" }, payload: record.payload });
        return;
      }
      const known = commands.get(record.id);
      if (known === undefined) return;
      if (record.t === "reopened") {
        known.status = { id: known.status.id, status: "queued" };
      } else if (record.t === "posted") {
        if (known.status.status === "queued") known.status.status = "posted";
        known.status.txHash = record.txHash;
        if (record.stateCounter !== undefined) known.status.stateCounter = record.stateCounter;
      } else {
        known.status.status = record.status;
        if (record.stateCounter !== undefined) known.status.stateCounter = record.stateCounter;
        if (record.reason !== undefined) known.status.reason = record.reason;
        else delete known.status.reason;
      }
    });
    return [...commands.values()];
  }

  /** Rewrites the file atomically with the open commands and the latest finished ones. */
  private compact(commands: JournaledCommand[]): void {
    const finished = commands.filter((c) => FINAL.has(c.status.status));
    const keep = new Set([...commands.filter((c) => !FINAL.has(c.status.status)), ...finished.slice(-JOURNAL_KEEP_FINISHED)]);
    const lines: string[] = [];
    for (const c of commands) {
      if (!keep.has(c)) continue;
      const { id, status, txHash, stateCounter, reason } = c.status;
      lines.push(JSON.stringify({ t: "accepted", id, payload: c.payload }));
      if (txHash !== undefined) lines.push(JSON.stringify({ t: "posted", id, txHash, ...(stateCounter !== undefined ? { stateCounter } : {}) }));
      if (FINAL.has(status)) lines.push(JSON.stringify({ t: "done", id, status, ...(stateCounter !== undefined ? { stateCounter } : {}), ...(reason !== undefined ? { reason } : {}) }));
    }
    const tmp = `${this.file}.tmp`;
    const fd = fs.openSync(tmp, "w", 0o600);
    try {
      fs.writeSync(fd, lines.map((l) => l + "\n").join(""));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
  }
}
