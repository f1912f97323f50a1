/**
 * The runtimes the package carries, for TypeScript: their names, `RuntimeTypes` (which type a `RuntimeClient`) and
 * codecs. The enclave side is `enclave/include/anonify/runtime/`; docs/runtimes.md, runtime-records.md,
 * runtime-auction.md.
 */
export * from "./name";
export * from "./records";
export * from "./auction";
