/**
 * Typed attestation errors. Each `code` is the name of the Solidity custom error the on-chain
 * `IasVerifier` reverts with for the same input, and `args` are that error's arguments in order,
 * so the TypeScript and on-chain verifiers can be compared one to one.
 */

/** Argument names, in the order of the Solidity error's parameters. */
export const IAS_ERROR_PARAMETERS = {
  SignatureLengthInvalid: ["length"],
  SigningKeyNotRegistered: ["keyId"],
  SigningKeyDenied: ["keyId"],
  ReportSignatureInvalid: [],
  ReportMalformed: ["offset"],
  ReportFieldDuplicated: ["field"],
  ReportFieldMissing: ["field"],
  ReportFieldInvalid: ["field"],
  QuoteBodyEncodingInvalid: [],
  QuoteBodyLengthInvalid: ["length"],
  ReportTimestampInvalid: [],
  ReportOutsideCertificateValidity: ["timestamp", "notBefore", "notAfter"],
  ReportTooOld: ["timestamp", "maxAge", "now"],
  QuoteStatusNotAllowed: ["status"],
  DebugEnclaveNotAllowed: ["mrenclave"],
  MrenclaveNotAllowed: ["mrenclave"],
  MrsignerMismatch: ["expected", "actual"],
  IsvProdIdMismatch: ["expected", "actual"],
  IsvSvnTooLow: ["minimum", "actual"],
  CertificateMalformed: ["offset"],
  CertificateAlgorithmUnsupported: [],
  CertificateIssuerMismatch: [],
  CertificateSignatureInvalid: [],
  CertificateKeyUnsupported: [],
  CertificateVersionUnsupported: ["version"],
  CertificateExtensionUnsupported: ["offset"],
  CertificateKeyUsageInvalid: ["keyUsage"],
  CertificateBasicConstraintsInvalid: ["present", "isCa"],
} as const;

export type IasErrorCode = keyof typeof IAS_ERROR_PARAMETERS;

/** uint values are bigints (as ethers decodes them), bytes32 values 0x-prefixed lowercase hex, strings and bools as is. */
export type IasErrorArgument = bigint | string | boolean;

/** A report, signature or certificate rejected by the IAS verification rules (see docs/attestation.md). */
export class IasVerificationError extends Error {
  readonly code: IasErrorCode;
  /** The Solidity error's arguments, in declaration order. */
  readonly args: readonly IasErrorArgument[];
  /** The same arguments by name. */
  readonly details: Readonly<Record<string, IasErrorArgument>>;

  constructor(code: IasErrorCode, args: readonly IasErrorArgument[] = [], message?: string) {
    const names = IAS_ERROR_PARAMETERS[code];
    if (names.length !== args.length) {
      throw new TypeError(`${code} takes ${names.length} argument(s), got ${args.length}`);
    }
    const details: Record<string, IasErrorArgument> = {};
    names.forEach((name, i) => (details[name] = args[i]));
    super(message ?? describe(code, details));
    this.name = "IasVerificationError";
    this.code = code;
    this.args = args;
    this.details = details;
  }

  /** `Code(arg1, arg2)`: the form a Solidity revert is printed in. */
  get signature(): string {
    return `${this.code}(${this.args.map((a) => (typeof a === "bigint" ? a.toString() : JSON.stringify(a))).join(", ")})`;
  }

  /** JSON-safe form: bigints as decimal numbers when safe, otherwise decimal strings. */
  toJSON(): { code: IasErrorCode; message: string; details: Record<string, string | number | boolean> } {
    const details: Record<string, string | number | boolean> = {};
    for (const [k, v] of Object.entries(this.details)) details[k] = jsonValue(v);
    return { code: this.code, message: this.message, details };
  }
}

export function jsonValue(v: IasErrorArgument): string | number | boolean {
  if (typeof v !== "bigint") return v;
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

function isoOf(seconds: IasErrorArgument | undefined): string {
  if (typeof seconds !== "bigint" || seconds > 8_000_000_000_000n) return String(seconds);
  return new Date(Number(seconds) * 1000).toISOString().replace(".000Z", "Z");
}

function describe(code: IasErrorCode, d: Record<string, IasErrorArgument>): string {
  switch (code) {
    case "SignatureLengthInvalid":
      return `report signature must be 256 bytes (RSA-2048), got ${d.length}`;
    case "SigningKeyNotRegistered":
      return `signing key ${d.keyId} is not the registered report-signing key`;
    case "SigningKeyDenied":
      return `signing key ${d.keyId} is denied by the policy`;
    case "ReportSignatureInvalid":
      return "RSA PKCS#1 v1.5 SHA-256 signature does not verify over the exact report bytes";
    case "ReportMalformed":
      return `report is not a single JSON object of the accepted form (syntax error at byte ${d.offset})`;
    case "ReportFieldDuplicated":
      return `report field "${d.field}" appears more than once`;
    case "ReportFieldMissing":
      return `report field "${d.field}" is missing`;
    case "ReportFieldInvalid":
      return `report field "${d.field}" has the wrong type or an unsupported value`;
    case "QuoteBodyEncodingInvalid":
      return "isvEnclaveQuoteBody is not standard padded base64";
    case "QuoteBodyLengthInvalid":
      return `isvEnclaveQuoteBody decodes to ${d.length} bytes, expected 432`;
    case "ReportTimestampInvalid":
      return "report timestamp is not YYYY-MM-DDTHH:MM:SS[.ffffff] UTC";
    case "ReportOutsideCertificateValidity":
      return `report timestamp ${isoOf(d.timestamp)} is outside the signing certificate's validity ${isoOf(d.notBefore)} .. ${isoOf(d.notAfter)}`;
    case "ReportTooOld":
      return `report from ${isoOf(d.timestamp)} is older than ${d.maxAge} s at ${isoOf(d.now)}`;
    case "QuoteStatusNotAllowed":
      return `isvEnclaveQuoteStatus "${d.status}" is not allowed by the policy`;
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
    case "CertificateMalformed":
      return `signing certificate is not valid DER X.509 (at byte ${d.offset})`;
    case "CertificateAlgorithmUnsupported":
      return "signing certificate is not signed with sha256WithRSAEncryption";
    case "CertificateIssuerMismatch":
      return "signing certificate's issuer is not the pinned CA";
    case "CertificateSignatureInvalid":
      return "signing certificate's signature does not verify under the pinned CA key";
    case "CertificateKeyUnsupported":
      return "signing certificate's key is not a 2048-bit RSA key";
    case "CertificateVersionUnsupported":
      return `certificate is X.509 version ${d.version}; only version 3 (with keyUsage and basicConstraints) is accepted`;
    case "CertificateExtensionUnsupported":
      return `certificate extension at byte ${d.offset} is critical and unknown, or repeats keyUsage or basicConstraints`;
    case "CertificateKeyUsageInvalid":
      return `certificate keyUsage 0x${Number(d.keyUsage).toString(16).padStart(4, "0")} does not fit its role (a report-signing key needs digitalSignature and no keyCertSign, the CA keyCertSign)`;
    case "CertificateBasicConstraintsInvalid":
      return d.present
        ? `certificate basicConstraints says cA ${d.isCa ? "TRUE" : "FALSE"}, which does not fit its role`
        : "certificate has no basicConstraints extension";
  }
}
