/**
 * Minimal DER reader for the X.509 fields Anonify checks. Only what certificates use: single-byte tags,
 * definite lengths in short or long (1..2 byte) form, minimal encoding. Every failure raises
 * `CertificateMalformed(offset)` with the offset of the element's tag byte (where an element was
 * expected), exactly as `contracts/lib/Asn1Der.sol` does.
 */
import { IasVerificationError } from "./errors";

export const TAG_INTEGER = 0x02;
export const TAG_BIT_STRING = 0x03;
export const TAG_UTC_TIME = 0x17;
export const TAG_GENERALIZED_TIME = 0x18;
export const TAG_SEQUENCE = 0x30;
export const TAG_CONTEXT_0 = 0xa0;

/** Long-form lengths up to two bytes (65535) cover every certificate IAS uses. */
const MAX_LENGTH_BYTES = 2;
const LONG_FORM = 0x80;
/** Tag numbers >= 31 use a multi-byte form no certificate field needs. */
const HIGH_TAG_NUMBER_FORM = 0x1f;

export interface Tlv {
  tag: number;
  /** Offset of the tag byte. */
  offset: number;
  /** Offset of the first content byte. */
  start: number;
  /** Offset just past the content. */
  end: number;
}

export function certificateMalformed(offset: number): never {
  throw new IasVerificationError("CertificateMalformed", [BigInt(offset)]);
}

/** Reads the TLV at `offset`, which must end at or before `limit`. */
export function readTlv(der: Uint8Array, offset: number, limit: number): Tlv {
  if (offset + 2 > limit) certificateMalformed(offset);
  const tag = der[offset];
  if ((tag & HIGH_TAG_NUMBER_FORM) === HIGH_TAG_NUMBER_FORM) certificateMalformed(offset);
  const first = der[offset + 1];
  let start = offset + 2;
  let length: number;
  if (first < LONG_FORM) {
    length = first;
  } else {
    const count = first & ~LONG_FORM;
    if (count === 0 || count > MAX_LENGTH_BYTES || start + count > limit) certificateMalformed(offset);
    length = 0;
    for (let i = 0; i < count; i++) length = (length << 8) | der[start + i];
    // DER: long form only when needed, and without leading zero bytes.
    if (length < LONG_FORM || (count === 2 && length < 0x100)) certificateMalformed(offset);
    start += count;
  }
  const end = start + length;
  if (end > limit) certificateMalformed(offset);
  return { tag, offset, start, end };
}

/** Reads the TLV at `offset` and requires its tag. */
export function expectTlv(der: Uint8Array, offset: number, limit: number, tag: number): Tlv {
  const tlv = readTlv(der, offset, limit);
  if (tlv.tag !== tag) certificateMalformed(offset);
  return tlv;
}

/** The whole element, header included. */
export function whole(der: Uint8Array, tlv: Tlv): Uint8Array {
  return der.subarray(tlv.offset, tlv.end);
}
