/**
 * The node's view of its chain RPC: every provider call goes through `ChainRpc.call`, which bounds it with a
 * per-call timeout (a paused or overloaded RPC never answers) and retries transport failures (refused, reset,
 * timed out) with exponential backoff and jitter, up to a retry cap that ends in a clear `chain_unreachable`
 * error. One tracker per node notes when the RPC became unreachable and logs one line when an outage starts and
 * one when it ends, never one per retry. JSON-RPC errors (reverts, nonce refusals) are answers, not outages:
 * they pass through at once.
 */
import type { Provider } from "ethers";
import { NodeError } from "./errors";
import type { NodeLogger } from "./logger";
import { searchErrorChain } from "../errorChain";

export interface RpcOptions {
  /** A call without an answer after this long counts as a transport failure. Default 15 s. */
  callTimeoutMs?: number;
  /** First backoff delay; doubles per retry up to `maxBackoffMs`, with jitter. Default 200 ms. */
  backoffMs?: number;
  /** Default 5 s. */
  maxBackoffMs?: number;
  /** How long one call keeps retrying before it fails with `chain_unreachable` (the retry cap). Default 60 s. */
  retryCapMs?: number;
}

const DEFAULTS: Required<RpcOptions> = { callTimeoutMs: 15_000, backoffMs: 200, maxBackoffMs: 5_000, retryCapMs: 60_000 };

/** Provider methods that only read (or, for `broadcastTransaction`, are idempotent by transaction hash). */
const GUARDED_METHODS = new Set([
  "getBlockNumber",
  "getNetwork",
  "getCode",
  "getLogs",
  "getBlock",
  "getTransaction",
  "getTransactionReceipt",
  "getTransactionCount",
  "getBalance",
  "getStorage",
  "getFeeData",
  "call",
  "estimateGas",
  "broadcastTransaction",
  "send",
]);

/** The call did not answer within `callTimeoutMs`. */
export class RpcTimeoutError extends Error {
  readonly code = "TIMEOUT";
  constructor(what: string, ms: number) {
    super(`${what}: no answer from the chain RPC within ${ms} ms`);
    this.name = "RpcTimeoutError";
  }
}

/** A short, stable name of a transport failure (for the outage log line), or undefined for an RPC answer. */
export function transportFailure(error: unknown): string | undefined {
  if (error instanceof RpcTimeoutError) return "timeout";
  return searchErrorChain(error, (e) => {
    const code = String(e.code ?? "");
    const text = String(e.message ?? "").toLowerCase();
    if (code === "ECONNREFUSED" || text.includes("econnrefused")) return "connection refused";
    if (code === "ECONNRESET" || code === "EPIPE" || text.includes("econnreset") || text.includes("socket hang up")) return "connection reset";
    if (code === "ETIMEDOUT" || code === "TIMEOUT" || text.includes("timeout")) return "timeout";
    // ethers: a non-JSON or non-2xx reply (a proxy or load balancer in trouble), or a failed request.
    if (code === "SERVER_ERROR" || code === "NETWORK_ERROR") return "server error";
    if (text.includes("cannot connect to the network")) return "connection refused"; // Hardhat's HTTP provider
    return undefined;
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export type ChainReachability = "ok" | "unreachable";

export class ChainRpc {
  /** The node's provider with every read wrapped in `call` (give this to readers and contracts). */
  readonly provider: Provider;
  private readonly options: Required<RpcOptions>;
  private outageStart: number | undefined;
  private outageFailures = 0;
  private outageReason = "";
  /** Bumped by `interrupt()`: retry loops of an older generation give up. */
  private generation = 0;
  private readonly wakers = new Set<() => void>();
  /** Completed outages (start to end), for health and tests. */
  outages = 0;

  constructor(
    readonly raw: Provider,
    private readonly logger: NodeLogger,
    options: RpcOptions = {},
  ) {
    this.options = { ...DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
    for (const [name, value] of Object.entries(this.options)) {
      if (!Number.isFinite(value) || value <= 0) throw new NodeError("invalid_options", `rpc.${name} must be a positive number of milliseconds, got ${value}`);
    }
    this.provider = guardedProvider(raw, this);
  }

  get reachability(): ChainReachability {
    return this.outageStart === undefined ? "ok" : "unreachable";
  }
  /** When the current outage began (ms since the epoch), or undefined. */
  get unreachableSince(): number | undefined {
    return this.outageStart;
  }
  /** The failure that started the current outage ("connection refused", "timeout", …), or undefined. */
  get unreachableReason(): string | undefined {
    return this.outageStart === undefined ? undefined : this.outageReason;
  }
  get callTimeoutMs(): number {
    return this.options.callTimeoutMs;
  }
  get retryCapMs(): number {
    return this.options.retryCapMs;
  }

  /**
   * Runs `fn` with the per-call timeout; transport failures are retried with backoff and jitter until the retry
   * cap, then `NodeError("chain_unreachable")`. Anything else `fn` throws is the RPC's answer and passes through.
   */
  async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    let firstFailure: number | undefined;
    let delay = this.options.backoffMs;
    const generation = this.generation;
    for (;;) {
      if (generation !== this.generation) throw new NodeError("chain_unreachable", `${what}: the node is stopping`, 503);
      try {
        const value = await this.attempt(what, fn);
        this.noteSuccess();
        return value;
      } catch (error) {
        const failure = transportFailure(error);
        if (failure === undefined) {
          this.noteSuccess(); // the RPC answered (with an error): it is reachable
          throw error;
        }
        this.noteFailure(what, failure);
        const now = Date.now();
        firstFailure ??= now;
        if (now - firstFailure >= this.options.retryCapMs) {
          throw new NodeError(
            "chain_unreachable",
            `the chain RPC did not answer ${what} within the retry cap (${this.options.retryCapMs} ms): ${failure}`,
            503,
          );
        }
        // Equal jitter: half the delay fixed, half random, so nodes that lost the same RPC do not retry in step.
        await this.pause(Math.min(delay / 2 + Math.random() * (delay / 2), firstFailure + this.options.retryCapMs - now));
        delay = Math.min(delay * 2, this.options.maxBackoffMs);
      }
    }
  }

  /**
   * One attempt, no retry, bounded by `timeoutMs` (default: the call timeout, at most 2 s), for health: the value,
   * or undefined when the RPC did not answer.
   */
  async probe<T>(what: string, fn: () => Promise<T>, timeoutMs = Math.min(this.options.callTimeoutMs, 2_000)): Promise<T | undefined> {
    try {
      const value = await this.attempt(what, fn, timeoutMs);
      this.noteSuccess();
      return value;
    } catch (error) {
      const failure = transportFailure(error);
      if (failure === undefined) throw error;
      this.noteFailure(what, failure);
      return undefined;
    }
  }

  /** Ends the retry loops running now (node stop): they fail with chain_unreachable at once. */
  interrupt(): void {
    this.generation++;
    for (const wake of this.wakers) wake();
  }

  private attempt<T>(what: string, fn: () => Promise<T>, timeoutMs = this.options.callTimeoutMs): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new RpcTimeoutError(what, timeoutMs)), timeoutMs);
      // A timed-out call may still answer later: its result is dropped (every guarded call is idempotent).
      fn().then(resolve, reject).finally(() => clearTimeout(timer));
    });
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, Math.max(0, ms));
      this.wakers.add(wake);
    });
  }

  private noteFailure(what: string, failure: string): void {
    this.outageFailures++;
    if (this.outageStart !== undefined) return;
    this.outageStart = Date.now();
    this.outageReason = failure;
    this.logger.warn(`chain RPC unreachable (${what}: ${failure}); retrying with backoff, retry cap ${this.options.retryCapMs} ms per call`);
  }

  private noteSuccess(): void {
    if (this.outageStart === undefined) return;
    const seconds = ((Date.now() - this.outageStart) / 1000).toFixed(1);
    this.logger.info(`chain RPC reachable again after ${seconds} s (${this.outageFailures} failed calls, first: ${this.outageReason})`);
    this.outageStart = undefined;
    this.outageFailures = 0;
    this.outages++;
  }
}

/**
 * `raw` with its read methods wrapped in `rpc.call`. Methods run on the real provider (`this` = `raw`; ethers keeps
 * private fields), so calls ethers makes internally are not wrapped twice.
 */
function guardedProvider(raw: Provider, rpc: ChainRpc): Provider {
  return new Proxy(raw, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      if (typeof property === "string" && GUARDED_METHODS.has(property)) {
        return (...args: unknown[]) => rpc.call(property, () => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args));
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}
