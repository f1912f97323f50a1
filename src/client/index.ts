/** The client SDK: wire formats, the chain check of a node's enclave, and `AnonifyClient`. */
export * from "./wire";
export * from "./errors";
export * from "./trust";
export * from "./http";
export * from "./AnonifyClient";
