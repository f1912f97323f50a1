/**
 * From parsed report JSON to typed report fields (steps 4 to 7 of the IAS verification rules):
 * duplicates, missing and ill-typed fields, the quote body's base64, and the timestamp.
 */
import { IasVerificationError } from "./errors";
import { parseReportJson, type JsonMember, type JsonValue } from "./reportJson";
import { QUOTE_BODY_LENGTH } from "./quote";
import { unixSeconds } from "./certificate";

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
  status: string;
  quoteBody: Uint8Array;
  /** Every member, for tools that show optional fields (nonce, advisoryIDs, ...). */
  members: JsonMember[];
}

const BASE64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const BASE64_VALUES = new Map([...BASE64_ALPHABET].map((c, i) => [c.charCodeAt(0), i]));
const PAD = 0x3d; // '='

/**
 * Standard base64 (RFC 4648 section 4) with padding: length a multiple of 4, alphabet A-Z a-z 0-9 + /,
 * at most two '=' and only at the end. Returns undefined when the text is not of that form.
 */
export function decodeStandardBase64(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0) return undefined;
  let padding = 0;
  if (text.length > 0 && text.charCodeAt(text.length - 1) === PAD) padding = text.charCodeAt(text.length - 2) === PAD ? 2 : 1;
  const out = new Uint8Array((text.length / 4) * 3 - padding);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const last = i + 4 === text.length;
    let quantum = 0;
    for (let j = 0; j < 4; j++) {
      const c = text.charCodeAt(i + j);
      const isPad = last && j >= 4 - padding;
      const v = isPad ? 0 : BASE64_VALUES.get(c);
      if (v === undefined || (isPad && c !== PAD)) return undefined;
      quantum = (quantum << 6) | v;
    }
    const bytes = [(quantum >> 16) & 0xff, (quantum >> 8) & 0xff, quantum & 0xff];
    const count = last ? 3 - padding : 3;
    for (let k = 0; k < count; k++) out[o++] = bytes[k];
  }
  return out;
}

const TIMESTAMP_LENGTH_WITHOUT_FRACTION = 19; // YYYY-MM-DDTHH:MM:SS
const FRACTION_DIGITS = 6;

/**
 * `YYYY-MM-DDTHH:MM:SS` optionally followed by `.` and exactly six digits (IAS's microseconds), UTC.
 * Returns unix seconds, or undefined when the text is not of that form or names no real instant
 * (month 1..12, day within the month, hour <= 23, minute and second <= 59, year >= 1970).
 */
export function parseIasTimestamp(text: string): bigint | undefined {
  const full = TIMESTAMP_LENGTH_WITHOUT_FRACTION + 1 + FRACTION_DIGITS;
  if (text.length !== TIMESTAMP_LENGTH_WITHOUT_FRACTION && text.length !== full) return undefined;
  const shape = text.length === full ? "dddd-dd-ddTdd:dd:dd.dddddd" : "dddd-dd-ddTdd:dd:dd";
  for (let i = 0; i < shape.length; i++) {
    const c = text.charCodeAt(i);
    if (shape[i] === "d" ? c < 0x30 || c > 0x39 : c !== shape.charCodeAt(i)) return undefined;
  }
  const num = (from: number, count: number) => Number(text.slice(from, from + count));
  return unixSeconds(num(0, 4), num(5, 2), num(8, 2), num(11, 2), num(14, 2), num(17, 2));
}

function requireUnescapedString(field: string, value: JsonValue): string {
  if (value.kind !== "string" || value.escaped) throw new IasVerificationError("ReportFieldInvalid", [field]);
  return value.text;
}

/**
 * Parses report bytes and reads its fields, checking (in order): JSON grammar (`ReportMalformed`),
 * duplicated known keys (`ReportFieldDuplicated`, the first repeat in document order), missing
 * required fields (`ReportFieldMissing`: id, timestamp, isvEnclaveQuoteStatus, isvEnclaveQuoteBody),
 * `version` (`ReportFieldInvalid`), required-field types (`ReportFieldInvalid`: unescaped strings, same
 * order), the quote body (`QuoteBodyEncodingInvalid`, `QuoteBodyLengthInvalid`), then the timestamp
 * (`ReportTimestampInvalid`).
 */
export function readReportFields(report: Uint8Array): ReportFields {
  const members = parseReportJson(report);

  const known = new Set<string>(KNOWN_REPORT_FIELDS);
  const byKey = new Map<string, JsonValue>();
  for (const m of members) {
    if (!known.has(m.key)) continue;
    if (byKey.has(m.key)) throw new IasVerificationError("ReportFieldDuplicated", [m.key]);
    byKey.set(m.key, m.value);
  }
  for (const field of REQUIRED_REPORT_FIELDS) {
    if (!byKey.has(field)) throw new IasVerificationError("ReportFieldMissing", [field]);
  }

  let version = IMPLICIT_VERSION;
  const versionValue = byKey.get("version");
  if (versionValue !== undefined) {
    if (versionValue.kind !== "number") throw new IasVerificationError("ReportFieldInvalid", ["version"]);
    const v = BigInt(versionValue.digits);
    if (v < BigInt(MIN_VERSION) || v > BigInt(MAX_VERSION)) throw new IasVerificationError("ReportFieldInvalid", ["version"]);
    version = Number(v);
  }

  const id = requireUnescapedString("id", byKey.get("id")!);
  const timestampText = requireUnescapedString("timestamp", byKey.get("timestamp")!);
  const status = requireUnescapedString("isvEnclaveQuoteStatus", byKey.get("isvEnclaveQuoteStatus")!);
  const quoteBodyText = requireUnescapedString("isvEnclaveQuoteBody", byKey.get("isvEnclaveQuoteBody")!);

  const quoteBody = decodeStandardBase64(quoteBodyText);
  if (quoteBody === undefined) throw new IasVerificationError("QuoteBodyEncodingInvalid");
  if (quoteBody.length !== QUOTE_BODY_LENGTH) throw new IasVerificationError("QuoteBodyLengthInvalid", [BigInt(quoteBody.length)]);

  const timestamp = parseIasTimestamp(timestampText);
  if (timestamp === undefined) throw new IasVerificationError("ReportTimestampInvalid");

  return { id, timestampText, timestamp, version, status, quoteBody, members };
}
