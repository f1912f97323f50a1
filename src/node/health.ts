/**
 * What a node's `/health` says about itself, as pure functions of recorded inputs (AnonifyNode feeds them): whether
 * it serves (started, a member, enclave alive), whether its sync is wedged (the same error for N consecutive steps),
 * whether it is stalled (the chain holds entries it has not applied and its applied counter has not moved for longer
 * than a bound), the RPC state, and the overall status: "ok" (HTTP 200), "degraded" or "down" (HTTP 503).
 */
import type { NodeHealth } from "../client/wire";
import { NodeError } from "./errors";

/** Consecutive failed sync steps with the same error after which the node is wedged. */
export const DEFAULT_WEDGED_AFTER_STEPS = 5;
/** The stall bound: at least this long, and at least 10 poll intervals. */
export const MIN_STALLED_AFTER_MS = 30_000;

export interface HealthOptions {
  /** Consecutive sync steps failing with the same error that make the node wedged. Default 5. */
  wedgedAfterSteps?: number;
  /**
   * How long the applied counter may stay put while the chain holds entries the node has not applied before the
   * node is stalled. Default max(30 s, 10 × pollIntervalMs).
   */
  stalledAfterMs?: number;
}

export function resolveHealthOptions(options: HealthOptions | undefined, pollIntervalMs: number): Required<HealthOptions> {
  const wedgedAfterSteps = options?.wedgedAfterSteps ?? DEFAULT_WEDGED_AFTER_STEPS;
  const stalledAfterMs = options?.stalledAfterMs ?? Math.max(MIN_STALLED_AFTER_MS, 10 * pollIntervalMs);
  if (!Number.isSafeInteger(wedgedAfterSteps) || wedgedAfterSteps < 1) {
    throw new NodeError("invalid_options", `health.wedgedAfterSteps must be a positive integer, got ${wedgedAfterSteps}`);
  }
  if (!Number.isFinite(stalledAfterMs) || stalledAfterMs <= 0) {
    throw new NodeError("invalid_options", `health.stalledAfterMs must be a positive number of milliseconds, got ${stalledAfterMs}`);
  }
  return { wedgedAfterSteps, stalledAfterMs };
}

/** The last sync error and how many consecutive steps failed with it. */
export interface SyncErrorRecord {
  message: string;
  /** Consecutive failed steps with this message. */
  count: number;
  /** When the first of them failed (ms since the epoch). */
  since: number;
  /** The error was the RPC's unreachability (chain_unreachable): an outage, not a wedged node. */
  rpc: boolean;
}

/** Tracks the sync loop's failures: consecutive steps with the same error; a successful step clears it. */
export class SyncErrorTracker {
  private record: SyncErrorRecord | undefined;

  /** Notes a failed step; returns true when the message differs from the previous one (log it once). */
  failed(error: unknown, now = Date.now()): boolean {
    const message = (error as Error)?.message ?? String(error);
    const rpc = error instanceof NodeError && error.code === "chain_unreachable";
    if (this.record !== undefined && this.record.message === message) {
      this.record.count++;
      this.record.rpc = rpc;
      return false;
    }
    this.record = { message, count: 1, since: now, rpc };
    return true;
  }

  succeeded(): void {
    this.record = undefined;
  }

  get last(): SyncErrorRecord | undefined {
    return this.record === undefined ? undefined : { ...this.record };
  }
}

/**
 * Tracks when the applied counter last moved while the chain was ahead: the stall clock starts when a lag is first
 * seen at the current applied counter (a node idle and caught up for an hour is not stalled by a new entry).
 */
export class ProgressTracker {
  private applied: bigint | undefined;
  private behindSince: number | undefined;

  /** Records one observation; returns since when the node is behind at the same applied counter (or undefined). */
  observe(applied: bigint, chainCounter: bigint, now = Date.now()): number | undefined {
    if (applied !== this.applied) {
      this.applied = applied;
      this.behindSince = undefined;
    }
    if (chainCounter <= applied) this.behindSince = undefined;
    else this.behindSince ??= now;
    return this.behindSince;
  }

  get since(): number | undefined {
    return this.behindSince;
  }
}

export interface HealthInputs {
  /** start() finished and stop() has not begun. */
  started: boolean;
  /** The enclave process runs. */
  enclaveAlive: boolean;
  /** The enclave is a member of the group (and was not removed). */
  member: boolean;
  applied: bigint;
  chainCounter: bigint;
  /** Since when the node is behind at its current applied counter (ProgressTracker). */
  behindSince: number | undefined;
  syncError: SyncErrorRecord | undefined;
  rpc: "ok" | "unreachable";
  now: number;
  options: Required<HealthOptions>;
}

/** What `healthReport` needs beyond the classification's inputs. */
export interface HealthFacts extends HealthInputs {
  rpcUnreachableSince: number | undefined;
  rpcLastError: string | undefined;
  /** The chain's head block as last seen, and the newest block the sync read. */
  headBlock: number | undefined;
  lastReadBlock: number | undefined;
}

export interface HealthVerdict {
  status: "ok" | "degraded" | "down";
  serving: boolean;
  wedged: boolean;
  stalled: boolean;
  /** Why the status is not "ok", one short phrase each. */
  reasons: string[];
}

/**
 * down: not serving, or wedged (its own sync fails on the same error again and again: it will not recover by
 * itself). degraded: serving but stalled, or the chain RPC is unreachable (figures may be stale). ok otherwise.
 */
export function classifyHealth(input: HealthInputs): HealthVerdict {
  const serving = input.started && input.enclaveAlive && input.member;
  const error = input.syncError;
  const wedged = error !== undefined && !error.rpc && error.count >= input.options.wedgedAfterSteps;
  const stalled =
    input.chainCounter > input.applied && input.behindSince !== undefined && input.now - input.behindSince > input.options.stalledAfterMs;
  const reasons: string[] = [];
  if (!input.started) reasons.push("not started");
  if (!input.enclaveAlive) reasons.push("enclave not running");
  if (input.started && input.enclaveAlive && !input.member) reasons.push("not a member of the group");
  if (wedged) reasons.push(`sync wedged: ${error.count} steps failed with "${error.message}"`);
  if (stalled) reasons.push(`stalled: ${input.chainCounter - input.applied} entries behind for ${Math.round((input.now - input.behindSince!) / 1000)} s`);
  if (input.rpc === "unreachable") reasons.push("chain RPC unreachable");
  const status = !serving || wedged ? "down" : stalled || input.rpc === "unreachable" ? "degraded" : "ok";
  return { status, serving, wedged, stalled, reasons };
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The counters, lags, classification and RPC fields of `/health` (NodeHealth in src/client/wire.ts). */
export function healthReport(
  facts: HealthFacts,
): Omit<NodeHealth, "mode" | "address" | "joined" | "epoch" | "awaitingSnapshot"> {
  const verdict = classifyHealth(facts);
  const { applied, chainCounter, behindSince, syncError, headBlock, lastReadBlock, rpcUnreachableSince: since } = facts;
  return {
    status: verdict.status,
    stateCounter: applied.toString(),
    chainStateCounter: chainCounter.toString(),
    lag: (chainCounter > applied ? chainCounter - applied : 0n).toString(),
    ...(since === undefined ? { chain: "ok" as const } : { chain: "unreachable" as const, chainUnreachableSince: iso(since) }),
    serving: verdict.serving,
    wedged: verdict.wedged,
    stalled: verdict.stalled,
    ...(behindSince !== undefined ? { behindSince: iso(behindSince) } : {}),
    reasons: verdict.reasons,
    ...(headBlock !== undefined ? { headBlock: String(headBlock) } : {}),
    ...(lastReadBlock !== undefined ? { lastReadBlock: String(lastReadBlock) } : {}),
    ...(headBlock !== undefined && lastReadBlock !== undefined ? { blockLag: String(Math.max(0, headBlock - lastReadBlock)) } : {}),
    ...(syncError !== undefined ? { syncError: { message: syncError.message, count: syncError.count, since: iso(syncError.since) } } : {}),
    rpc: since === undefined ? { state: facts.rpc } : { state: facts.rpc, lastError: facts.rpcLastError, since: iso(since) },
  };
}
