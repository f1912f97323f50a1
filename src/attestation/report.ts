/**
 * From parsed report JSON to typed report fields (steps 4 to 7 of the IAS verification rules):
 * duplicates, missing and ill-typed fields, the quote body's base64, and the timestamp.
 */
import { IasVerificationError } from "./errors";
import { parseReportJson, type JsonMember, type JsonValue } from "./reportJson";
import { QUOTE_BODY_LENGTH } from "./quote";
import { unixSeconds } from "./time";

/** Keys IAS documents (v2..v5). A repeated one is rejected; unknown keys are skipped, repeated or not. */
export const KNOWN_REPORT_FIELDS = [
  "id",
  "timestamp",
  "version",
  "isvEnclaveQuoteStatus",
  "isvEnclaveQuoteBody",
  "nonce",
  "epidPseudonym",
  "advisoryURL",
  "advisoryIDs",
  "platformInfoBlob",
  "revocationReason",
  "pseManifestStatus",
  "pseManifestHash",
  "tcbEvaluationDataNumber",
] as const;

const KNOWN_FIELD_SET: ReadonlySet<string> = new Set(KNOWN_REPORT_FIELDS);

/** Required, in the order their absence is reported. */
export const REQUIRED_REPORT_FIELDS = ["id", "timestamp", "isvEnclaveQuoteStatus", "isvEnclaveQuoteBody"] as const;

/** A report without `version` is API v2. */
export const IMPLICIT_VERSION = 2;
export const MIN_VERSION = 2;
export const MAX_VERSION = 5;

/** The report fields the verifier uses, before any signature-key or policy judgement. */
export interface ReportFields {
  id: string;
  /** As written, e.g. "2019-11-16T17:23:27.854380". */
  timestampText: string;
  /** Unix seconds (fraction dropped). */
  timestamp: bigint;
  version: number;
  /** isvEnclaveQuoteStatus as its raw bytes (one char per byte, latin1). */
  status: string;
  quoteBody: Uint8Array;
  /** Every member, for tools that show optional fields (nonce, advisoryIDs, ...). */
  members: JsonMember[];
}

const BASE64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const BASE64_VALUES = new Map([...BASE64_ALPHABET].map((c, i) => [c.charCodeAt(0), i]));
const PAD = 0x3d; // '='

/**
 * Strict standard base64 (RFC 4648 section 4): length a multiple of 4, alphabet A-Z a-z 0-9 + /,
 * `=` only as the last one or two characters, and canonical (the unused low bits of the last data
 * character before padding are zero). Returns undefined when the text is not of that form.
 */
export function decodeStandardBase64(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0) return undefined;
  let padding = 0;
  if (text.length > 0 && text.charCodeAt(text.length - 1) === PAD) padding = text.charCodeAt(text.length - 2) === PAD ? 2 : 1;
  const out = new Uint8Array((text.length / 4) * 3 - padding);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const last = i + 4 === text.length;
    const sextets: number[] = [];
    for (let j = 0; j < 4; j++) {
      if (last && j >= 4 - padding) {
        sextets.push(0);
        continue;
      }
      const v = BASE64_VALUES.get(text.charCodeAt(i + j));
      if (v === undefined) return undefined;
      sextets.push(v);
    }
    // Canonical: with "==" the second sextet's low 4 bits, with "=" the third sextet's low 2 bits are zero.
    if (last && padding === 2 && (sextets[1] & 0x0f) !== 0) return undefined;
    if (last && padding === 1 && (sextets[2] & 0x03) !== 0) return undefined;
    const quantum = (sextets[0] << 18) | (sextets[1] << 12) | (sextets[2] << 6) | sextets[3];
    const bytes = [(quantum >> 16) & 0xff, (quantum >> 8) & 0xff, quantum & 0xff];
    const count = last ? 3 - padding : 3;
    for (let k = 0; k < count; k++) out[o++] = bytes[k];
  }
  return out;
}

const TIMESTAMP_LENGTH_WITHOUT_FRACTION = 19; // YYYY-MM-DDTHH:MM:SS
const TIMESTAMP_SHAPE = "dddd-dd-ddTdd:dd:dd";
const MAX_FRACTION_DIGITS = 6;

function isAsciiDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/**
 * `YYYY-MM-DDTHH:MM:SS`, optionally followed by `.` and 1 to 6 digits (dropped), UTC, nothing else.
 * Returns unix seconds, or undefined when the text is not of that form or names no real instant
 * (year >= 1970, month 1..12, day within the month, hour <= 23, minute and second <= 59).
 */
export function parseIasTimestamp(text: string): bigint | undefined {
  if (text.length < TIMESTAMP_LENGTH_WITHOUT_FRACTION) return undefined;
  for (let i = 0; i < TIMESTAMP_LENGTH_WITHOUT_FRACTION; i++) {
    const c = text.charCodeAt(i);
    if (TIMESTAMP_SHAPE[i] === "d" ? !isAsciiDigit(c) : c !== TIMESTAMP_SHAPE.charCodeAt(i)) return undefined;
  }
  if (text.length > TIMESTAMP_LENGTH_WITHOUT_FRACTION) {
    const fraction = text.length - TIMESTAMP_LENGTH_WITHOUT_FRACTION - 1;
    if (text[TIMESTAMP_LENGTH_WITHOUT_FRACTION] !== "." || fraction < 1 || fraction > MAX_FRACTION_DIGITS) return undefined;
    for (let i = TIMESTAMP_LENGTH_WITHOUT_FRACTION + 1; i < text.length; i++) if (!isAsciiDigit(text.charCodeAt(i))) return undefined;
  }
  const num = (from: number, count: number) => Number(text.slice(from, from + count));
  return unixSeconds(num(0, 4), num(5, 2), num(8, 2), num(11, 2), num(14, 2), num(17, 2));
}

function requireUnescapedString(field: string, value: JsonValue): string {
  if (value.kind !== "string" || value.escaped) throw new IasVerificationError("ReportFieldInvalid", [field]);
  return value.text;
}

/**
 * Parses report bytes and reads its fields, checking in the contract's order: JSON grammar
 * (`ReportMalformed`) and repeated known keys (`ReportFieldDuplicated`) in one scan; presence of
 * id, timestamp, isvEnclaveQuoteStatus, isvEnclaveQuoteBody (`ReportFieldMissing`); each of them a
 * string without backslash (`ReportFieldInvalid`, same order); `version` (`ReportFieldInvalid`);
 * the quote body (`QuoteBodyEncodingInvalid`, `QuoteBodyLengthInvalid`); the timestamp
 * (`ReportTimestampInvalid`).
 */
export function readReportFields(report: Uint8Array): ReportFields {
  const members = parseReportJson(report, KNOWN_FIELD_SET);

  const byKey = new Map<string, JsonValue>();
  for (const m of members) if (KNOWN_FIELD_SET.has(m.key)) byKey.set(m.key, m.value);
  for (const field of REQUIRED_REPORT_FIELDS) {
    if (!byKey.has(field)) throw new IasVerificationError("ReportFieldMissing", [field]);
  }
  const [id, timestampText, status, quoteBodyText] = REQUIRED_REPORT_FIELDS.map((field) => requireUnescapedString(field, byKey.get(field)!));

  let version = IMPLICIT_VERSION;
  const versionValue = byKey.get("version");
  if (versionValue !== undefined) {
    // Exactly one digit 2..5: "04", "6", "\"4\"" and null are all invalid.
    if (versionValue.kind !== "number" || versionValue.digits.length !== 1) throw new IasVerificationError("ReportFieldInvalid", ["version"]);
    version = Number(versionValue.digits);
    if (version < MIN_VERSION || version > MAX_VERSION) throw new IasVerificationError("ReportFieldInvalid", ["version"]);
  }

  const quoteBody = decodeStandardBase64(quoteBodyText);
  if (quoteBody === undefined) throw new IasVerificationError("QuoteBodyEncodingInvalid");
  if (quoteBody.length !== QUOTE_BODY_LENGTH) throw new IasVerificationError("QuoteBodyLengthInvalid", [BigInt(quoteBody.length)]);

  const timestamp = parseIasTimestamp(timestampText);
  if (timestamp === undefined) throw new IasVerificationError("ReportTimestampInvalid");

  return { id, timestampText, timestamp, version, status, quoteBody, members };
}
