/**
 * A small DER writer for what the development PCS issues (X.509 certificates, CRLs, the SGX extension):
 * definite minimal lengths, minimal INTEGERs, OIDs from dotted strings, UTCTime/GeneralizedTime in UTC.
 * The inverse of what der.ts reads; nothing here is used to verify anything.
 */
import { TAG_BIT_STRING, TAG_BOOLEAN, TAG_ENUMERATED, TAG_GENERALIZED_TIME, TAG_INTEGER, TAG_OCTET_STRING, TAG_OID, TAG_SEQUENCE, TAG_SET, TAG_UTC_TIME } from "./der";

export const TAG_UTF8_STRING = 0x0c;
export const TAG_PRINTABLE_STRING = 0x13;
export const TAG_IA5_STRING = 0x16;
/** The last year UTCTime carries (RFC 5280 4.1.2.5: 2050 and later are GeneralizedTime). */
const LAST_UTC_TIME_YEAR = 2049;

function length(n: number): Buffer {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`bad DER length ${n}`);
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, content: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([tag]), length(content.length), content]);
}

export function sequence(...items: Uint8Array[]): Buffer {
  return tlv(TAG_SEQUENCE, Buffer.concat(items));
}

export function set(...items: Uint8Array[]): Buffer {
  return tlv(TAG_SET, Buffer.concat(items));
}

/** An explicit or constructed context tag [n]. */
export function context(n: number, ...items: Uint8Array[]): Buffer {
  if (n < 0 || n > 30) throw new RangeError(`context tag ${n}`);
  return tlv(0xa0 | n, Buffer.concat(items));
}

/** A non-negative INTEGER from a bigint/number, or from magnitude bytes (a sign byte is added when needed). */
export function integer(value: bigint | number | Uint8Array, tag = TAG_INTEGER): Buffer {
  let bytes: Buffer;
  if (value instanceof Uint8Array) {
    bytes = Buffer.from(value);
    let i = 0;
    while (i < bytes.length - 1 && bytes[i] === 0) i++;
    bytes = bytes.subarray(i);
    if (bytes.length === 0) bytes = Buffer.from([0]);
  } else {
    const v = BigInt(value);
    if (v < 0n) throw new RangeError("negative INTEGER");
    let h = v.toString(16);
    if (h.length % 2 === 1) h = "0" + h;
    bytes = Buffer.from(h, "hex");
  }
  if (bytes[0] & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return tlv(tag, bytes);
}

export function enumerated(value: number): Buffer {
  return integer(value, TAG_ENUMERATED);
}

export function boolean(value: boolean): Buffer {
  return tlv(TAG_BOOLEAN, Buffer.from([value ? 0xff : 0x00]));
}

export function octetString(content: Uint8Array): Buffer {
  return tlv(TAG_OCTET_STRING, content);
}

/** BIT STRING with `unused` unused bits in the last byte. */
export function bitString(content: Uint8Array, unused = 0): Buffer {
  return tlv(TAG_BIT_STRING, Buffer.concat([Buffer.from([unused]), content]));
}

export function oid(dotted: string): Buffer {
  const arcs = dotted.split(".").map((a) => {
    if (!/^\d+$/.test(a)) throw new RangeError(`bad OID ${dotted}`);
    return BigInt(a);
  });
  if (arcs.length < 2 || arcs[0] > 2n) throw new RangeError(`bad OID ${dotted}`);
  const out: number[] = [];
  const push = (v: bigint) => {
    const groups: number[] = [Number(v & 0x7fn)];
    for (v >>= 7n; v > 0n; v >>= 7n) groups.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...groups);
  };
  push(arcs[0] * 40n + arcs[1]);
  arcs.slice(2).forEach(push);
  return tlv(TAG_OID, Buffer.from(out));
}

export function utf8String(s: string): Buffer {
  return tlv(TAG_UTF8_STRING, Buffer.from(s, "utf8"));
}

export function printableString(s: string): Buffer {
  if (!/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(s)) throw new RangeError(`not a PrintableString: ${JSON.stringify(s)}`);
  return tlv(TAG_PRINTABLE_STRING, Buffer.from(s, "latin1"));
}

export function ia5String(s: string): Buffer {
  if (!/^[\x00-\x7f]*$/.test(s)) throw new RangeError("not IA5");
  return tlv(TAG_IA5_STRING, Buffer.from(s, "latin1"));
}

/** X.509 time: UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280), whole seconds, Z. */
export function time(unixSeconds: bigint | number): Buffer {
  const d = new Date(Number(unixSeconds) * 1000);
  if (Number.isNaN(d.getTime())) throw new RangeError(`bad time ${unixSeconds}`);
  const p2 = (n: number) => String(n).padStart(2, "0");
  const year = d.getUTCFullYear();
  if (year < 1950 || year > 9999) throw new RangeError(`year ${year} outside X.509 time`);
  const rest = `${p2(d.getUTCMonth() + 1)}${p2(d.getUTCDate())}${p2(d.getUTCHours())}${p2(d.getUTCMinutes())}${p2(d.getUTCSeconds())}Z`;
  return year <= LAST_UTC_TIME_YEAR
    ? tlv(TAG_UTC_TIME, Buffer.from(p2(year % 100) + rest, "latin1"))
    : tlv(TAG_GENERALIZED_TIME, Buffer.from(String(year) + rest, "latin1"));
}
