/** The client SDK: wire formats, the chain check of a node's enclave, `AnonifyClient`, the auditor and the demo. */
export * from "./wire";
export * from "./errors";
export * from "./trust";
export * from "./http";
export * from "./AnonifyClient";
export * from "./audit";
export * from "./chainScan";
export * from "./deployment";
export { runDemo, type DemoOptions, type DemoResult } from "./demo";
export * from "./roster";
