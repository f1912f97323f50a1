/**
 * IAS certificates: pinning the RSA-3072 Report Signing CA and checking a report-signing leaf under it,
 * with the same rules and error codes as `IasVerifier.registerSigningCertificate` on chain.
 */
import { X509Certificate } from "node:crypto";
import {
  ExtensionProfile,
  KEY_USAGE_DIGITAL_SIGNATURE,
  KEY_USAGE_KEY_CERT_SIGN,
  noExtensions,
  parseExtensions,
} from "./certificateExtensions";
import { IasVerificationError } from "./errors";
import {
  TAG_BIT_STRING,
  TAG_CONTEXT_0,
  TAG_GENERALIZED_TIME,
  TAG_INTEGER,
  TAG_SEQUENCE,
  TAG_UTC_TIME,
  certificateMalformed,
  expectTlv,
  readTlv,
  whole,
} from "./der";
import { keyIdOf } from "./roots";
import { rsaPkcs1Sha256Verify } from "./rsa";
import { unixSeconds } from "./time";

/** sha256WithRSAEncryption AlgorithmIdentifier with NULL parameters (what Intel and OpenSSL write). */
export const SHA256_WITH_RSA_ALGORITHM = Buffer.from("300d06092a864886f70d01010b0500", "hex");
/** The same with absent parameters (RFC 4055 allows both). */
export const SHA256_WITH_RSA_ALGORITHM_NO_PARAMS = Buffer.from("300b06092a864886f70d01010b", "hex");
export const SIGNING_KEY_BITS = 2048;
export const CA_KEY_BITS = 3072;
/**
 * The only DER encoding of an rsaEncryption SubjectPublicKeyInfo with an n-byte modulus (top bit set)
 * and exponent 65537: a fixed prefix, the modulus, and `02 03 01 00 01`.
 */
const RSA_2048_SPKI_PREFIX = Buffer.from("30820122300d06092a864886f70d01010105000382010f003082010a0282010100", "hex");
const RSA_3072_SPKI_PREFIX = Buffer.from("308201a2300d06092a864886f70d01010105000382018f003082018a0282018100", "hex");
const RSA_EXPONENT_65537_SUFFIX = Buffer.from("0203010001", "hex");
export const RSA_EXPONENT_65537 = Uint8Array.from([0x01, 0x00, 0x01]);
/** UTCTime years 50..99 are 19xx, 00..49 are 20xx (RFC 5280 4.1.2.5.1). */
const UTC_TIME_PIVOT = 50;
const UTC_TIME_LENGTH = 13; // YYMMDDHHMMSSZ
const GENERALIZED_TIME_LENGTH = 15; // YYYYMMDDHHMMSSZ
const ZULU = 0x5a;
/** `[0] EXPLICIT Version`: its content is `02 01 vv`, the one-byte INTEGER vv (v3 = 2). */
const VERSION_INTEGER_HEADER = [0x02, 0x01];
const VERSION_ABSENT = 1;
const X509_VERSION_3 = 3;
/** Optional TBSCertificate fields after subjectPublicKeyInfo, in their order (RFC 5280 4.1). */
const TAG_ISSUER_UNIQUE_ID = 0x81;
const TAG_SUBJECT_UNIQUE_ID = 0x82;
const TAG_EXTENSIONS = 0xa3;

/** The spans of a DER certificate that the checks use (views into the DER). */
export interface ParsedCertificate {
  der: Uint8Array;
  /** The whole TBSCertificate TLV: what the CA signed. */
  tbs: Uint8Array;
  /** The TBSCertificate's `signature` AlgorithmIdentifier (whole TLV). */
  tbsSignatureAlgorithm: Uint8Array;
  /** The outer `signatureAlgorithm` (whole TLV). */
  signatureAlgorithm: Uint8Array;
  /** issuer Name, whole TLV. */
  issuer: Uint8Array;
  /** subject Name, whole TLV. */
  subject: Uint8Array;
  notBefore: bigint;
  notAfter: bigint;
  /** subjectPublicKeyInfo, whole TLV (judged by the key checks, not by the structure parse). */
  subjectPublicKeyInfo: Uint8Array;
  /** signatureValue content after the leading "no unused bits" byte. */
  signature: Uint8Array;
  /** X.509 version number: 1 when the `[0]` element is absent, else its value + 1. */
  version: number;
  /** What the v3 extensions say (the profile checks judge it). */
  extensions: ExtensionProfile;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
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

/** UTCTime `YYMMDDHHMMSSZ` or GeneralizedTime `YYYYMMDDHHMMSSZ`; anything else fails at the element. */
function readTime(der: Uint8Array, offset: number, limit: number): { seconds: bigint; end: number } {
  const tlv = readTlv(der, offset, limit);
  const length = tlv.end - tlv.start;
  let year: number;
  let p = tlv.start;
  if (tlv.tag === TAG_UTC_TIME && length === UTC_TIME_LENGTH) {
    const yy = digits(der, p, 2, offset);
    year = yy < UTC_TIME_PIVOT ? 2000 + yy : 1900 + yy;
    p += 2;
  } else if (tlv.tag === TAG_GENERALIZED_TIME && length === GENERALIZED_TIME_LENGTH) {
    year = digits(der, p, 4, offset);
    p += 4;
  } else {
    return certificateMalformed(offset);
  }
  if (der[tlv.end - 1] !== ZULU) certificateMalformed(offset);
  const month = digits(der, p, 2, offset);
  const day = digits(der, p + 2, 2, offset);
  const hour = digits(der, p + 4, 2, offset);
  const minute = digits(der, p + 6, 2, offset);
  const second = digits(der, p + 8, 2, offset);
  const seconds = unixSeconds(year, month, day, hour, minute, second);
  if (seconds === undefined) certificateMalformed(offset);
  return { seconds, end: tlv.end };
}

/**
 * Structural parse of an X.509 certificate (RFC 5280 4.1) as the contract does it (step 1 of
 * registration); throws `CertificateMalformed(offset)`. AlgorithmIdentifiers and the key are only
 * delimited here; later checks judge their bytes.
 */
export function parseCertificate(der: Uint8Array): ParsedCertificate {
  const cert = expectTlv(der, 0, der.length, TAG_SEQUENCE);
  if (cert.end !== der.length) certificateMalformed(cert.end);

  const tbs = expectTlv(der, cert.start, cert.end, TAG_SEQUENCE);
  let p = tbs.start;
  let element = readTlv(der, p, tbs.end);
  let version = VERSION_ABSENT;
  if (element.tag === TAG_CONTEXT_0) {
    if (element.end - element.start !== 3 || der[element.start] !== VERSION_INTEGER_HEADER[0] || der[element.start + 1] !== VERSION_INTEGER_HEADER[1]) {
      certificateMalformed(p);
    }
    version = der[element.start + 2] + 1;
    p = element.end;
    element = readTlv(der, p, tbs.end);
  }
  if (element.tag !== TAG_INTEGER) certificateMalformed(p);
  p = element.end; // serialNumber: not interpreted
  const tbsAlgorithm = expectTlv(der, p, tbs.end, TAG_SEQUENCE);
  const issuer = expectTlv(der, tbsAlgorithm.end, tbs.end, TAG_SEQUENCE);
  const validity = expectTlv(der, issuer.end, tbs.end, TAG_SEQUENCE);
  const notBefore = readTime(der, validity.start, validity.end);
  const notAfter = readTime(der, notBefore.end, validity.end);
  if (notAfter.end !== validity.end) certificateMalformed(notAfter.end);
  const subject = expectTlv(der, validity.end, tbs.end, TAG_SEQUENCE);
  const spki = expectTlv(der, subject.end, tbs.end, TAG_SEQUENCE);
  // issuerUniqueID and subjectUniqueID (not interpreted), then the extensions; nothing else.
  let q = spki.end;
  for (const tag of [TAG_ISSUER_UNIQUE_ID, TAG_SUBJECT_UNIQUE_ID]) {
    if (q < tbs.end && der[q] === tag) q = readTlv(der, q, tbs.end).end;
  }
  let extensions = noExtensions();
  if (q < tbs.end && der[q] === TAG_EXTENSIONS) {
    const outer = readTlv(der, q, tbs.end);
    extensions = parseExtensions(der, outer);
    q = outer.end;
  }
  if (q !== tbs.end) certificateMalformed(q);

  const algorithm = expectTlv(der, tbs.end, cert.end, TAG_SEQUENCE);
  const signature = expectTlv(der, algorithm.end, cert.end, TAG_BIT_STRING);
  if (signature.start >= signature.end || der[signature.start] !== 0) certificateMalformed(algorithm.end);
  if (signature.end !== cert.end) certificateMalformed(signature.end);

  return {
    der,
    tbs: whole(der, tbs),
    tbsSignatureAlgorithm: whole(der, tbsAlgorithm),
    signatureAlgorithm: whole(der, algorithm),
    issuer: whole(der, issuer),
    subject: whole(der, subject),
    notBefore: notBefore.seconds,
    notAfter: notAfter.seconds,
    subjectPublicKeyInfo: whole(der, spki),
    signature: der.subarray(signature.start + 1, signature.end),
    version,
    extensions,
  };
}

/** Registration step 2: only X.509 v3 certificates carry the extensions the profile requires. */
function checkVersion(cert: ParsedCertificate): void {
  if (cert.version !== X509_VERSION_3) throw new IasVerificationError("CertificateVersionUnsupported", [BigInt(cert.version)]);
}

/**
 * The last registration steps (audit F-9): no unknown critical or repeated extension, then keyUsage and
 * basicConstraints fit the role. A CA signs certificates; a report-signing key signs reports and nothing else.
 */
function checkProfile(p: ExtensionProfile, isCaRole: boolean): void {
  if (p.unsupportedAt !== undefined) throw new IasVerificationError("CertificateExtensionUnsupported", [BigInt(p.unsupportedAt)]);
  const usageOk = isCaRole
    ? (p.keyUsage & KEY_USAGE_KEY_CERT_SIGN) !== 0
    : (p.keyUsage & KEY_USAGE_DIGITAL_SIGNATURE) !== 0 && (p.keyUsage & KEY_USAGE_KEY_CERT_SIGN) === 0;
  if (!p.keyUsagePresent || !usageOk) throw new IasVerificationError("CertificateKeyUsageInvalid", [BigInt(p.keyUsage)]);
  if (!p.basicConstraintsPresent || p.isCa !== isCaRole) {
    throw new IasVerificationError("CertificateBasicConstraintsInvalid", [p.basicConstraintsPresent, p.isCa]);
  }
}

/** sha256WithRSAEncryption, outer and TBS AlgorithmIdentifiers byte-identical. */
function isSha256WithRsa(cert: ParsedCertificate): boolean {
  const a = cert.signatureAlgorithm;
  return (equalBytes(a, SHA256_WITH_RSA_ALGORITHM) || equalBytes(a, SHA256_WITH_RSA_ALGORITHM_NO_PARAMS)) && equalBytes(a, cert.tbsSignatureAlgorithm);
}

/** The modulus of an rsaEncryption SPKI with a `bits`-bit modulus and exponent 65537, else undefined. */
export function rsaModulusOfSpki(spki: Uint8Array, bits: number): Uint8Array | undefined {
  const prefix = bits === SIGNING_KEY_BITS ? RSA_2048_SPKI_PREFIX : bits === CA_KEY_BITS ? RSA_3072_SPKI_PREFIX : undefined;
  if (prefix === undefined) return undefined;
  const modulusLength = bits / 8;
  if (spki.length !== prefix.length + modulusLength + RSA_EXPONENT_65537_SUFFIX.length) return undefined;
  if (!equalBytes(spki.subarray(0, prefix.length), prefix)) return undefined;
  const modulus = spki.subarray(prefix.length, prefix.length + modulusLength);
  if ((modulus[0] & 0x80) === 0) return undefined;
  if (!equalBytes(spki.subarray(prefix.length + modulusLength), RSA_EXPONENT_65537_SUFFIX)) return undefined;
  return modulus;
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
 * Pins a CA certificate as the contract's constructor does, in its order: structure
 * (`CertificateMalformed`), X.509 v3 (`CertificateVersionUnsupported`), sha256WithRSAEncryption
 * (`CertificateAlgorithmUnsupported`), self-issued (`CertificateIssuerMismatch`), RSA-3072 with exponent 65537
 * (`CertificateKeyUnsupported`), a valid self-signature (`CertificateSignatureInvalid`), then the CA profile: no
 * unknown critical extension (`CertificateExtensionUnsupported`), keyUsage keyCertSign
 * (`CertificateKeyUsageInvalid`), basicConstraints cA TRUE (`CertificateBasicConstraintsInvalid`).
 */
export function pinCa(caDer: Uint8Array): PinnedCa {
  const ca = parseCertificate(caDer);
  checkVersion(ca);
  if (!isSha256WithRsa(ca)) throw new IasVerificationError("CertificateAlgorithmUnsupported");
  if (!equalBytes(ca.issuer, ca.subject)) throw new IasVerificationError("CertificateIssuerMismatch");
  const modulus = rsaModulusOfSpki(ca.subjectPublicKeyInfo, CA_KEY_BITS);
  if (modulus === undefined) throw new IasVerificationError("CertificateKeyUnsupported");
  if (!rsaPkcs1Sha256Verify(ca.tbs, ca.signature, modulus, RSA_EXPONENT_65537)) throw new IasVerificationError("CertificateSignatureInvalid");
  checkProfile(ca.extensions, true);
  return { subject: Uint8Array.from(ca.subject), modulus: Uint8Array.from(modulus), exponent: RSA_EXPONENT_65537 };
}

/**
 * Checks a report-signing certificate under the pinned CA in the contract's order: structure
 * (`CertificateMalformed`), X.509 v3 (`CertificateVersionUnsupported`), sha256WithRSAEncryption
 * (`CertificateAlgorithmUnsupported`), issuer == CA subject bytes (`CertificateIssuerMismatch`), CA signature
 * over the TBS (`CertificateSignatureInvalid`), RSA-2048 key with exponent 65537 (`CertificateKeyUnsupported`),
 * then the report-signing profile: no unknown critical extension (`CertificateExtensionUnsupported`), keyUsage
 * digitalSignature without keyCertSign (`CertificateKeyUsageInvalid`), basicConstraints cA FALSE
 * (`CertificateBasicConstraintsInvalid`). Validity is returned, not judged: each report is judged at its own
 * timestamp.
 */
export function checkSigningCertificate(der: Uint8Array, ca: PinnedCa): SigningKey {
  const cert = parseCertificate(der);
  checkVersion(cert);
  if (!isSha256WithRsa(cert)) throw new IasVerificationError("CertificateAlgorithmUnsupported");
  if (!equalBytes(cert.issuer, ca.subject)) throw new IasVerificationError("CertificateIssuerMismatch");
  if (!rsaPkcs1Sha256Verify(cert.tbs, cert.signature, ca.modulus, ca.exponent)) throw new IasVerificationError("CertificateSignatureInvalid");
  const modulus = rsaModulusOfSpki(cert.subjectPublicKeyInfo, SIGNING_KEY_BITS);
  if (modulus === undefined) throw new IasVerificationError("CertificateKeyUnsupported");
  checkProfile(cert.extensions, false);
  return {
    keyId: keyIdOf(modulus),
    modulus: Uint8Array.from(modulus),
    exponent: RSA_EXPONENT_65537,
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
