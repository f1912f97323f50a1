/**
 * The Intel PCS API v4 surface the development PCS serves and the PCS client reads (Intel SGX and TDX
 * services, "V4 API Documentation": Get Revocation List V4, Get SGX TCB Info V4, Enclave Identity V4; and
 * Intel's PCCS routes, which add the root CA CRL). One place for paths, query names and headers.
 */

/** Path prefix of the SGX certification API, v4 (PCS and PCCS alike). */
export const PCS_V4_PREFIX = "/sgx/certification/v4";
export const PCS_PATH_TCB = `${PCS_V4_PREFIX}/tcb`;
export const PCS_PATH_QE_IDENTITY = `${PCS_V4_PREFIX}/qe/identity`;
export const PCS_PATH_PCK_CRL = `${PCS_V4_PREFIX}/pckcrl`;
/** PCCS only: the Intel SGX Root CA CRL (the PCS itself points at certificates.trustedservices.intel.com). */
export const PCS_PATH_ROOT_CA_CRL = `${PCS_V4_PREFIX}/rootcacrl`;

/** Response headers (v4 names; PCCS and v3 used the `SGX-` prefixed TCB Info name). */
export const HEADER_TCB_INFO_ISSUER_CHAIN = "TCB-Info-Issuer-Chain";
export const HEADER_TCB_INFO_ISSUER_CHAIN_V3 = "SGX-TCB-Info-Issuer-Chain";
export const HEADER_ENCLAVE_IDENTITY_ISSUER_CHAIN = "SGX-Enclave-Identity-Issuer-Chain";
export const HEADER_PCK_CRL_ISSUER_CHAIN = "SGX-PCK-CRL-Issuer-Chain";
export const HEADER_REQUEST_ID = "Request-ID";
export const HEADER_ERROR_CODE = "Error-Code";
export const HEADER_ERROR_MESSAGE = "Error-Message";
/** Request header carrying an API key (Intel's PCS: optional for these endpoints). */
export const HEADER_SUBSCRIPTION_KEY = "Ocp-Apim-Subscription-Key";

export const CONTENT_TYPE_JSON = "application/json";
export const CONTENT_TYPE_PEM = "application/x-pem-file";
export const CONTENT_TYPE_CRL_DER = "application/pkix-crl";

/** Query patterns of the v4 API. */
export const FMSPC_PATTERN = /^[0-9a-fA-F]{12}$/;
export const EVALUATION_NUMBER_PATTERN = /^\d+$/;
export const UPDATE_TYPES = ["early", "standard"] as const;
export type UpdateType = (typeof UPDATE_TYPES)[number];
export const PCK_CAS = ["platform", "processor"] as const;
export const CRL_ENCODINGS = ["pem", "der"] as const;
export type CrlEncoding = (typeof CRL_ENCODINGS)[number];

/** Status codes the v4 API answers with. */
export const HTTP_OK = 200;
export const HTTP_BAD_REQUEST = 400;
export const HTTP_NOT_FOUND = 404;
export const HTTP_GONE = 410;

/** The PCS's header encoding of an issuer chain: the PEM text, percent-encoded. */
export function encodeIssuerChainHeader(pem: Uint8Array | string): string {
  return encodeURIComponent(typeof pem === "string" ? pem : Buffer.from(pem).toString("latin1"));
}

/** PEM text of a DER CRL (`-----BEGIN X509 CRL-----`, 64-character lines), as `encoding=pem` serves it. */
export function crlPem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString("base64").replace(/(.{64})/g, "$1\n");
  return `-----BEGIN X509 CRL-----\n${b64.trimEnd()}\n-----END X509 CRL-----\n`;
}
