/** The TEE node (host side): chain sync, submitter, membership, HTTP API. docs/node.md. */
export * from "./AnonifyNode";
export * from "./attester";
export * from "./chainReader";
export * from "./chainSync";
export * from "./dataDirLock";
export * from "./deployment";
export * from "./errors";
export * from "./fromHre";
export * from "./groupContract";
export * from "./httpApi";
export * from "./logger";
export * from "./membership";
export * from "./operator";
export * from "./preflight";
export * from "./stateMethods";
export * from "./submitter";
export * from "./txSender";
