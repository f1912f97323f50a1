/** DCAP (ECDSA) attestation: quote layout, X.509 PCK chain, PCS collateral and CRLs, and the verdict (docs/attestation-dcap.md). */
export * from "./errors";
export * from "./quote";
export * from "./ecdsa";
export * from "./x509";
export * from "./crl";
export * from "./collateral";
export * from "./roots";
export * from "./verifier";
/** The development (SIMULATION) PCS: PKI, quoting enclave, collateral. */
export * from "./devPki";
export * from "./devQe";
export * from "./devPcs";
