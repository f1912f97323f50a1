/**
 * The development IAS ("SIMULATION"): signs attestation reports byte-for-byte in the format of
 * Intel's IAS API v4, with the committed, PUBLIC simulation keys in `src/attestation/simulation/`.
 * The on-chain verifier runs exactly the same code path on its reports; only the pinned CA differs,
 * so a deployment pinned to Intel's CA rejects every one of them (the leaf is not issued by Intel).
 */
import fs from "node:fs";
import { createPrivateKey, randomBytes, sign, type KeyObject } from "node:crypto";
import { performance } from "node:perf_hooks";
import { QUOTE_BODY_LENGTH, buildSimulationQuoteBody, type SimulationQuoteFields } from "./quote";
import { encodeSigningCertificateHeader } from "./encoding";
import {
  SIMULATION_LEAF_KEY_FILE,
  attestationAssetPath,
  keyIdOfCertificate,
  simulationCaDer,
  simulationLeafDer,
} from "./roots";

/** IAS API versions whose report layout the development IAS reproduces. */
export type IasApiVersion = 2 | 3 | 4 | 5;
export const DEFAULT_IAS_API_VERSION: IasApiVersion = 4;
/** IAS limits the nonce to 32 characters. */
export const MAX_NONCE_LENGTH = 32;
/** What IAS v4/v5 put in `advisoryURL` when advisories apply. */
export const INTEL_ADVISORY_URL = "https://security-center.intel.com";

/** isvEnclaveQuoteStatus and other string values must be plain printable ASCII that JSON carries unescaped. */
const UNESCAPED_JSON_STRING = /^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/;
const STATUS_PATTERN = /^[A-Z][A-Z_]*$/;
const TIMESTAMP_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?$/;

export interface SignQuoteOptions {
  /** Echoed first in the report, as IAS does when the request carried one (<= 32 characters). */
  nonce?: string;
  /** isvEnclaveQuoteStatus; default "OK". */
  status?: string;
  /** Default: now, with microseconds. A string must already be `YYYY-MM-DDTHH:MM:SS[.ffffff]`. */
  timestamp?: Date | string;
  /** IAS API version; 2 omits the `version` field, 5 appends `tcbEvaluationDataNumber`. Default 4. */
  version?: IasApiVersion;
  /** Report id; default: the decimal form of 128 random bits, as IAS. */
  id?: string;
  epidPseudonym?: string;
  /** Emitted with `advisoryIDs` (IAS sends both when advisories apply). */
  advisoryURL?: string;
  advisoryIDs?: string[];
  /** Hex TLV blob IAS adds for GROUP_OUT_OF_DATE and similar statuses; `null` emits a JSON null. */
  platformInfoBlob?: string | null;
  /** v5 only; default 16. */
  tcbEvaluationDataNumber?: number;
}

export interface SimulationCertificates {
  /** The SIMULATION report-signing leaf (DER). */
  leaf: Buffer;
  /** The SIMULATION CA (DER). */
  ca: Buffer;
  /** `X-IASReport-Signing-Certificate` value: URL-encoded PEM, leaf then CA, exactly as IAS formats it. */
  header: string;
}

export interface SignedReport {
  /** The exact response-body bytes that were signed. */
  report: Buffer;
  /** RSA-2048 PKCS#1 v1.5 SHA-256 signature (256 bytes). */
  signature: Buffer;
  /** `X-IASReport-Signature` value (base64 of `signature`). */
  signatureBase64: string;
  /** keccak256 of the signing key's modulus: the id the on-chain verifier knows the key by. */
  keyId: string;
  certificates: SimulationCertificates;
}

/** `YYYY-MM-DDTHH:MM:SS.ffffff` in UTC, IAS's timestamp format. */
export function formatIasTimestamp(date: Date, microseconds = date.getUTCMilliseconds() * 1000): string {
  if (Number.isNaN(date.getTime())) throw new RangeError("invalid Date");
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  if (!/^\d{4}-/.test(iso)) throw new RangeError(`year outside 0000..9999: ${iso}`);
  return `${iso.slice(0, 19)}.${String(microseconds).padStart(6, "0")}`;
}

function nowWithMicroseconds(): string {
  const micros = BigInt(Math.floor((performance.timeOrigin + performance.now()) * 1000));
  const date = new Date(Number(micros / 1000n));
  return formatIasTimestamp(date, Number(micros % 1_000_000n));
}

/** The decimal form of 128 random bits (IAS's report id). */
export function randomReportId(): string {
  return BigInt("0x" + randomBytes(16).toString("hex")).toString(10);
}

function plainString(name: string, value: string): string {
  if (typeof value !== "string" || !UNESCAPED_JSON_STRING.test(value)) {
    throw new RangeError(`${name} must be printable ASCII without quotes or backslashes`);
  }
  return `"${value}"`;
}

/**
 * A SIMULATION-only stand-in for Intel's Attestation Service. Its keys are public; a contract or verifier
 * pinned to Intel's CA rejects everything it signs.
 */
export class DevelopmentIas {
  private readonly signingKey: KeyObject;
  readonly certificates: SimulationCertificates;
  /** keccak256 of the SIMULATION signing key's modulus. */
  readonly keyId: string;

  constructor() {
    this.signingKey = createPrivateKey(fs.readFileSync(attestationAssetPath(SIMULATION_LEAF_KEY_FILE)));
    const leaf = simulationLeafDer();
    const ca = simulationCaDer();
    this.certificates = { leaf, ca, header: encodeSigningCertificateHeader([leaf, ca]) };
    this.keyId = keyIdOfCertificate(leaf);
  }

  /** RSA-2048 PKCS#1 v1.5 SHA-256 over arbitrary bytes: for tests that need malformed but validly signed bodies. */
  signBody(body: Uint8Array): Buffer {
    return sign("sha256", Buffer.from(body), { key: this.signingKey });
  }

  /** The report body IAS v2..v5 would return for this quote, key for key and byte for byte. */
  reportBody(quoteBody: Uint8Array, options: SignQuoteOptions = {}): Buffer {
    if (!(quoteBody instanceof Uint8Array) || quoteBody.length !== QUOTE_BODY_LENGTH) {
      throw new RangeError(`quote body must be ${QUOTE_BODY_LENGTH} bytes`);
    }
    const version = options.version ?? DEFAULT_IAS_API_VERSION;
    if (![2, 3, 4, 5].includes(version)) throw new RangeError(`IAS API version must be 2..5, got ${version}`);
    const status = options.status ?? "OK";
    if (!STATUS_PATTERN.test(status)) throw new RangeError(`status must be an IAS status like "OK", got ${JSON.stringify(status)}`);
    const id = options.id ?? randomReportId();
    if (!/^\d+$/.test(id)) throw new RangeError("id must be decimal digits");
    let timestamp: string;
    if (options.timestamp === undefined) timestamp = nowWithMicroseconds();
    else if (options.timestamp instanceof Date) timestamp = formatIasTimestamp(options.timestamp);
    else if (TIMESTAMP_PATTERN.test(options.timestamp)) timestamp = options.timestamp;
    else throw new RangeError(`timestamp must be YYYY-MM-DDTHH:MM:SS[.ffffff], got ${JSON.stringify(options.timestamp)}`);

    // Intel's key order (v4): nonce first when given, then id, timestamp, version, epidPseudonym,
    // advisoryURL, advisoryIDs, isvEnclaveQuoteStatus, platformInfoBlob, isvEnclaveQuoteBody; v5 appends
    // tcbEvaluationDataNumber. v2 has no version field. No whitespace anywhere.
    const members: string[] = [];
    if (options.nonce !== undefined) {
      if (options.nonce.length > MAX_NONCE_LENGTH) throw new RangeError(`nonce longer than ${MAX_NONCE_LENGTH} characters`);
      members.push(`"nonce":${plainString("nonce", options.nonce)}`);
    }
    members.push(`"id":"${id}"`, `"timestamp":"${timestamp}"`);
    if (version !== 2) members.push(`"version":${version}`);
    if (options.epidPseudonym !== undefined) members.push(`"epidPseudonym":${plainString("epidPseudonym", options.epidPseudonym)}`);
    if (options.advisoryIDs !== undefined || options.advisoryURL !== undefined) {
      members.push(`"advisoryURL":${plainString("advisoryURL", options.advisoryURL ?? INTEL_ADVISORY_URL)}`);
      const ids = (options.advisoryIDs ?? []).map((a) => plainString("advisoryIDs[]", a));
      members.push(`"advisoryIDs":[${ids.join(",")}]`);
    }
    members.push(`"isvEnclaveQuoteStatus":"${status}"`);
    if (options.platformInfoBlob !== undefined) {
      const blob = options.platformInfoBlob;
      if (blob !== null && !/^[0-9A-F]*$/.test(blob)) throw new RangeError("platformInfoBlob must be upper-case hex");
      members.push(`"platformInfoBlob":${blob === null ? "null" : `"${blob}"`}`);
    }
    members.push(`"isvEnclaveQuoteBody":"${Buffer.from(quoteBody).toString("base64")}"`);
    if (version === 5) {
      const tcb = options.tcbEvaluationDataNumber ?? 16;
      if (!Number.isSafeInteger(tcb) || tcb < 0) throw new RangeError("tcbEvaluationDataNumber must be a non-negative integer");
      members.push(`"tcbEvaluationDataNumber":${tcb}`);
    }
    return Buffer.from(`{${members.join(",")}}`, "latin1");
  }

  /** Signs a 432-byte quote body as IAS would: report body, its signature and the certificate chain. */
  signQuote(quoteBody: Uint8Array, options: SignQuoteOptions = {}): SignedReport {
    return this.signReportBody(this.reportBody(quoteBody, options));
  }

  /** Builds a SIMULATION quote body from enclave fields and signs it. */
  attest(fields: SimulationQuoteFields, options: SignQuoteOptions = {}): SignedReport {
    return this.signQuote(buildSimulationQuoteBody(fields), options);
  }

  /** Wraps already formatted report bytes (any bytes) with a signature and the certificate chain. */
  signReportBody(report: Uint8Array): SignedReport {
    const signature = this.signBody(report);
    return {
      report: Buffer.from(report),
      signature,
      signatureBase64: signature.toString("base64"),
      keyId: this.keyId,
      certificates: this.certificates,
    };
  }
}
