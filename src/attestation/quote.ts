/**
 * The 432-byte SGX quote body that IAS returns base64-encoded in `isvEnclaveQuoteBody`
 * (sgx_quote_t without the signature: 48-byte quote header followed by the 384-byte sgx_report_body_t).
 * Only the fields Anonify relies on have named offsets; everything else is carried as opaque bytes.
 */
import { IasVerificationError } from "./errors";

/** Length of `isvEnclaveQuoteBody` once base64-decoded. */
export const QUOTE_BODY_LENGTH = 432;

/** sgx_quote_t header: version (u16 LE) at 0, sign_type (u16 LE) at 2, EPID group id (4 bytes) at 4. */
export const QUOTE_VERSION_OFFSET = 0;
export const QUOTE_SIGN_TYPE_OFFSET = 2;
export const QUOTE_EPID_GROUP_ID_OFFSET = 4;
/** The report body (sgx_report_body_t) starts after the 48-byte quote header. */
export const REPORT_BODY_OFFSET = 48;

/** attributes.flags (u64 LE) of the enclave. */
export const ATTRIBUTES_FLAGS_OFFSET = 96;
export const ATTRIBUTES_FLAGS_LENGTH = 8;
/** attributes.xfrm (u64 LE), right after the flags. */
export const ATTRIBUTES_XFRM_OFFSET = 104;
export const MRENCLAVE_OFFSET = 112;
export const MRSIGNER_OFFSET = 176;
export const MEASUREMENT_LENGTH = 32;
export const ISV_PROD_ID_OFFSET = 304;
export const ISV_SVN_OFFSET = 306;
export const REPORT_DATA_OFFSET = 368;
export const REPORT_DATA_LENGTH = 64;

/** SGX_FLAGS_INITTED: every launched enclave has it. */
export const SGX_FLAGS_INITTED = 0x01n;
/** SGX_FLAGS_DEBUG: the enclave's memory is readable by a debugger; never trust it in production. */
export const SGX_FLAGS_DEBUG = 0x02n;
/** SGX_FLAGS_MODE64BIT. */
export const SGX_FLAGS_MODE64BIT = 0x04n;
/** What real enclaves report: INITTED | MODE64BIT (plus DEBUG for debug builds). */
export const DEFAULT_PRODUCTION_FLAGS = SGX_FLAGS_INITTED | SGX_FLAGS_MODE64BIT;
/** XFRM = x87 | SSE (legacy state), what most IAS vectors show. */
export const DEFAULT_XFRM = 0x07n;
/** Quote version 2 (EPID), as in every IAS report. */
export const EPID_QUOTE_VERSION = 2;
/** sign_type: 0 = unlinkable, 1 = linkable. */
export const EPID_SIGN_TYPE_UNLINKABLE = 0;
export const EPID_SIGN_TYPE_LINKABLE = 1;

/** Decoded fields of a quote body that Anonify uses. Byte fields are copies, never views into the input. */
export interface QuoteBody {
  version: number;
  signType: number;
  epidGroupId: Uint8Array;
  flags: bigint;
  xfrm: bigint;
  debug: boolean;
  mrenclave: Uint8Array;
  mrsigner: Uint8Array;
  isvProdId: number;
  isvSvn: number;
  reportData: Uint8Array;
}

function slice(bytes: Uint8Array, offset: number, length: number): Uint8Array {
  return Uint8Array.from(bytes.subarray(offset, offset + length));
}

function readU16LE(bytes: Uint8Array, offset: number): number {
  return bytes[offset] | (bytes[offset + 1] << 8);
}

function readU64LE(bytes: Uint8Array, offset: number): bigint {
  let value = 0n;
  for (let i = ATTRIBUTES_FLAGS_LENGTH - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[offset + i]);
  return value;
}

function writeU16LE(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value & 0xff;
  bytes[offset + 1] = (value >> 8) & 0xff;
}

function writeU64LE(bytes: Uint8Array, offset: number, value: bigint): void {
  for (let i = 0; i < 8; i++) bytes[offset + i] = Number((value >> BigInt(8 * i)) & 0xffn);
}

/** Decodes the fields Anonify uses; throws `QuoteBodyLengthInvalid` unless the body is exactly 432 bytes. */
export function decodeQuoteBody(body: Uint8Array): QuoteBody {
  if (body.length !== QUOTE_BODY_LENGTH) throw new IasVerificationError("QuoteBodyLengthInvalid", [BigInt(body.length)]);
  const flags = readU64LE(body, ATTRIBUTES_FLAGS_OFFSET);
  return {
    version: readU16LE(body, QUOTE_VERSION_OFFSET),
    signType: readU16LE(body, QUOTE_SIGN_TYPE_OFFSET),
    epidGroupId: slice(body, QUOTE_EPID_GROUP_ID_OFFSET, 4),
    flags,
    xfrm: readU64LE(body, ATTRIBUTES_XFRM_OFFSET),
    debug: (flags & SGX_FLAGS_DEBUG) !== 0n,
    mrenclave: slice(body, MRENCLAVE_OFFSET, MEASUREMENT_LENGTH),
    mrsigner: slice(body, MRSIGNER_OFFSET, MEASUREMENT_LENGTH),
    isvProdId: readU16LE(body, ISV_PROD_ID_OFFSET),
    isvSvn: readU16LE(body, ISV_SVN_OFFSET),
    reportData: slice(body, REPORT_DATA_OFFSET, REPORT_DATA_LENGTH),
  };
}

export interface SimulationQuoteFields {
  /** 32 bytes. */
  mrenclave: Uint8Array;
  /** 32 bytes; default all zero. */
  mrsigner?: Uint8Array;
  /** u16; default 0. */
  isvProdId?: number;
  /** u16; default 0. */
  isvSvn?: number;
  /** Sets SGX_FLAGS_DEBUG; default false. */
  debug?: boolean;
  /** Up to 64 bytes; shorter input is zero-padded on the right, as sgx_create_report does with sgx_report_data_t. */
  reportData: Uint8Array;
  /** EPID group id (4 bytes); default zero. */
  epidGroupId?: Uint8Array;
}

function requireLength(name: string, bytes: Uint8Array, length: number): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    throw new RangeError(`${name} must be ${length} bytes, got ${bytes instanceof Uint8Array ? bytes.length : typeof bytes}`);
  }
}

function requireU16(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) throw new RangeError(`${name} must be a u16, got ${value}`);
}

/**
 * Builds a 432-byte quote body for SIMULATION mode (the enclave running natively, attested by the development IAS).
 * The layout is Intel's; only the values are made up, so the same parser and verifier apply.
 */
export function buildSimulationQuoteBody(fields: SimulationQuoteFields): Uint8Array {
  const mrsigner = fields.mrsigner ?? new Uint8Array(MEASUREMENT_LENGTH);
  const epidGroupId = fields.epidGroupId ?? new Uint8Array(4);
  const isvProdId = fields.isvProdId ?? 0;
  const isvSvn = fields.isvSvn ?? 0;
  requireLength("mrenclave", fields.mrenclave, MEASUREMENT_LENGTH);
  requireLength("mrsigner", mrsigner, MEASUREMENT_LENGTH);
  requireLength("epidGroupId", epidGroupId, 4);
  requireU16("isvProdId", isvProdId);
  requireU16("isvSvn", isvSvn);
  if (!(fields.reportData instanceof Uint8Array) || fields.reportData.length > REPORT_DATA_LENGTH) {
    throw new RangeError(`reportData must be at most ${REPORT_DATA_LENGTH} bytes`);
  }

  const body = new Uint8Array(QUOTE_BODY_LENGTH);
  writeU16LE(body, QUOTE_VERSION_OFFSET, EPID_QUOTE_VERSION);
  writeU16LE(body, QUOTE_SIGN_TYPE_OFFSET, EPID_SIGN_TYPE_LINKABLE);
  body.set(epidGroupId, QUOTE_EPID_GROUP_ID_OFFSET);
  const flags = DEFAULT_PRODUCTION_FLAGS | (fields.debug === true ? SGX_FLAGS_DEBUG : 0n);
  writeU64LE(body, ATTRIBUTES_FLAGS_OFFSET, flags);
  writeU64LE(body, ATTRIBUTES_XFRM_OFFSET, DEFAULT_XFRM);
  body.set(fields.mrenclave, MRENCLAVE_OFFSET);
  body.set(mrsigner, MRSIGNER_OFFSET);
  writeU16LE(body, ISV_PROD_ID_OFFSET, isvProdId);
  writeU16LE(body, ISV_SVN_OFFSET, isvSvn);
  body.set(fields.reportData, REPORT_DATA_OFFSET);
  return body;
}

/** Returns a copy of `body` with the DEBUG flag set or cleared (tests and tools that probe the policy). */
export function withDebugFlag(body: Uint8Array, debug: boolean): Uint8Array {
  if (body.length !== QUOTE_BODY_LENGTH) throw new IasVerificationError("QuoteBodyLengthInvalid", [BigInt(body.length)]);
  const copy = Uint8Array.from(body);
  const flags = readU64LE(copy, ATTRIBUTES_FLAGS_OFFSET);
  writeU64LE(copy, ATTRIBUTES_FLAGS_OFFSET, debug ? flags | SGX_FLAGS_DEBUG : flags & ~SGX_FLAGS_DEBUG);
  return copy;
}
