/**
 * Typed DCAP errors. Each `code` is the name of the Solidity custom error the on-chain DCAP verifier
 * reverts with for the same input (contracts/attestation/dcap/, see docs/attestation-dcap.md), and `args`
 * are that error's arguments in declaration order, so the TypeScript and on-chain verifiers compare one to
 * one, as for IAS (src/attestation/errors.ts).
 */
import { jsonValue } from "../errors";

/** Which certificate an error is about (Solidity `enum CertificateRole`). */
export enum CertificateRole {
  Root = 0,
  PckCa = 1,
  Pck = 2,
  TcbSigning = 3,
}

/** Which collateral item an error is about (Solidity `enum CollateralKind`). */
export enum CollateralKind {
  TcbInfo = 0,
  QeIdentity = 1,
  RootCaCrl = 2,
  PckCaCrl = 3,
}

/** Argument names, in the order of the Solidity error's parameters. */
export const DCAP_ERROR_PARAMETERS = {
  // The quote's layout (quote.ts).
  QuoteTruncated: ["offset"],
  QuoteTrailingBytes: ["offset"],
  QuoteVersionUnsupported: ["version"],
  QuoteTeeTypeUnsupported: ["teeType"],
  AttestationKeyTypeUnsupported: ["keyType"],
  QeVendorIdUnsupported: ["vendorId"],
  CertificationDataTypeUnsupported: ["certType"],
  PckChainEncodingInvalid: ["index"],
  PckChainLengthInvalid: ["count"],
  // X.509 (x509.ts).
  CertificateMalformed: ["role", "offset"],
  CertificateAlgorithmUnsupported: ["role"],
  CertificateKeyUnsupported: ["role"],
  CertificateIssuerMismatch: ["role"],
  CertificateSignatureInvalid: ["role"],
  CertificateNotValidAt: ["role", "notBefore", "notAfter", "now"],
  CertificateConstraintsInvalid: ["role"],
  CertificateKeyUsageInvalid: ["role"],
  CertificateRevoked: ["role", "serial"],
  RootCaNotPinned: ["role"],
  SgxExtensionMalformed: ["offset"],
  SgxExtensionFieldMissing: ["field"],
  // Collateral (collateral.ts, crl.ts).
  CollateralMalformed: ["kind", "offset"],
  CollateralFieldInvalid: ["kind", "field"],
  CollateralSignatureInvalid: ["kind"],
  CollateralNotYetValid: ["kind", "issueDate", "now"],
  CollateralExpired: ["kind", "nextUpdate", "now"],
  TcbEvaluationDataNumberTooLow: ["kind", "minimum", "actual"],
  FmspcMismatch: ["expected", "actual"],
  PceIdMismatch: ["expected", "actual"],
  CrlMalformed: ["offset"],
  CrlIssuerUnknown: [],
  // The quote's signatures and the TCB (verifier.ts).
  QeReportSignatureInvalid: [],
  QeReportDataMismatch: ["expected", "actual"],
  QeMrsignerMismatch: ["expected", "actual"],
  QeIsvProdIdMismatch: ["expected", "actual"],
  QeMiscselectMismatch: ["expected", "actual"],
  QeAttributesMismatch: ["expected", "actual"],
  QeTcbLevelNotFound: ["isvSvn"],
  QeTcbStatusNotAllowed: ["status"],
  AttestationKeyInvalid: [],
  QuoteSignatureInvalid: [],
  TcbLevelNotFound: ["fmspc"],
  TcbStatusNotAllowed: ["status"],
  // The enclave policy, the same errors as IAS.
  DebugEnclaveNotAllowed: ["mrenclave"],
  MrenclaveNotAllowed: ["mrenclave"],
  MrsignerMismatch: ["expected", "actual"],
  IsvProdIdMismatch: ["expected", "actual"],
  IsvSvnTooLow: ["minimum", "actual"],
} as const;

export type DcapErrorCode = keyof typeof DCAP_ERROR_PARAMETERS;

/** uint values (enums included) are bigints, bytes values 0x-prefixed lowercase hex, strings as is. */
export type DcapErrorArgument = bigint | string;

/** A quote, certificate or collateral item rejected by the DCAP verification rules (docs/attestation-dcap.md). */
export class DcapVerificationError extends Error {
  readonly code: DcapErrorCode;
  readonly args: readonly DcapErrorArgument[];
  readonly details: Readonly<Record<string, DcapErrorArgument>>;

  constructor(code: DcapErrorCode, args: readonly DcapErrorArgument[] = [], message?: string) {
    const names = DCAP_ERROR_PARAMETERS[code];
    if (names.length !== args.length) throw new TypeError(`${code} takes ${names.length} argument(s), got ${args.length}`);
    const details: Record<string, DcapErrorArgument> = {};
    names.forEach((name, i) => (details[name] = args[i]));
    super(message ?? describe(code, details));
    this.name = "DcapVerificationError";
    this.code = code;
    this.args = args;
    this.details = details;
  }

  /** `Code(arg1, arg2)`: the form a Solidity revert is printed in. */
  get signature(): string {
    return `${this.code}(${this.args.map((a) => (typeof a === "bigint" ? a.toString() : JSON.stringify(a))).join(", ")})`;
  }

  toJSON(): { code: DcapErrorCode; message: string; details: Record<string, string | number | boolean> } {
    const details: Record<string, string | number | boolean> = {};
    for (const [k, v] of Object.entries(this.details)) details[k] = jsonValue(v);
    return { code: this.code, message: this.message, details };
  }
}

/** Shorthand used by the parsers: throws the error. */
export function dcapError(code: DcapErrorCode, ...args: DcapErrorArgument[]): never {
  throw new DcapVerificationError(code, args);
}

function role(v: DcapErrorArgument | undefined): string {
  return typeof v === "bigint" && CertificateRole[Number(v)] !== undefined ? `${CertificateRole[Number(v)]} certificate` : `certificate ${String(v)}`;
}

function kind(v: DcapErrorArgument | undefined): string {
  return typeof v === "bigint" && CollateralKind[Number(v)] !== undefined ? CollateralKind[Number(v)] : `collateral ${String(v)}`;
}

function iso(v: DcapErrorArgument | undefined): string {
  if (typeof v !== "bigint" || v > 8_000_000_000_000n) return String(v);
  return new Date(Number(v) * 1000).toISOString().replace(".000Z", "Z");
}

function describe(code: DcapErrorCode, d: Record<string, DcapErrorArgument>): string {
  switch (code) {
    case "QuoteTruncated":
      return `quote ends before the field at byte ${d.offset}`;
    case "QuoteTrailingBytes":
      return `quote has bytes after its signature data (from byte ${d.offset})`;
    case "QuoteVersionUnsupported":
      return `quote version ${d.version} is not supported (3 or 4)`;
    case "QuoteTeeTypeUnsupported":
      return `quote TEE type 0x${(d.teeType as bigint).toString(16)} is not SGX (0); TDX quotes are refused`;
    case "AttestationKeyTypeUnsupported":
      return `attestation key type ${d.keyType} is not ECDSA-256-with-P-256 (2)`;
    case "QeVendorIdUnsupported":
      return `QE vendor id ${d.vendorId} is not Intel's`;
    case "CertificationDataTypeUnsupported":
      return `certification data type ${d.certType} is not a PCK certificate chain (5)`;
    case "PckChainEncodingInvalid":
      return `PCK chain PEM block ${d.index} is not a base64 CERTIFICATE block`;
    case "PckChainLengthInvalid":
      return `PCK chain has ${d.count} certificate(s), expected 3 (PCK, PCK CA, root)`;
    case "CertificateMalformed":
      return `${role(d.role)} is not valid DER X.509 (at byte ${d.offset})`;
    case "CertificateAlgorithmUnsupported":
      return `${role(d.role)} is not signed with ecdsa-with-SHA256`;
    case "CertificateKeyUnsupported":
      return `${role(d.role)} key is not an uncompressed P-256 point on the curve`;
    case "CertificateIssuerMismatch":
      return `${role(d.role)} issuer is not the next certificate's subject`;
    case "CertificateSignatureInvalid":
      return `${role(d.role)} signature does not verify under its issuer's key`;
    case "CertificateNotValidAt":
      return `${role(d.role)} is valid ${iso(d.notBefore)} .. ${iso(d.notAfter)}, not at ${iso(d.now)}`;
    case "CertificateConstraintsInvalid":
      return `${role(d.role)} basicConstraints do not fit its place in the chain`;
    case "CertificateKeyUsageInvalid":
      return `${role(d.role)} keyUsage does not allow its use`;
    case "CertificateRevoked":
      return `${role(d.role)} serial ${d.serial} is revoked`;
    case "RootCaNotPinned":
      return `the chain's root is not the pinned Intel SGX Root CA`;
    case "SgxExtensionMalformed":
      return `PCK certificate SGX extension is malformed (at byte ${d.offset})`;
    case "SgxExtensionFieldMissing":
      return `PCK certificate SGX extension lacks ${d.field}`;
    case "CollateralMalformed":
      return `${kind(d.kind)} is not in the PCS format (at byte ${d.offset})`;
    case "CollateralFieldInvalid":
      return `${kind(d.kind)} field "${d.field}" is missing, of the wrong type or unsupported`;
    case "CollateralSignatureInvalid":
      return `${kind(d.kind)} signature does not verify under its issuer's key`;
    case "CollateralNotYetValid":
      return `${kind(d.kind)} is issued ${iso(d.issueDate)}, after ${iso(d.now)}`;
    case "CollateralExpired":
      return `${kind(d.kind)} expired at ${iso(d.nextUpdate)} (with the policy's grace), before ${iso(d.now)}`;
    case "TcbEvaluationDataNumberTooLow":
      return `${kind(d.kind)} tcbEvaluationDataNumber ${d.actual} is below the policy's minimum ${d.minimum}`;
    case "FmspcMismatch":
      return `TCB Info is for FMSPC ${d.actual}, the PCK certificate's is ${d.expected}`;
    case "PceIdMismatch":
      return `TCB Info is for PCEID ${d.actual}, the PCK certificate's is ${d.expected}`;
    case "CrlMalformed":
      return `CRL is not valid DER X.509 CRL signed with ecdsa-with-SHA256 (at byte ${d.offset})`;
    case "CrlIssuerUnknown":
      return "CRL issuer is neither the root CA nor the PCK CA of the chain";
    case "QeReportSignatureInvalid":
      return "QE report signature does not verify under the PCK certificate's key";
    case "QeReportDataMismatch":
      return `QE report data ${d.actual} is not SHA-256(attestation key || QE auth data) ${d.expected}`;
    case "QeMrsignerMismatch":
      return `QE MRSIGNER ${d.actual} is not QE Identity's ${d.expected}`;
    case "QeIsvProdIdMismatch":
      return `QE ISVPRODID ${d.actual} is not QE Identity's ${d.expected}`;
    case "QeMiscselectMismatch":
      return `QE MISCSELECT ${d.actual} (masked) is not QE Identity's ${d.expected}`;
    case "QeAttributesMismatch":
      return `QE attributes ${d.actual} (masked) are not QE Identity's ${d.expected}`;
    case "QeTcbLevelNotFound":
      return `QE ISVSVN ${d.isvSvn} is below every QE Identity TCB level`;
    case "QeTcbStatusNotAllowed":
      return `QE TCB status "${d.status}" is not allowed by the policy`;
    case "AttestationKeyInvalid":
      return "attestation key is not a point on P-256";
    case "QuoteSignatureInvalid":
      return "quote signature does not verify under the attestation key";
    case "TcbLevelNotFound":
      return `the platform's CPUSVN/PCESVN match no TCB level of FMSPC ${d.fmspc}`;
    case "TcbStatusNotAllowed":
      return `TCB status "${d.status}" is not allowed by the policy`;
    case "DebugEnclaveNotAllowed":
      return `enclave ${d.mrenclave} runs in DEBUG mode, which the policy refuses`;
    case "MrenclaveNotAllowed":
      return `MRENCLAVE ${d.mrenclave} is not in the allowlist`;
    case "MrsignerMismatch":
      return `MRSIGNER ${d.actual} is not the expected ${d.expected}`;
    case "IsvProdIdMismatch":
      return `ISVPRODID ${d.actual} is not the expected ${d.expected}`;
    case "IsvSvnTooLow":
      return `ISVSVN ${d.actual} is below the minimum ${d.minimum}`;
  }
}
