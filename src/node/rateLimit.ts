/**
 * Rate limits of the node's HTTP API (docs/node.md "Rate limits"): token buckets per key. Two are used: one per
 * client IP on the requests that reach the enclave (checked before the enclave is called), one per command sender
 * on the commands the node accepts (the sender is known once `state_submit` opened the command; checked before the
 * command is queued). A refused request consumes nothing: no token of the other bucket, no nonce, no post.
 */
import { NodeError } from "./errors";

export interface RateLimitOptions {
  /** Sustained rate: tokens added per minute (> 0). */
  perMinute: number;
  /** Bucket size: how many may come at once after a quiet period (integer >= 1). */
  burst: number;
}

/** Per command sender: a person sends a command every few seconds at most; bursts of scripted transfers fit. */
export const DEFAULT_COMMAND_RATE_LIMIT: RateLimitOptions = { perMinute: 120, burst: 60 };
/** Per client IP, on the requests that call the enclave (commands, reads, subscriptions): flood protection only. */
export const DEFAULT_REQUEST_RATE_LIMIT: RateLimitOptions = { perMinute: 6000, burst: 1000 };

/** Buckets kept before full (idle) ones are dropped. */
const PRUNE_ABOVE = 10_000;

/** 429 `rate_limited`; the API answers it with `Retry-After: retryAfterSeconds`. */
export class RateLimitedNodeError extends NodeError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super("rate_limited", message, 429);
  }
}

/** Throws NodeError("invalid_options") unless `options` is `false` or a valid limit; `name` names it. */
export function checkRateLimitOptions(name: string, options: RateLimitOptions | false | undefined): void {
  if (options === undefined || options === false) return;
  if (typeof options !== "object" || options === null) throw new NodeError("invalid_options", `${name} must be {perMinute, burst} or false, got ${String(options)}`);
  const { perMinute, burst } = options;
  if (typeof perMinute !== "number" || !Number.isFinite(perMinute) || perMinute <= 0) {
    throw new NodeError("invalid_options", `${name}.perMinute must be a positive number, got ${String(perMinute)}`);
  }
  if (!Number.isSafeInteger(burst) || burst < 1) throw new NodeError("invalid_options", `${name}.burst must be an integer >= 1, got ${String(burst)}`);
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Token buckets by key. `now` (ms) is injectable for tests. */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;

  constructor(
    readonly options: RateLimitOptions,
    private readonly now: () => number = Date.now,
  ) {
    checkRateLimitOptions("rate limit", options);
    this.perMs = options.perMinute / 60_000;
  }

  /**
   * Takes one token of `key`'s bucket; when it is empty, takes nothing and returns the whole seconds until a token is
   * back (>= 1). Returns 0 when the token was taken.
   */
  take(key: string): number {
    const now = this.now();
    const bucket = this.refilled(key, now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      this.buckets.set(key, bucket);
      if (this.buckets.size > PRUNE_ABOVE) this.prune(now);
      return 0;
    }
    this.buckets.set(key, bucket);
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs / 1000));
  }

  private refilled(key: string, now: number): Bucket {
    const bucket = this.buckets.get(key);
    if (bucket === undefined) return { tokens: this.options.burst, at: now };
    const elapsed = Math.max(0, now - bucket.at);
    return { tokens: Math.min(this.options.burst, bucket.tokens + elapsed * this.perMs), at: now };
  }

  /** Drops buckets that are full again (an unknown key starts full: nothing is lost). */
  private prune(now: number): void {
    for (const key of [...this.buckets.keys()]) {
      if (this.refilled(key, now).tokens >= this.options.burst) this.buckets.delete(key);
    }
  }
}
