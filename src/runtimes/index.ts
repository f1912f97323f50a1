/**
 * The runtimes the package carries, for TypeScript: their names, `RuntimeTypes` (which type a `RuntimeClient`) and
 * codecs. The enclave side is `enclave/include/anonify/runtime/`; docs/runtimes.md, runtime-records.md,
 * runtime-auction.md.
 */
import type { RuntimeCodec, UntypedRuntime } from "../client/wire";
import { AUCTION_CODEC, AUCTION_RUNTIME } from "./auction";

export * from "./name";
export * from "./records";
export * from "./auction";

/**
 * The codec a runtime of the package wants beyond plain JSON (the auction's: amounts as decimal strings, padded bids),
 * or undefined for plain JSON. The generic tasks (`anonify:send`, `anonify:query`) pick it by the group's runtime.
 */
export function packageRuntimeCodec(runtime: string): RuntimeCodec<UntypedRuntime> | undefined {
  if (runtime === AUCTION_RUNTIME) return AUCTION_CODEC as unknown as RuntimeCodec<UntypedRuntime>;
  return undefined;
}
