/**
 * Restore points: copies of the enclave's sealed directory, each taken when the node had applied the log up to a
 * block and the enclave was idle (the node copies through `EnclaveProcess.whenQuiet`), so a reorg that drops or reorders entries the enclave already applied can be undone: the node puts back
 * the newest copy taken at or before the fork block and replays the log from there (docs/recovery.md).
 *
 * The copies are sealed files (encrypted under the enclave's sealing key; nothing readable), one directory per
 * point named by block number, with `point.json` (block, hash, lastApplied) written last, so a copy torn by a crash
 * is not a point. Restoring writes a `restoring` marker first and removes it after the caller's `onRestored` (the
 * node reopens its journal there), so a crash in the middle is finished by the next start. Points are kept for `keepBlocks` blocks behind the newest (plus the newest older one: the safe point).
 *
 * Putting an older sealed state back is something a host can always do; it is safe because the enclave applies
 * only log entries (signed by attested members, in chain order) and user nonces are part of the state: replaying
 * cannot apply anything twice or anything that is not in the canonical log.
 */
import fs from "node:fs";
import path from "node:path";
import { NodeError } from "./errors";

export const RESTORE_POINTS_DIR = "restore-points";
/**
 * Files of the sealed directory that are no part of any state: an atomic write in flight (enclave/src/enclave/sealing.cpp:
 * `<file>.tmp-<tag>-<n>`, renamed over <file> when complete). Both slots of the store manifest are state
 * (`store-manifest.sealed` and `store-manifest.sealed.b`, alternating_file.h: either may hold the newest manifest) and
 * are copied.
 */
const NOT_STATE = /\.tmp-[^/]*-\d+$/;
const POINT_FILE = "point.json";
const RESTORING_MARKER = "restoring";
/** Default number of blocks behind the head for which points are kept (the deepest reorg the node undoes). */
export const DEFAULT_KEEP_BLOCKS = 64;

export interface RestorePoint {
  /** The last block whose entries the copy holds. */
  block: number;
  /** That block's hash when the point was taken. */
  hash: string;
  /** The enclave's state_status.lastApplied in the copy. */
  lastApplied: string;
}

export class RestorePoints {
  private readonly root: string;

  /**
   * @param dataDir the node's data dir (points live in `<dataDir>/restore-points`)
   * @param sealedDir the enclave's sealed directory the points copy and restore
   */
  constructor(
    dataDir: string,
    private readonly sealedDir: string,
    private readonly keepBlocks = DEFAULT_KEEP_BLOCKS,
  ) {
    if (!Number.isSafeInteger(keepBlocks) || keepBlocks < 1) throw new NodeError("invalid_options", `reorgDepth must be a positive integer of blocks, got ${keepBlocks}`);
    this.root = path.join(dataDir, RESTORE_POINTS_DIR);
  }

  /** Points on disk, oldest first (torn copies are ignored). */
  list(): RestorePoint[] {
    if (!fs.existsSync(this.root)) return [];
    const points: RestorePoint[] = [];
    for (const name of fs.readdirSync(this.root)) {
      const file = path.join(this.root, name, POINT_FILE);
      if (!/^\d+$/.test(name) || !fs.existsSync(file)) continue;
      points.push(JSON.parse(fs.readFileSync(file, "utf8")) as RestorePoint);
    }
    return points.sort((x, y) => x.block - y.block);
  }

  /** Copies the sealed directory as the point of `point.block` (replacing an older copy of that block). */
  take(point: RestorePoint): void {
    const dir = path.join(this.root, String(point.block));
    const tmp = `${dir}.tmp`;
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp, { recursive: true, mode: 0o700 });
    for (const name of fs.readdirSync(this.sealedDir)) {
      // Not state (NOT_STATE), and an in-flight write can vanish between the listing and its copy (a clean-clone run
      // hit that).
      if (NOT_STATE.test(name)) continue;
      const from = path.join(this.sealedDir, name);
      if (fs.statSync(from).isFile()) fs.copyFileSync(from, path.join(tmp, name));
    }
    fs.writeFileSync(path.join(tmp, POINT_FILE), JSON.stringify(point));
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(tmp, dir);
  }

  /** Drops points older than `keepBlocks` behind `head`, keeping the newest of those (the safe point). */
  prune(head: number): void {
    const points = this.list();
    const old = points.filter((p) => p.block < head - this.keepBlocks);
    for (const p of old.slice(0, -1)) fs.rmSync(path.join(this.root, String(p.block)), { recursive: true, force: true });
  }

  /** The newest point whose block is at or before `block`. */
  newestAtOrBefore(block: number): RestorePoint | undefined {
    return this.list().filter((p) => p.block <= block).pop();
  }

  /**
   * Replaces the sealed directory's files with the point's (the enclave must not run). Points after it are dropped:
   * they hold blocks the reorg removed.
   */
  restore(point: RestorePoint, onRestored: (point: RestorePoint) => void): void {
    const marker = path.join(this.root, RESTORING_MARKER);
    fs.writeFileSync(marker, String(point.block));
    this.copyBack(point.block);
    onRestored(point); // before the marker goes: a crash in it is redone by the next start (it must be idempotent)
    for (const p of this.list()) if (p.block > point.block) fs.rmSync(path.join(this.root, String(p.block)), { recursive: true, force: true });
    fs.rmSync(marker);
  }

  /**
   * Finishes a restore a crash interrupted (call before the enclave starts), with the same `onRestored`; returns the
   * point it restored.
   */
  finishInterruptedRestore(onRestored: (point: RestorePoint) => void): RestorePoint | undefined {
    const marker = path.join(this.root, RESTORING_MARKER);
    if (!fs.existsSync(marker)) return undefined;
    const block = Number(fs.readFileSync(marker, "utf8"));
    const point = this.list().find((p) => p.block === block);
    if (point === undefined) throw new NodeError("state_unavailable", `${marker} names restore point ${block}, which is missing`, 503);
    this.restore(point, onRestored);
    return point;
  }

  private copyBack(block: number): void {
    const dir = path.join(this.root, String(block));
    const files = fs.readdirSync(dir).filter((name) => name !== POINT_FILE);
    for (const name of fs.readdirSync(this.sealedDir)) {
      if (!files.includes(name)) fs.rmSync(path.join(this.sealedDir, name), { force: true });
    }
    for (const name of files) {
      const tmp = path.join(this.sealedDir, `.${name}.restore`);
      fs.copyFileSync(path.join(dir, name), tmp);
      fs.renameSync(tmp, path.join(this.sealedDir, name));
    }
  }
}
