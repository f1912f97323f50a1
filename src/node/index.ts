/** The TEE node (host side): chain sync, submitter, membership, HTTP API. docs/node.md. */
export * from "./AnonifyNode";
export * from "./attester";
export * from "./chainReader";
export * from "./chainSync";
export * from "./errors";
export * from "./groupContract";
export * from "./httpApi";
export * from "./logger";
export * from "./membership";
export * from "./stateMethods";
export * from "./submitter";
export * from "./txSender";
