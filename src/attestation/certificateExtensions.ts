/**
 * The X.509 v3 extensions (RFC 5280 4.2) the IAS certificate profile needs (audit F-9), decoded exactly as
 * `X509Extensions.sol` and the enclave's `x509.cpp` decode them: keyUsage and basicConstraints are read, other
 * extensions ignored unless critical, and the first unknown critical (or repeated keyUsage/basicConstraints)
 * extension recorded so the verifier can refuse the certificate. Grammar: docs/attestation-onchain.md
 * ("Certificate profile"). Ill-formed input throws `CertificateMalformed(offset)`; any fault inside an Extension,
 * a broken inner TLV included, at the Extension's offset (one offset per malformed Extension).
 */
import { TAG_BIT_STRING, TAG_INTEGER, TAG_SEQUENCE, Tlv, certificateMalformed, readTlv } from "./der";
import { IasVerificationError } from "./errors";

/** What a certificate's extensions say. */
export interface ExtensionProfile {
  keyUsagePresent: boolean;
  /** The first two bytes of the keyUsage named-bit string (digitalSignature = 0x8000); 0 when absent. */
  keyUsage: number;
  basicConstraintsPresent: boolean;
  isCa: boolean;
  /** Offset of the first unknown critical or repeated extension, if any. */
  unsupportedAt: number | undefined;
}

export const KEY_USAGE_DIGITAL_SIGNATURE = 0x8000;
export const KEY_USAGE_KEY_CERT_SIGN = 0x0400;

const TAG_BOOLEAN = 0x01;
const TAG_OCTET_STRING = 0x04;
const TAG_OID = 0x06;
const DER_TRUE = 0xff;
const MAX_UNUSED_BITS = 7;
/** id-ce OIDs' content bytes (2.5.29.15, 2.5.29.19). */
const OID_KEY_USAGE = "551d0f";
const OID_BASIC_CONSTRAINTS = "551d13";

/** A certificate without an extensions element. */
export function noExtensions(): ExtensionProfile {
  return { keyUsagePresent: false, keyUsage: 0, basicConstraintsPresent: false, isCa: false, unsupportedAt: undefined };
}

/** Decodes `extensions [3] EXPLICIT SEQUENCE OF Extension`, whose `[3]` element is `outer`. */
export function parseExtensions(der: Uint8Array, outer: Tlv): ExtensionProfile {
  const profile = noExtensions();
  const list = readTlv(der, outer.start, outer.end);
  if (list.tag !== TAG_SEQUENCE || list.start === list.end) certificateMalformed(outer.start);
  if (list.end !== outer.end) certificateMalformed(list.end);
  for (let cursor = list.start; cursor < list.end; ) {
    const extension = readIn(der, cursor, list.end, cursor);
    if (extension.tag !== TAG_SEQUENCE) certificateMalformed(cursor);
    readExtension(der, cursor, extension, profile);
    cursor = extension.end;
  }
  return profile;
}

/** An element inside the Extension at `at`; a broken one is that Extension's fault. */
function readIn(der: Uint8Array, offset: number, limit: number, at: number): Tlv {
  try {
    return readTlv(der, offset, limit);
  } catch (error) {
    if (error instanceof IasVerificationError && error.code === "CertificateMalformed") certificateMalformed(at);
    throw error;
  }
}

/** One `Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }` at `at`. */
function readExtension(der: Uint8Array, at: number, extension: Tlv, profile: ExtensionProfile): void {
  const oid = readIn(der, extension.start, extension.end, at);
  if (oid.tag !== TAG_OID) certificateMalformed(at);
  let value = readIn(der, oid.end, extension.end, at);
  let critical = false;
  if (value.tag === TAG_BOOLEAN) {
    // DER omits the default FALSE: a present BOOLEAN is exactly 01 01 ff.
    if (value.end - value.start !== 1 || der[value.start] !== DER_TRUE) certificateMalformed(at);
    critical = true;
    value = readIn(der, value.end, extension.end, at);
  }
  if (value.tag !== TAG_OCTET_STRING || value.end !== extension.end) certificateMalformed(at);

  // A repeated keyUsage or basicConstraints is decoded too: it must be well-formed before it is judged.
  const id = Buffer.from(der.subarray(oid.start, oid.end)).toString("hex");
  const unsupported = () => (profile.unsupportedAt ??= at);
  if (id === OID_KEY_USAGE) {
    const usage = keyUsageOf(der, at, value);
    if (profile.keyUsagePresent) return void unsupported();
    profile.keyUsagePresent = true;
    profile.keyUsage = usage;
  } else if (id === OID_BASIC_CONSTRAINTS) {
    const isCa = isCaOf(der, at, value);
    if (profile.basicConstraintsPresent) return void unsupported();
    profile.basicConstraintsPresent = true;
    profile.isCa = isCa;
  } else if (critical) {
    unsupported();
  }
}

/** keyUsage: the extnValue holds exactly one BIT STRING of one or two data bytes. */
function keyUsageOf(der: Uint8Array, at: number, value: Tlv): number {
  const bits = readIn(der, value.start, value.end, at);
  const length = bits.end - bits.start;
  if (bits.tag !== TAG_BIT_STRING || bits.end !== value.end || length < 2 || length > 3 || der[bits.start] > MAX_UNUSED_BITS) {
    certificateMalformed(at);
  }
  return (der[bits.start + 1] << 8) | (length === 3 ? der[bits.start + 2] : 0);
}

/** basicConstraints: exactly one SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL }. */
function isCaOf(der: Uint8Array, at: number, value: Tlv): boolean {
  const constraints = readIn(der, value.start, value.end, at);
  if (constraints.tag !== TAG_SEQUENCE || constraints.end !== value.end) certificateMalformed(at);
  if (constraints.start === constraints.end) return false;
  let field = readIn(der, constraints.start, constraints.end, at);
  let isCa = false;
  if (field.tag === TAG_BOOLEAN) {
    if (field.end - field.start !== 1 || der[field.start] !== DER_TRUE) certificateMalformed(at);
    isCa = true;
    if (field.end === constraints.end) return isCa;
    field = readIn(der, field.end, constraints.end, at);
  }
  if (field.tag !== TAG_INTEGER || field.end !== constraints.end) certificateMalformed(at);
  return isCa;
}
