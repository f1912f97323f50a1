/**
 * Intel SGX ECDSA quotes, versions 3 and 4 (Intel SGX ECDSA Quote Library Reference, "Quote Format"):
 * the 48-byte header, the 384-byte ISV enclave report, and the signature data (ISV report signature,
 * attestation key, QE report, QE report signature, QE authentication data, certification data of type 5,
 * the PCK certificate chain in PEM). Version 4 wraps the QE report and what follows in certification data
 * of type 6; both layouts decode to the same `DcapQuote`. Everything the host hands over may be forged:
 * each length is checked against what remains, and anything else is refused with its own error.
 */
import { dcapError } from "./errors";

export const QUOTE_HEADER_LENGTH = 48;
export const ENCLAVE_REPORT_LENGTH = 384;
/** Header and ISV report: what the attestation key signs. */
export const QUOTE_SIGNED_LENGTH = QUOTE_HEADER_LENGTH + ENCLAVE_REPORT_LENGTH;
export const ECDSA_SIGNATURE_LENGTH = 64;
export const ATTESTATION_KEY_LENGTH = 64;

export const QUOTE_VERSION_3 = 3;
export const QUOTE_VERSION_4 = 4;
/** Header `tee_type` (v4; the same u32 is reserved and zero in v3). */
export const TEE_TYPE_SGX = 0x00;
export const TEE_TYPE_TDX = 0x81;
/** sgx_attestation_algorithm_id_t: ECDSA-256-with-P-256 curve. */
export const ATTESTATION_KEY_TYPE_ECDSA_P256 = 2;
/** Intel's quoting enclave vendor id. */
export const INTEL_QE_VENDOR_ID = "939a7233f79c4ca9940a0db3957f0607";
/** Certification data types: 5 = PCK certificate chain (PEM), 6 = QE report certification data (v4). */
export const CERT_TYPE_PCK_CHAIN = 5;
export const CERT_TYPE_QE_REPORT = 6;

/** Header offsets. */
const VERSION_OFFSET = 0;
const KEY_TYPE_OFFSET = 2;
const TEE_TYPE_OFFSET = 4;
const QE_SVN_OFFSET = 8;
const PCE_SVN_OFFSET = 10;
const QE_VENDOR_ID_OFFSET = 12;
const QE_VENDOR_ID_LENGTH = 16;
const USER_DATA_OFFSET = 28;
const USER_DATA_LENGTH = 20;

/** sgx_report_body_t offsets, relative to the report. */
export const REPORT_CPUSVN_OFFSET = 0;
export const REPORT_MISCSELECT_OFFSET = 16;
export const REPORT_ATTRIBUTES_OFFSET = 48;
export const REPORT_MRENCLAVE_OFFSET = 64;
export const REPORT_MRSIGNER_OFFSET = 128;
export const REPORT_ISV_PROD_ID_OFFSET = 256;
export const REPORT_ISV_SVN_OFFSET = 258;
export const REPORT_DATA_OFFSET = 320;
export const REPORT_DATA_LENGTH = 64;
/** SGX_FLAGS_DEBUG in attributes.flags. */
export const SGX_FLAGS_DEBUG = 0x02n;

/** The decoded sgx_report_body_t (ISV enclave or QE). Byte fields are copies. */
export interface EnclaveReport {
  /** The 384 bytes as signed. */
  raw: Uint8Array;
  cpuSvn: Uint8Array;
  miscselect: number;
  /** 16 bytes: flags (u64 LE) then xfrm (u64 LE). */
  attributes: Uint8Array;
  flags: bigint;
  debug: boolean;
  mrenclave: Uint8Array;
  mrsigner: Uint8Array;
  isvProdId: number;
  isvSvn: number;
  reportData: Uint8Array;
}

export interface DcapQuote {
  version: number;
  attestationKeyType: number;
  teeType: number;
  qeSvn: number;
  pceSvn: number;
  qeVendorId: Uint8Array;
  userData: Uint8Array;
  /** Header and ISV report (432 bytes): what `isvSignature` signs. */
  signedBytes: Uint8Array;
  report: EnclaveReport;
  /** r || s, 64 bytes. */
  isvSignature: Uint8Array;
  /** x || y of the P-256 attestation key, 64 bytes. */
  attestationKey: Uint8Array;
  qeReport: EnclaveReport;
  qeReportSignature: Uint8Array;
  qeAuthData: Uint8Array;
  /** The certification data (type 5) as carried: PEM text, possibly with a trailing NUL. */
  pckChainPem: Uint8Array;
}

function copy(b: Uint8Array, offset: number, length: number): Uint8Array {
  return Uint8Array.from(b.subarray(offset, offset + length));
}

export function readU16(b: Uint8Array, offset: number): number {
  return b[offset] | (b[offset + 1] << 8);
}

export function readU32(b: Uint8Array, offset: number): number {
  return (b[offset] | (b[offset + 1] << 8) | (b[offset + 2] << 16)) + b[offset + 3] * 0x1000000;
}

function readU64(b: Uint8Array, offset: number): bigint {
  let v = 0n;
  for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(b[offset + i]);
  return v;
}

/** Decodes a 384-byte sgx_report_body_t. */
export function decodeEnclaveReport(raw: Uint8Array): EnclaveReport {
  if (raw.length !== ENCLAVE_REPORT_LENGTH) throw new RangeError(`an enclave report is ${ENCLAVE_REPORT_LENGTH} bytes, got ${raw.length}`);
  const flags = readU64(raw, REPORT_ATTRIBUTES_OFFSET);
  return {
    raw: Uint8Array.from(raw),
    cpuSvn: copy(raw, REPORT_CPUSVN_OFFSET, 16),
    miscselect: readU32(raw, REPORT_MISCSELECT_OFFSET),
    attributes: copy(raw, REPORT_ATTRIBUTES_OFFSET, 16),
    flags,
    debug: (flags & SGX_FLAGS_DEBUG) !== 0n,
    mrenclave: copy(raw, REPORT_MRENCLAVE_OFFSET, 32),
    mrsigner: copy(raw, REPORT_MRSIGNER_OFFSET, 32),
    isvProdId: readU16(raw, REPORT_ISV_PROD_ID_OFFSET),
    isvSvn: readU16(raw, REPORT_ISV_SVN_OFFSET),
    reportData: copy(raw, REPORT_DATA_OFFSET, REPORT_DATA_LENGTH),
  };
}

/** A bounds-checked cursor: every read past `end` is `QuoteTruncated(offset)`. */
class Cursor {
  constructor(
    readonly bytes: Uint8Array,
    public offset: number,
    readonly end: number,
  ) {}

  take(length: number): Uint8Array {
    if (this.offset + length > this.end) dcapError("QuoteTruncated", BigInt(this.offset));
    const out = copy(this.bytes, this.offset, length);
    this.offset += length;
    return out;
  }

  u16(): number {
    if (this.offset + 2 > this.end) dcapError("QuoteTruncated", BigInt(this.offset));
    const v = readU16(this.bytes, this.offset);
    this.offset += 2;
    return v;
  }

  u32(): number {
    if (this.offset + 4 > this.end) dcapError("QuoteTruncated", BigInt(this.offset));
    const v = readU32(this.bytes, this.offset);
    this.offset += 4;
    return v;
  }

  /** The end of a field of `length` bytes starting here, checked. */
  limit(length: number): number {
    if (this.offset + length > this.end) dcapError("QuoteTruncated", BigInt(this.offset));
    return this.offset + length;
  }
}

/** Reads certification data (type u16, size u32, data) and requires `type`. Returns the data's span. */
function certificationData(c: Cursor, type: number): Cursor {
  const certType = c.u16();
  const size = c.u32();
  if (certType !== type) dcapError("CertificationDataTypeUnsupported", BigInt(certType));
  const end = c.limit(size);
  const inner = new Cursor(c.bytes, c.offset, end);
  c.offset = end;
  return inner;
}

function requireConsumed(c: Cursor): void {
  if (c.offset !== c.end) dcapError("QuoteTrailingBytes", BigInt(c.offset));
}

/**
 * Decodes a raw quote. Header checks come first, in this order: TEE type (a TDX quote is refused as such
 * whatever its version), version, attestation key type, QE vendor id. Then every length is checked.
 */
export function decodeQuote(quote: Uint8Array): DcapQuote {
  if (quote.length < QUOTE_HEADER_LENGTH) dcapError("QuoteTruncated", BigInt(quote.length));
  const teeType = readU32(quote, TEE_TYPE_OFFSET);
  if (teeType !== TEE_TYPE_SGX) dcapError("QuoteTeeTypeUnsupported", BigInt(teeType));
  const version = readU16(quote, VERSION_OFFSET);
  if (version !== QUOTE_VERSION_3 && version !== QUOTE_VERSION_4) dcapError("QuoteVersionUnsupported", BigInt(version));
  const attestationKeyType = readU16(quote, KEY_TYPE_OFFSET);
  if (attestationKeyType !== ATTESTATION_KEY_TYPE_ECDSA_P256) dcapError("AttestationKeyTypeUnsupported", BigInt(attestationKeyType));
  const qeVendorId = copy(quote, QE_VENDOR_ID_OFFSET, QE_VENDOR_ID_LENGTH);
  const vendorHex = "0x" + Buffer.from(qeVendorId).toString("hex");
  if (vendorHex !== "0x" + INTEL_QE_VENDOR_ID) dcapError("QeVendorIdUnsupported", vendorHex);

  const c = new Cursor(quote, QUOTE_HEADER_LENGTH, quote.length);
  const reportRaw = c.take(ENCLAVE_REPORT_LENGTH);
  const signatureDataLength = c.u32();
  const sig = new Cursor(quote, c.offset, c.limit(signatureDataLength));
  if (sig.end !== quote.length) dcapError("QuoteTrailingBytes", BigInt(sig.end));

  const isvSignature = sig.take(ECDSA_SIGNATURE_LENGTH);
  const attestationKey = sig.take(ATTESTATION_KEY_LENGTH);
  // v3: QE report etc. follow directly; v4: they are certification data of type 6.
  const qe = version === QUOTE_VERSION_4 ? certificationData(sig, CERT_TYPE_QE_REPORT) : sig;
  const qeReportRaw = qe.take(ENCLAVE_REPORT_LENGTH);
  const qeReportSignature = qe.take(ECDSA_SIGNATURE_LENGTH);
  const qeAuthLength = qe.u16();
  const qeAuthData = qe.take(qeAuthLength);
  const chain = certificationData(qe, CERT_TYPE_PCK_CHAIN);
  const pckChainPem = chain.take(chain.end - chain.offset);
  requireConsumed(qe);
  requireConsumed(sig);

  return {
    version,
    attestationKeyType,
    teeType,
    qeSvn: readU16(quote, QE_SVN_OFFSET),
    pceSvn: readU16(quote, PCE_SVN_OFFSET),
    qeVendorId,
    userData: copy(quote, USER_DATA_OFFSET, USER_DATA_LENGTH),
    signedBytes: copy(quote, 0, QUOTE_SIGNED_LENGTH),
    report: decodeEnclaveReport(reportRaw),
    isvSignature,
    attestationKey,
    qeReport: decodeEnclaveReport(qeReportRaw),
    qeReportSignature,
    qeAuthData,
    pckChainPem,
  };
}

/** The parts a quote is built from (tests and the development PCS): the inverse of `decodeQuote`. */
export interface QuoteParts {
  /** The 48-byte header. */
  header: Uint8Array;
  report: Uint8Array;
  isvSignature: Uint8Array;
  attestationKey: Uint8Array;
  qeReport: Uint8Array;
  qeReportSignature: Uint8Array;
  qeAuthData: Uint8Array;
  pckChainPem: Uint8Array;
}

function u16(v: number): Uint8Array {
  return Uint8Array.from([v & 0xff, (v >> 8) & 0xff]);
}

function u32(v: number): Uint8Array {
  return Uint8Array.from([v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff]);
}

function concat(parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

/** Serialises a quote in the layout of the header's version (3: flat, 4: QE report certification data). */
export function encodeQuote(p: QuoteParts): Uint8Array {
  const version = readU16(p.header, VERSION_OFFSET);
  const chain = concat([u16(CERT_TYPE_PCK_CHAIN), u32(p.pckChainPem.length), p.pckChainPem]);
  let qe = concat([p.qeReport, p.qeReportSignature, u16(p.qeAuthData.length), p.qeAuthData, chain]);
  if (version === QUOTE_VERSION_4) qe = concat([u16(CERT_TYPE_QE_REPORT), u32(qe.length), qe]);
  const signatureData = concat([p.isvSignature, p.attestationKey, qe]);
  return concat([p.header, p.report, u32(signatureData.length), signatureData]);
}

/** The parts of a decoded quote, for re-encoding after a change. */
export function partsOf(q: DcapQuote): QuoteParts {
  return {
    header: q.signedBytes.slice(0, QUOTE_HEADER_LENGTH),
    report: q.report.raw,
    isvSignature: q.isvSignature,
    attestationKey: q.attestationKey,
    qeReport: q.qeReport.raw,
    qeReportSignature: q.qeReportSignature,
    qeAuthData: q.qeAuthData,
    pckChainPem: q.pckChainPem,
  };
}
