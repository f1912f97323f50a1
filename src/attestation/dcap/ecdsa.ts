/**
 * ECDSA P-256 with SHA-256 as Intel uses it: signatures as r || s (64 bytes) in quotes and collateral,
 * DER SEQUENCE { r, s } in certificates and CRLs. Intel's signers do not normalise s, so high-s
 * signatures are accepted (as the P256VERIFY precompile does); r and s must lie in [1, n-1].
 */
import { p256 } from "@noble/curves/nist.js";
import { DerReader, TAG_INTEGER, TAG_SEQUENCE } from "./der";

export const P256_SCALAR_LENGTH = 32;
const UNCOMPRESSED = 0x04;

/** True when `xy` (64 bytes, x || y) is a point on P-256 (not the identity). */
export function isP256Point(xy: Uint8Array): boolean {
  if (xy.length !== 2 * P256_SCALAR_LENGTH) return false;
  try {
    p256.Point.fromBytes(Uint8Array.from([UNCOMPRESSED, ...xy])).assertValidity();
    return true;
  } catch {
    return false;
  }
}

/** Verifies r || s over SHA-256(message) under the key x || y. Any malformed input is simply false. */
export function verifyP256(message: Uint8Array, signature: Uint8Array, keyXY: Uint8Array): boolean {
  if (signature.length !== 2 * P256_SCALAR_LENGTH || keyXY.length !== 2 * P256_SCALAR_LENGTH) return false;
  try {
    return p256.verify(signature, message, Uint8Array.from([UNCOMPRESSED, ...keyXY]), { lowS: false, prehash: true, format: "compact" });
  } catch {
    return false;
  }
}

/** DER `SEQUENCE { INTEGER r, INTEGER s }` to r || s; undefined unless strict DER with 0 < r, s < 2^256. */
export function derSignatureToRaw(der: Uint8Array): Uint8Array | undefined {
  const fail = (): never => {
    throw new RangeError("not a DER ECDSA signature");
  };
  try {
    const r = new DerReader(der, fail);
    const seq = r.expect(0, der.length, TAG_SEQUENCE);
    if (seq.end !== der.length) return undefined;
    const parts = r.children(seq);
    if (parts.length !== 2 || parts.some((p) => p.tag !== TAG_INTEGER)) return undefined;
    const out = new Uint8Array(2 * P256_SCALAR_LENGTH);
    parts.forEach((p, i) => {
      const v = r.unsigned(p, P256_SCALAR_LENGTH);
      out.set(Buffer.from(v.toString(16).padStart(2 * P256_SCALAR_LENGTH, "0"), "hex"), i * P256_SCALAR_LENGTH);
    });
    return out;
  } catch (e) {
    if (e instanceof RangeError) return undefined;
    throw e;
  }
}
