/**
 * IAS attestation-report verification in TypeScript, rule for rule and error for error the same as the
 * on-chain `IasVerifier` (contracts/attestation/IasVerifier.sol). docs/attestation.md states the rules.
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import { IasVerificationError } from "./errors";
import { REPORT_SIGNATURE_LENGTH } from "./encoding";
import { decodeQuoteBody } from "./quote";
import { readReportFields, type ReportFields } from "./report";
import { rsaPkcs1Sha256Verify } from "./rsa";
import { checkSigningCertificate, pinCa, type PinnedCa, type SigningKey } from "./certificate";
import { caDerOf, type TrustAnchor } from "./roots";

/** What a verified report attests (the TypeScript form of the Solidity struct `IasReport.Verified`). */
export interface VerifiedReport {
  /** Unix seconds of the report's timestamp (fraction dropped). */
  timestamp: bigint;
  version: number;
  /** isvEnclaveQuoteStatus, its bytes read as UTF-8. */
  status: string;
  /** keccak256 of the status bytes, as on chain. */
  statusHash: string;
  mrenclave: string;
  mrsigner: string;
  isvProdId: number;
  isvSvn: number;
  debug: boolean;
  /** 64 bytes, 0x-hex. */
  reportData: string;
  /** Report id and the timestamp as written (not on chain; for tools and logs). */
  id: string;
  timestampText: string;
  /** The decoded 432-byte quote body. */
  quoteBody: Uint8Array;
}

/** Policy, as the contract stores it. Every field optional here; the defaults are the contract's. */
export interface VerificationPolicy {
  /** Allowed isvEnclaveQuoteStatus values. Default ["OK"]. */
  allowedStatuses?: readonly string[];
  /** Default false. */
  allowDebug?: boolean;
  /** When set, MRENCLAVE must be one of these (0x-hex, 32 bytes). Default: no MRENCLAVE check. */
  allowedMrenclaves?: readonly string[];
  /** When set, MRSIGNER and ISVPRODID must match and ISVSVN be at least minIsvSvn. */
  signer?: { mrsigner: string; isvProdId: number; minIsvSvn: number };
  /** Seconds; 0 or absent = off. Needs `now`. */
  maxReportAge?: bigint | number;
}

export const DEFAULT_ALLOWED_STATUSES: readonly string[] = ["OK"];

function hex(bytes: Uint8Array): string {
  return "0x" + Buffer.from(bytes).toString("hex");
}

function normalizeBytes32(value: string, what: string): string {
  const h = value.toLowerCase().startsWith("0x") ? value.slice(2) : value;
  if (!/^[0-9a-fA-F]{64}$/.test(h)) throw new TypeError(`${what} must be 32 bytes of hex, got ${JSON.stringify(value)}`);
  return "0x" + h.toLowerCase();
}

/** keccak256 of a UTF-8 string, 0x-hex. */
export function keccakHex(text: string): string {
  return hex(keccak_256(Buffer.from(text, "utf8")));
}

/** Steps 1 to 3: signature length, key id, RSA signature over the exact bytes. */
function checkSignature(keyId: string, report: Uint8Array, signature: Uint8Array, key: SigningKey): void {
  if (signature.length !== REPORT_SIGNATURE_LENGTH) throw new IasVerificationError("SignatureLengthInvalid", [BigInt(signature.length)]);
  if (keyId.toLowerCase() !== key.keyId.toLowerCase()) throw new IasVerificationError("SigningKeyNotRegistered", [keyId.toLowerCase()]);
  if (!rsaPkcs1Sha256Verify(report, signature, key.modulus, key.exponent)) throw new IasVerificationError("ReportSignatureInvalid");
}

function toVerified(fields: ReportFields): VerifiedReport {
  const quote = decodeQuoteBody(fields.quoteBody);
  return {
    timestamp: fields.timestamp,
    version: fields.version,
    status: Buffer.from(fields.status, "latin1").toString("utf8"),
    statusHash: hex(keccak_256(Buffer.from(fields.status, "latin1"))),
    mrenclave: hex(quote.mrenclave),
    mrsigner: hex(quote.mrsigner),
    isvProdId: quote.isvProdId,
    isvSvn: quote.isvSvn,
    debug: quote.debug,
    reportData: hex(quote.reportData),
    id: fields.id,
    timestampText: fields.timestampText,
    quoteBody: fields.quoteBody,
  };
}

/**
 * Steps 1 to 7 (no policy): what `IasVerifier.verifyReportWithoutPolicy` does. `keyId` is the id the
 * caller names the key by; it must be `key`'s (the TS analogue of "registered").
 */
export function verifyReportWithoutPolicy(keyId: string, report: Uint8Array, signature: Uint8Array, key: SigningKey): VerifiedReport {
  checkSignature(keyId, report, signature, key);
  const fields = readReportFields(report);
  if (fields.timestamp < key.notBefore || fields.timestamp > key.notAfter) {
    throw new IasVerificationError("ReportOutsideCertificateValidity", [fields.timestamp, key.notBefore, key.notAfter]);
  }
  return toVerified(fields);
}

/** Step 8: the policy checks, in the contract's order. `now` (unix seconds) plays block.timestamp. */
export function checkPolicy(verified: VerifiedReport, policy: VerificationPolicy, now?: bigint): void {
  const maxAge = BigInt(policy.maxReportAge ?? 0);
  if (maxAge !== 0n) {
    if (now === undefined) throw new TypeError("policy.maxReportAge needs `now`");
    // Unsigned on chain: a report from the future is not "too old".
    if (now > verified.timestamp && now - verified.timestamp > maxAge) {
      throw new IasVerificationError("ReportTooOld", [verified.timestamp, maxAge, now]);
    }
  }
  // Compared by keccak256 of the raw bytes, as the contract's allowlist is keyed.
  const statuses = policy.allowedStatuses ?? DEFAULT_ALLOWED_STATUSES;
  if (!statuses.some((s) => keccakHex(s) === verified.statusHash)) throw new IasVerificationError("QuoteStatusNotAllowed", [verified.status]);
  if (verified.debug && policy.allowDebug !== true) throw new IasVerificationError("DebugEnclaveNotAllowed", [verified.mrenclave]);
  if (policy.allowedMrenclaves !== undefined) {
    const allowed = policy.allowedMrenclaves.map((m) => normalizeBytes32(m, "allowed MRENCLAVE"));
    if (!allowed.includes(verified.mrenclave)) throw new IasVerificationError("MrenclaveNotAllowed", [verified.mrenclave]);
  }
  if (policy.signer !== undefined) {
    const expected = normalizeBytes32(policy.signer.mrsigner, "MRSIGNER");
    if (verified.mrsigner !== expected) throw new IasVerificationError("MrsignerMismatch", [expected, verified.mrsigner]);
    if (verified.isvProdId !== policy.signer.isvProdId) {
      throw new IasVerificationError("IsvProdIdMismatch", [BigInt(policy.signer.isvProdId), BigInt(verified.isvProdId)]);
    }
    if (verified.isvSvn < policy.signer.minIsvSvn) {
      throw new IasVerificationError("IsvSvnTooLow", [BigInt(policy.signer.minIsvSvn), BigInt(verified.isvSvn)]);
    }
  }
}

/** Steps 1 to 8: what `IasVerifier.verifyReport` does. */
export function verifyReport(
  keyId: string,
  report: Uint8Array,
  signature: Uint8Array,
  key: SigningKey,
  policy: VerificationPolicy = {},
  now?: bigint,
): VerifiedReport {
  const verified = verifyReportWithoutPolicy(keyId, report, signature, key);
  checkPolicy(verified, policy, now);
  return verified;
}

/**
 * The off-chain mirror of one `IasVerifier` deployment: a pinned CA, the signing keys registered under it,
 * and a policy. Use it to pre-check a report before paying gas, or to audit a report offline.
 */
export class IasReportVerifier {
  readonly ca: PinnedCa;
  private readonly keys = new Map<string, SigningKey>();
  private readonly deniedKeys = new Set<string>();

  constructor(caDer: Uint8Array, public policy: VerificationPolicy = {}) {
    this.ca = pinCa(caDer);
  }

  /** A verifier pinned to Intel's CA or the SIMULATION CA. */
  static forAnchor(anchor: TrustAnchor, policy: VerificationPolicy = {}): IasReportVerifier {
    return new IasReportVerifier(caDerOf(anchor), policy);
  }

  /** Checks a signing certificate under the pinned CA and remembers its key; returns the key. */
  registerSigningCertificate(der: Uint8Array): SigningKey {
    const key = checkSigningCertificate(der, this.ca);
    this.keys.set(key.keyId, key);
    return key;
  }

  signingKey(keyId: string): SigningKey | undefined {
    return this.keys.get(keyId.toLowerCase());
  }

  /** Denies a signing key (or allows it again), as the contract's `setSigningKeyDenied`. */
  setSigningKeyDenied(keyId: string, denied: boolean): void {
    if (denied) this.deniedKeys.add(keyId.toLowerCase());
    else this.deniedKeys.delete(keyId.toLowerCase());
  }

  private keyFor(keyId: string, signature: Uint8Array): SigningKey {
    if (signature.length !== REPORT_SIGNATURE_LENGTH) throw new IasVerificationError("SignatureLengthInvalid", [BigInt(signature.length)]);
    const key = this.signingKey(keyId);
    if (key === undefined) throw new IasVerificationError("SigningKeyNotRegistered", [keyId.toLowerCase()]);
    if (this.deniedKeys.has(key.keyId)) throw new IasVerificationError("SigningKeyDenied", [key.keyId]);
    return key;
  }

  verifyReportWithoutPolicy(keyId: string, report: Uint8Array, signature: Uint8Array): VerifiedReport {
    return verifyReportWithoutPolicy(keyId, report, signature, this.keyFor(keyId, signature));
  }

  verifyReport(keyId: string, report: Uint8Array, signature: Uint8Array, now?: bigint): VerifiedReport {
    return verifyReport(keyId, report, signature, this.keyFor(keyId, signature), this.policy, now);
  }
}
