/** Attestation tools: IAS report parsing and verification (same rules as the contract), trust anchors, and the SIMULATION development IAS. */
export * from "./errors";
export * from "./quote";
export * from "./encoding";
export * from "./roots";
export * from "./rsa";
export * from "./der";
export * from "./certificate";
export * from "./time";
export * from "./reportJson";
export * from "./report";
export * from "./verifier";
export * from "./devIas";
export * from "./onchain";
export * from "./reportTool";
export * from "./runtime";
export * from "./evidence";
/** DCAP (ECDSA quotes): a namespace, as some names (parseCertificate, errors) differ from the IAS ones above. */
export * as dcap from "./dcap";
