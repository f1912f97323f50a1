/**
 * IAS certificates: pinning the RSA-3072 Report Signing CA and checking a report-signing leaf under it,
 * with the same rules and error codes as `IasVerifier.registerSigningCertificate` on chain.
 */
import { X509Certificate } from "node:crypto";
import { IasVerificationError } from "./errors";
import {
  TAG_BIT_STRING,
  TAG_CONTEXT_0,
  TAG_GENERALIZED_TIME,
  TAG_INTEGER,
  TAG_NULL,
  TAG_OID,
  TAG_SEQUENCE,
  TAG_UTC_TIME,
  certificateMalformed,
  contents,
  expectTlv,
  readTlv,
  whole,
} from "./der";
import { keyIdOf } from "./roots";
import { rsaPkcs1Sha256Verify } from "./rsa";

/** 1.2.840.113549.1.1.11 */
export const OID_SHA256_WITH_RSA = Uint8Array.from([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b]);
/** 1.2.840.113549.1.1.1 */
export const OID_RSA_ENCRYPTION = Uint8Array.from([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01]);
export const SIGNING_KEY_BITS = 2048;
export const CA_KEY_BITS = 3072;
/** The CA key must use the usual exponent; the modexp precompile prices larger ones higher. */
export const CA_EXPONENT = Uint8Array.from([0x01, 0x00, 0x01]);
/** UTCTime years 50..99 are 19xx, 00..49 are 20xx (RFC 5280 4.1.2.5.1). */
const UTC_TIME_PIVOT = 50;

/** The fields of a DER certificate that the checks use; byte fields are views into the DER. */
export interface ParsedCertificate {
  der: Uint8Array;
  tbs: Uint8Array;
  /** The outer signatureAlgorithm's OID content bytes and whether its parameters were NULL/absent. */
  signatureAlgorithmOid: Uint8Array;
  /** The TBSCertificate's own `signature` AlgorithmIdentifier (whole TLV). */
  tbsSignatureAlgorithm: Uint8Array;
  outerSignatureAlgorithm: Uint8Array;
  /** issuer Name, whole TLV bytes. */
  issuer: Uint8Array;
  /** subject Name, whole TLV bytes. */
  subject: Uint8Array;
  notBefore: bigint;
  notAfter: bigint;
  keyAlgorithmOid: Uint8Array;
  /** Modulus and exponent with DER's sign byte removed. */
  modulus: Uint8Array;
  exponent: Uint8Array;
  signature: Uint8Array;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function unsignedInteger(der: Uint8Array, offset: number, limit: number): { value: Uint8Array; end: number } {
  const tlv = expectTlv(der, offset, limit, TAG_INTEGER);
  let value = contents(der, tlv);
  if (value.length === 0 || (value[0] & 0x80) !== 0) certificateMalformed(offset);
  if (value.length > 1 && value[0] === 0) {
    if ((value[1] & 0x80) === 0) certificateMalformed(offset); // non-minimal
    value = value.subarray(1);
  }
  return { value, end: tlv.end };
}

function digits(der: Uint8Array, from: number, count: number, offset: number): number {
  let v = 0;
  for (let i = from; i < from + count; i++) {
    const b = der[i];
    if (b < 0x30 || b > 0x39) certificateMalformed(offset);
    v = v * 10 + (b - 0x30);
  }
  return v;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Unix seconds of a calendar time, or undefined when a field is out of range. */
export function unixSeconds(year: number, month: number, day: number, hour: number, minute: number, second: number): bigint | undefined {
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  return BigInt(daysFromCivil(year, month, day)) * 86400n + BigInt(hour * 3600 + minute * 60 + second);
}

/** UTCTime `YYMMDDHHMMSSZ` or GeneralizedTime `YYYYMMDDHHMMSSZ` (the DER forms RFC 5280 allows). */
function readTime(der: Uint8Array, offset: number, limit: number): { seconds: bigint; end: number } {
  const tlv = readTlv(der, offset, limit);
  const length = tlv.end - tlv.start;
  let year: number;
  let p = tlv.start;
  if (tlv.tag === TAG_UTC_TIME && length === 13) {
    const yy = digits(der, p, 2, offset);
    year = yy < UTC_TIME_PIVOT ? 2000 + yy : 1900 + yy;
    p += 2;
  } else if (tlv.tag === TAG_GENERALIZED_TIME && length === 15) {
    year = digits(der, p, 4, offset);
    p += 4;
  } else {
    return certificateMalformed(offset);
  }
  if (der[tlv.end - 1] !== 0x5a) certificateMalformed(offset); // 'Z'
  const month = digits(der, p, 2, offset);
  const day = digits(der, p + 2, 2, offset);
  const hour = digits(der, p + 4, 2, offset);
  const minute = digits(der, p + 6, 2, offset);
  const second = digits(der, p + 8, 2, offset);
  const seconds = unixSeconds(year, month, day, hour, minute, second);
  if (seconds === undefined) certificateMalformed(offset);
  return { seconds, end: tlv.end };
}

/** AlgorithmIdentifier: SEQUENCE { OID, [NULL] }. */
function readAlgorithm(der: Uint8Array, offset: number, limit: number): { oid: Uint8Array; whole: Uint8Array; end: number } {
  const seq = expectTlv(der, offset, limit, TAG_SEQUENCE);
  const oid = expectTlv(der, seq.start, seq.end, TAG_OID);
  if (oid.end !== seq.end) {
    const params = expectTlv(der, oid.end, seq.end, TAG_NULL);
    if (params.start !== params.end || params.end !== seq.end) certificateMalformed(params.offset);
  }
  return { oid: contents(der, oid), whole: whole(der, seq), end: seq.end };
}

/** Structural parse of an X.509 v3 certificate (RFC 5280 4.1); throws `CertificateMalformed(offset)`. */
export function parseCertificate(der: Uint8Array): ParsedCertificate {
  const cert = expectTlv(der, 0, der.length, TAG_SEQUENCE);
  if (cert.end !== der.length) certificateMalformed(cert.end);

  const tbs = expectTlv(der, cert.start, cert.end, TAG_SEQUENCE);
  let p = tbs.start;
  if (readTlv(der, p, tbs.end).tag === TAG_CONTEXT_0) p = readTlv(der, p, tbs.end).end; // version
  p = expectTlv(der, p, tbs.end, TAG_INTEGER).end; // serialNumber
  const tbsAlgorithm = readAlgorithm(der, p, tbs.end);
  p = tbsAlgorithm.end;
  const issuer = expectTlv(der, p, tbs.end, TAG_SEQUENCE);
  const validity = expectTlv(der, issuer.end, tbs.end, TAG_SEQUENCE);
  const notBefore = readTime(der, validity.start, validity.end);
  const notAfter = readTime(der, notBefore.end, validity.end);
  if (notAfter.end !== validity.end) certificateMalformed(notAfter.end);
  const subject = expectTlv(der, validity.end, tbs.end, TAG_SEQUENCE);

  const spki = expectTlv(der, subject.end, tbs.end, TAG_SEQUENCE);
  const keyAlgorithm = readAlgorithm(der, spki.start, spki.end);
  const keyBits = expectTlv(der, keyAlgorithm.end, spki.end, TAG_BIT_STRING);
  if (keyBits.end !== spki.end) certificateMalformed(keyBits.end);
  if (keyBits.start >= keyBits.end || der[keyBits.start] !== 0) certificateMalformed(keyBits.offset);
  const rsaKey = expectTlv(der, keyBits.start + 1, keyBits.end, TAG_SEQUENCE);
  if (rsaKey.end !== keyBits.end) certificateMalformed(rsaKey.end);
  const modulus = unsignedInteger(der, rsaKey.start, rsaKey.end);
  const exponent = unsignedInteger(der, modulus.end, rsaKey.end);
  if (exponent.end !== rsaKey.end) certificateMalformed(exponent.end);
  // issuerUniqueID, subjectUniqueID and extensions follow; their content is not used, but must be well-formed TLVs.
  for (let q = spki.end; q < tbs.end; ) q = readTlv(der, q, tbs.end).end;

  const outerAlgorithm = readAlgorithm(der, tbs.end, cert.end);
  const signature = expectTlv(der, outerAlgorithm.end, cert.end, TAG_BIT_STRING);
  if (signature.end !== cert.end) certificateMalformed(signature.end);
  if (signature.start >= signature.end || der[signature.start] !== 0) certificateMalformed(signature.offset);

  return {
    der,
    tbs: whole(der, tbs),
    signatureAlgorithmOid: outerAlgorithm.oid,
    tbsSignatureAlgorithm: tbsAlgorithm.whole,
    outerSignatureAlgorithm: outerAlgorithm.whole,
    issuer: whole(der, issuer),
    subject: whole(der, subject),
    notBefore: notBefore.seconds,
    notAfter: notAfter.seconds,
    keyAlgorithmOid: keyAlgorithm.oid,
    modulus: modulus.value,
    exponent: exponent.value,
    signature: der.subarray(signature.start + 1, signature.end),
  };
}

function bitLength(bigEndian: Uint8Array): number {
  return bigEndian.length === 0 ? 0 : (bigEndian.length - 1) * 8 + (32 - Math.clz32(bigEndian[0]));
}

/** A pinned Report Signing CA: its subject Name bytes and RSA-3072 key. */
export interface PinnedCa {
  subject: Uint8Array;
  modulus: Uint8Array;
  exponent: Uint8Array;
}

/** A report-signing key accepted under a pinned CA, as the contract caches it. */
export interface SigningKey {
  keyId: string;
  modulus: Uint8Array;
  exponent: Uint8Array;
  notBefore: bigint;
  notAfter: bigint;
}

/**
 * Pins a CA certificate: it must parse, be self-signed (issuer == subject, signature verifies under
 * its own key) with an RSA-3072 key and exponent 65537. A bad CA is a deployment mistake, so this
 * throws a plain Error naming the problem rather than a verdict code.
 */
export function pinCa(caDer: Uint8Array): PinnedCa {
  const ca = parseCertificate(caDer);
  if (!equalBytes(ca.keyAlgorithmOid, OID_RSA_ENCRYPTION) || bitLength(ca.modulus) !== CA_KEY_BITS) {
    throw new Error("the pinned CA must hold an RSA-3072 key");
  }
  if (!equalBytes(ca.exponent, CA_EXPONENT)) throw new Error("the pinned CA's RSA exponent must be 65537");
  if (!equalBytes(ca.issuer, ca.subject)) throw new Error("the pinned CA must be self-issued");
  if (!equalBytes(ca.signatureAlgorithmOid, OID_SHA256_WITH_RSA) || !rsaPkcs1Sha256Verify(ca.tbs, ca.signature, ca.modulus, ca.exponent)) {
    throw new Error("the pinned CA's self-signature does not verify (sha256WithRSAEncryption)");
  }
  return { subject: Uint8Array.from(ca.subject), modulus: Uint8Array.from(ca.modulus), exponent: Uint8Array.from(ca.exponent) };
}

/**
 * Checks a report-signing certificate under the pinned CA, in the contract's order:
 * DER structure (`CertificateMalformed`), sha256WithRSAEncryption (`CertificateAlgorithmUnsupported`),
 * issuer == CA subject bytes (`CertificateIssuerMismatch`), CA signature (`CertificateSignatureInvalid`),
 * RSA-2048 subject key (`CertificateKeyUnsupported`). Validity is returned, not judged: each report is
 * judged at its own timestamp.
 */
export function checkSigningCertificate(der: Uint8Array, ca: PinnedCa): SigningKey {
  const cert = parseCertificate(der);
  if (!equalBytes(cert.signatureAlgorithmOid, OID_SHA256_WITH_RSA)) throw new IasVerificationError("CertificateAlgorithmUnsupported");
  if (!equalBytes(cert.issuer, ca.subject)) throw new IasVerificationError("CertificateIssuerMismatch");
  if (!rsaPkcs1Sha256Verify(cert.tbs, cert.signature, ca.modulus, ca.exponent)) throw new IasVerificationError("CertificateSignatureInvalid");
  if (!equalBytes(cert.keyAlgorithmOid, OID_RSA_ENCRYPTION) || bitLength(cert.modulus) !== SIGNING_KEY_BITS) {
    throw new IasVerificationError("CertificateKeyUnsupported");
  }
  return {
    keyId: keyIdOf(cert.modulus),
    modulus: Uint8Array.from(cert.modulus),
    exponent: Uint8Array.from(cert.exponent),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
  };
}

/** Human-facing facts about a certificate, read with Node's X.509 implementation (OpenSSL). */
export function describeCertificate(der: Uint8Array): { subject: string; issuer: string; serialNumber: string; validFrom: string; validTo: string; fingerprint256: string } {
  const x = new X509Certificate(Buffer.from(der));
  return {
    subject: x.subject.replace(/\n/g, ", "),
    issuer: x.issuer.replace(/\n/g, ", "),
    serialNumber: x.serialNumber,
    validFrom: new Date(x.validFrom).toISOString(),
    validTo: new Date(x.validTo).toISOString(),
    fingerprint256: x.fingerprint256,
  };
}
