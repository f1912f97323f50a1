/**
 * A strict DER reader for what DCAP needs (X.509 certificates, CRLs, the SGX extension): single-byte tags,
 * definite lengths in short or minimal long form (up to 3 length bytes), every element inside its parent.
 * Failures call the supplied `fail(offset)` so each caller raises its own typed error at the element's
 * offset (the same offsets the Solidity parser reports).
 */
export const TAG_BOOLEAN = 0x01;
export const TAG_INTEGER = 0x02;
export const TAG_BIT_STRING = 0x03;
export const TAG_OCTET_STRING = 0x04;
export const TAG_OID = 0x06;
export const TAG_ENUMERATED = 0x0a;
export const TAG_UTC_TIME = 0x17;
export const TAG_GENERALIZED_TIME = 0x18;
export const TAG_SEQUENCE = 0x30;
export const TAG_SET = 0x31;
export const TAG_CONTEXT_0 = 0xa0;
export const TAG_CONTEXT_3 = 0xa3;

const LONG_FORM = 0x80;
const MAX_LENGTH_BYTES = 3;
const HIGH_TAG_NUMBER_FORM = 0x1f;

export interface Tlv {
  tag: number;
  /** Offset of the tag byte. */
  offset: number;
  /** First content byte. */
  start: number;
  /** Just past the content. */
  end: number;
}

export type Fail = (offset: number) => never;

export class DerReader {
  constructor(
    readonly der: Uint8Array,
    readonly fail: Fail,
  ) {}

  /** The TLV at `offset`, which must end at or before `limit`. */
  tlv(offset: number, limit: number): Tlv {
    const der = this.der;
    if (offset + 2 > limit) this.fail(offset);
    const tag = der[offset];
    if ((tag & HIGH_TAG_NUMBER_FORM) === HIGH_TAG_NUMBER_FORM) this.fail(offset);
    const first = der[offset + 1];
    let start = offset + 2;
    let length: number;
    if (first < LONG_FORM) {
      length = first;
    } else {
      const count = first & ~LONG_FORM;
      if (count === 0 || count > MAX_LENGTH_BYTES || start + count > limit) this.fail(offset);
      if (der[start] === 0) this.fail(offset); // leading zero: not minimal
      length = 0;
      for (let i = 0; i < count; i++) length = length * 256 + der[start + i];
      if (length < LONG_FORM) this.fail(offset);
      start += count;
    }
    const end = start + length;
    if (end > limit) this.fail(offset);
    return { tag, offset, start, end };
  }

  /** The TLV at `offset` with tag `tag`. */
  expect(offset: number, limit: number, tag: number): Tlv {
    const t = this.tlv(offset, limit);
    if (t.tag !== tag) this.fail(offset);
    return t;
  }

  /** The children of a constructed element, in order. */
  children(parent: Tlv): Tlv[] {
    const out: Tlv[] = [];
    for (let p = parent.start; p < parent.end; ) {
      const t = this.tlv(p, parent.end);
      out.push(t);
      p = t.end;
    }
    return out;
  }

  content(t: Tlv): Uint8Array {
    return this.der.subarray(t.start, t.end);
  }

  whole(t: Tlv): Uint8Array {
    return this.der.subarray(t.offset, t.end);
  }

  /** A non-negative DER INTEGER that fits `maxBytes` bytes of magnitude, minimally encoded. */
  unsigned(t: Tlv, maxBytes: number): bigint {
    if (t.tag !== TAG_INTEGER && t.tag !== TAG_ENUMERATED) this.fail(t.offset);
    const c = this.content(t);
    if (c.length === 0 || (c[0] & 0x80) !== 0) this.fail(t.offset); // empty or negative
    if (c.length > 1 && c[0] === 0 && (c[1] & 0x80) === 0) this.fail(t.offset); // not minimal
    const magnitude = c[0] === 0 ? c.subarray(1) : c;
    if (magnitude.length > maxBytes) this.fail(t.offset);
    let v = 0n;
    for (const b of magnitude) v = (v << 8n) | BigInt(b);
    return v;
  }
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
