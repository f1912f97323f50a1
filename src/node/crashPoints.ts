/**
 * Deterministic crash injection for the recovery tests (docs/recovery.md). When the environment variable
 * `ANONIFY_NODE_CRASH_AT` is `<point>` or `<point>#<n>`, the host process kills itself with SIGKILL — no cleanup,
 * exactly like `kill -9` — the n-th time (default 1st) it reaches that point. Unset, every call is a no-op. The
 * enclave has the same hook for its own points (`ANONIFY_ENCLAVE_CRASH_AT`, simulation mode only).
 */
export const NODE_CRASH_POINTS = [
  /** A command is in the journal, before the HTTP API answers 202. */
  "command:accepted",
  /** A post (single entry or batch) is mined, before the node applied it. */
  "post:mined",
  /** The enclave applied (and sealed) an entry carrying a journaled command, before the journal says so. */
  "command:applied",
  /** A member commit (rotation/removal) is mined, before the node applied it. */
  "handshake:posted",
  /** anonify:deploy is about to prepare a transaction (its gas estimate; the Ignition journal holds the futures before it). */
  "deploy:send",
] as const;
export type NodeCrashPoint = (typeof NODE_CRASH_POINTS)[number];

export const NODE_CRASH_ENV = "ANONIFY_NODE_CRASH_AT";

const hits = new Map<string, number>();

function target(): { point: string; n: number } | undefined {
  const value = process.env[NODE_CRASH_ENV];
  if (value === undefined || value === "") return undefined;
  const [point, count] = value.split("#");
  return { point, n: count === undefined ? 1 : Number(count) };
}

export function crashPoint(point: NodeCrashPoint): void {
  const wanted = target();
  if (wanted === undefined || wanted.point !== point) return;
  const n = (hits.get(point) ?? 0) + 1;
  hits.set(point, n);
  if (n !== wanted.n) return;
  process.stderr.write(`anonify node: crash point ${point}#${n} reached (${NODE_CRASH_ENV}): SIGKILL\n`);
  process.kill(process.pid, "SIGKILL");
}
