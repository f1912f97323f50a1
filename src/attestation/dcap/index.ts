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
/** The development PCS over HTTP (Intel's PCS API v4 paths and headers) and the PCS client. */
export * from "./pcsApi";
export * from "./devPcsServer";
export * from "./pcsClient";
export * from "./collateralSync";
export * from "./chainCollateral";
