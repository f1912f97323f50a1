/**
 * One process per data directory. A node's data dir holds one enclave identity, one command journal and one
 * `node.url`; two processes on it would share the enclave's leaf and paying account and wedge each other (the
 * second's commits are "from our own leaf" to the first). `AnonifyNode.start()` therefore first creates
 * `<dataDir>/node.lock` exclusively (O_EXCL) with its holder (PID, host, start time); `stop()` removes it.
 *
 * A lock whose process is gone (killed with -9, crashed, the machine rebooted) is stale: the next start takes it
 * over and says so. A live holder is refused with its PID. A holder on another host cannot be probed from here:
 * refused too, with what to check.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { NodeError } from "./errors";
import type { NodeLogger } from "./logger";

export const LOCK_FILE = "node.lock";
/** A lock file that does not parse yet may be one being written right now: younger than this, it is held. */
const UNREADABLE_GRACE_MS = 10_000;

export interface LockHolder {
  pid: number;
  hostname: string;
  /** ISO time the holder took the lock. */
  startedAt: string;
  /** Linux: the holder's start time in clock ticks since boot (/proc/<pid>/stat): tells a reused PID apart. */
  processStart?: string;
  /** Random per acquisition: several nodes in one process (scripts, tests) tell their locks apart. */
  token: string;
}

export type LockState =
  | { state: "free" }
  | { state: "held"; holder: LockHolder }
  /** Held by a process on another host (shared file system): its liveness cannot be probed from here. */
  | { state: "foreign"; holder: LockHolder }
  | { state: "stale"; holder?: LockHolder; why: string };

export function lockFile(dataDir: string): string {
  return path.join(dataDir, LOCK_FILE);
}

/** Linux: state and start time of process `pid` from /proc, or undefined (not Linux, or no such process). */
function procStat(pid: number): { state: string; start: string } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0], start: fields[19] }; // fields 3 and 22 of proc(5)
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"; // alive, another user's
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const holder = JSON.parse(text) as LockHolder;
    if (!Number.isSafeInteger(holder.pid) || holder.pid <= 0 || typeof holder.hostname !== "string" || typeof holder.token !== "string") return undefined;
    return holder;
  } catch {
    return undefined;
  }
}

/** Who holds `dataDir`'s lock, judged from here. */
export function inspectLock(dataDir: string): LockState {
  const file = lockFile(dataDir);
  let text: string;
  let mtimeMs: number;
  try {
    text = fs.readFileSync(file, "utf8");
    mtimeMs = fs.statSync(file).mtimeMs;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { state: "free" };
    throw error;
  }
  return judge(text, mtimeMs);
}

function judge(text: string, mtimeMs: number): LockState {
  const holder = parseHolder(text);
  if (holder === undefined) {
    // Created (O_EXCL) but not written yet by a starting node, or left empty by one killed right then.
    if (Date.now() - mtimeMs < UNREADABLE_GRACE_MS) {
      return { state: "held", holder: { pid: 0, hostname: os.hostname(), startedAt: new Date(mtimeMs).toISOString(), token: "" } };
    }
    return { state: "stale", why: "the lock file names no holder (its writer was killed while creating it)" };
  }
  if (holder.hostname !== os.hostname()) return { state: "foreign", holder };
  if (!processAlive(holder.pid)) return { state: "stale", holder, why: `PID ${holder.pid} is no longer running` };
  const stat = procStat(holder.pid);
  if (stat?.state === "Z") return { state: "stale", holder, why: `PID ${holder.pid} has exited (a zombie)` };
  if (stat !== undefined && holder.processStart !== undefined && stat.start !== holder.processStart) {
    return { state: "stale", holder, why: `PID ${holder.pid} was reused by another process` };
  }
  return { state: "held", holder };
}

/** The refusal when `holder` holds `dataDir` (start, or an operator task that would start a node). */
export function lockedError(dataDir: string, state: Extract<LockState, { state: "held" | "foreign" }>): NodeError {
  const { holder } = state;
  const file = lockFile(dataDir);
  if (state.state === "foreign") {
    return new NodeError(
      "data_dir_locked",
      `data dir ${dataDir} is locked by PID ${holder.pid} on host ${holder.hostname} (since ${holder.startedAt}; ${file}), ` +
        `which this host cannot check. Only one process may run a node on a data dir: stop that node there; ` +
        `if it is gone, delete ${file} and start again`,
      409,
    );
  }
  if (holder.pid === 0) {
    return new NodeError("data_dir_locked", `data dir ${dataDir} is being locked by another node starting right now (${file}): wait for it, or stop it`, 409);
  }
  const who = holder.pid === process.pid ? `PID ${holder.pid} (this process: another AnonifyNode on the same data dir)` : `PID ${holder.pid}`;
  return new NodeError(
    "data_dir_locked",
    `data dir ${dataDir} is in use by another node: ${who}, running since ${holder.startedAt} (${file}). ` +
      `Only one process may run a node on a data dir (a second one would share its enclave identity and account and wedge it). ` +
      `Stop that node first (Ctrl-C, or kill ${holder.pid}), or act on it while it runs through its admin API: ` +
      `anonify:rotate / anonify:remove / anonify:policy-change --node ${dataDir}`,
    409,
  );
}

/** An exclusive lock on a data dir, held from `acquire` until `release`. */
export class DataDirLock {
  private released = false;

  private constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
  ) {}

  get file(): string {
    return lockFile(this.dataDir);
  }

  /**
   * Creates the lock file exclusively; a stale lock is taken over (logged), a live one refused
   * (`data_dir_locked`, naming the holder's PID and what to do).
   */
  static acquire(dataDir: string, logger: NodeLogger): DataDirLock {
    const file = lockFile(dataDir);
    const holder: LockHolder = {
      pid: process.pid,
      hostname: os.hostname(),
      startedAt: new Date().toISOString(),
      ...(procStat(process.pid) !== undefined ? { processStart: procStat(process.pid)!.start } : {}),
      token: randomBytes(16).toString("hex"),
    };
    for (let attempt = 0; attempt < 5; attempt++) {
      let fd: number;
      try {
        fd = fs.openSync(file, "wx", 0o600);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        const state = inspectLock(dataDir);
        if (state.state === "held" || state.state === "foreign") throw lockedError(dataDir, state);
        if (state.state === "stale") DataDirLock.takeOver(dataDir, state, logger);
        continue; // free now (removed by us or its holder): create it again
      }
      try {
        fs.writeSync(fd, JSON.stringify(holder) + "\n");
      } finally {
        fs.closeSync(fd);
      }
      return new DataDirLock(dataDir, holder);
    }
    throw new NodeError("data_dir_locked", `data dir ${dataDir}: could not take ${file} (other processes keep creating it)`, 409);
  }

  /**
   * Removes a stale lock without racing another starter that judged it stale too: the file is moved aside
   * first, and only deleted when it is still the one judged stale (else it is put back: that starter won).
   */
  private static takeOver(dataDir: string, stale: Extract<LockState, { state: "stale" }>, logger: NodeLogger): void {
    const file = lockFile(dataDir);
    const aside = `${file}.stale-${process.pid}-${randomBytes(4).toString("hex")}`;
    try {
      fs.renameSync(file, aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return; // someone removed it meanwhile
      throw error;
    }
    const moved = parseHolder(fs.readFileSync(aside, "utf8"));
    if (moved?.token !== stale.holder?.token) {
      try {
        fs.linkSync(aside, file); // a live holder's lock, created after we judged: put it back
      } catch {
        // another starter created one meanwhile: theirs stands
      }
      fs.rmSync(aside, { force: true });
      return;
    }
    fs.rmSync(aside, { force: true });
    const h = stale.holder;
    logger.warn(
      `removed a stale lock on ${dataDir}${h !== undefined ? ` of PID ${h.pid} (since ${h.startedAt})` : ""}: ${stale.why}; ` +
        `the node that held it did not stop cleanly (the sealed state, the journal and the log recover it)`,
    );
  }

  /** Whether the lock file is still this lock's. */
  owned(): boolean {
    if (this.released) return false;
    try {
      return parseHolder(fs.readFileSync(this.file, "utf8"))?.token === this.holder.token;
    } catch {
      return false;
    }
  }

  /** Removes the lock file when it is still ours (never another holder's). Idempotent. */
  release(): void {
    if (this.owned()) fs.rmSync(this.file, { force: true });
    this.released = true;
  }
}
