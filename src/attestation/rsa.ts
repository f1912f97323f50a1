/**
 * RSASSA-PKCS1-v1_5 with SHA-256 verification (RFC 8017 8.2.2) with exactly the acceptance rules of
 * OpenZeppelin's `RSA.pkcs1Sha256`, which the on-chain verifier uses: modulus of at least 2048 bits,
 * signature as long as the modulus, s < n, and the encoded message equal to
 * 00 01 FF..FF 00 DigestInfo with the SHA-256 AlgorithmIdentifier's NULL parameters present or absent.
 * (OpenSSL accepts only the explicit-NULL form, so a library call would disagree with the chain on
 * signatures made with absent parameters.)
 */
import { createHash } from "node:crypto";

/** OpenZeppelin refuses moduli shorter than 2048 bits (256 bytes). */
export const MIN_MODULUS_BYTES = 256;

/** DigestInfo prefix for SHA-256 with explicit NULL parameters (RFC 8017 9.2 note 1). */
const DIGEST_INFO_SHA256_NULL = Buffer.from("3031300d060960864801650304020105000420", "hex");
/** The same without the NULL parameters (RFC 4055 2.1 allows absent parameters). */
const DIGEST_INFO_SHA256_ABSENT = Buffer.from("302f300b0609608648016503040201" + "0420", "hex");

function toBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt("0x" + Buffer.from(bytes).toString("hex"));
}

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n % modulus;
  let b = base % modulus;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
    e >>= 1n;
  }
  return result;
}

function encodedMessage(digest: Buffer, digestInfoPrefix: Buffer, length: number): Buffer {
  const tLength = digestInfoPrefix.length + digest.length;
  return Buffer.concat([Buffer.from([0x00, 0x01]), Buffer.alloc(length - tLength - 3, 0xff), Buffer.from([0x00]), digestInfoPrefix, digest]);
}

/**
 * Verifies `signature` over `message`. `modulus` must not carry DER's leading zero byte (as on chain).
 * Returns false (never throws) for any malformed input.
 */
export function rsaPkcs1Sha256Verify(message: Uint8Array, signature: Uint8Array, modulus: Uint8Array, exponent: Uint8Array): boolean {
  const length = modulus.length;
  if (length < MIN_MODULUS_BYTES || signature.length !== length) return false;
  const n = toBigInt(modulus);
  const s = toBigInt(signature);
  if (s >= n) return false;
  const m = modPow(s, toBigInt(exponent), n);
  const em = Buffer.from(m.toString(16).padStart(length * 2, "0"), "hex");
  if (em.length !== length) return false;
  const digest = createHash("sha256").update(message).digest();
  return em.equals(encodedMessage(digest, DIGEST_INFO_SHA256_NULL, length)) || em.equals(encodedMessage(digest, DIGEST_INFO_SHA256_ABSENT, length));
}
