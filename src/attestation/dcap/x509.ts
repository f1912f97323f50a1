/**
 * X.509 for DCAP: the PCK certificate chain a quote carries (PCK certificate, PCK Platform/Processor CA,
 * Intel SGX Root CA) and the TCB Signing chain of the collateral, each checked under the pinned root:
 * ecdsa-with-SHA256 signatures over P-256 keys, issuer = next subject, validity at the verification
 * time, basicConstraints and keyUsage by place in the chain; then the PCK certificate's SGX extension
 * (OID 1.2.840.113741.1.13.1: FMSPC, PCEID, the 16 CPUSVN components, PCESVN).
 */
import { CertificateRole, dcapError } from "./errors";
import { derSignatureToRaw, isP256Point, verifyP256 } from "./ecdsa";
import {
  DerReader,
  TAG_BIT_STRING,
  TAG_BOOLEAN,
  TAG_CONTEXT_0,
  TAG_CONTEXT_3,
  TAG_GENERALIZED_TIME,
  TAG_INTEGER,
  TAG_OCTET_STRING,
  TAG_OID,
  TAG_SEQUENCE,
  TAG_UTC_TIME,
  equalBytes,
  type Tlv,
} from "./der";
import { unixSeconds } from "../time";

/** AlgorithmIdentifier ecdsa-with-SHA256 (parameters absent, RFC 5758). */
export const ECDSA_WITH_SHA256 = Buffer.from("300a06082a8648ce3d040302", "hex");
/** SubjectPublicKeyInfo prefix of an uncompressed P-256 key: id-ecPublicKey, prime256v1, BIT STRING 04. */
export const P256_SPKI_PREFIX = Buffer.from("3059301306072a8648ce3d020106082a8648ce3d03010703420004", "hex");
const OID_BASIC_CONSTRAINTS = Buffer.from("551d13", "hex");
const OID_KEY_USAGE = Buffer.from("551d0f", "hex");
/** 1.2.840.113741.1.13.1: the SGX extension; its fields are this OID plus one (or two) arcs. */
export const OID_SGX_EXTENSION = Buffer.from("2a864886f84d010d01", "hex");
/** keyUsage bits (bit 0 = most significant bit of the first byte). */
export const KU_DIGITAL_SIGNATURE = 0;
export const KU_KEY_CERT_SIGN = 5;
export const KU_CRL_SIGN = 6;
export const CPUSVN_COMPONENTS = 16;
const FMSPC_LENGTH = 6;
const PCEID_LENGTH = 2;
const CPUSVN_LENGTH = 16;
/** Serial numbers are at most 20 octets (RFC 5280 4.1.2.2); one more for a sign byte. */
const MAX_SERIAL_LENGTH = 21;
const UTC_TIME_PIVOT = 50;
const ZULU = 0x5a;

export interface Certificate {
  der: Uint8Array;
  role: CertificateRole;
  /** TBSCertificate, whole: what the issuer signed. */
  tbs: Uint8Array;
  /** Serial number, lowercase hex without sign byte. */
  serial: string;
  issuer: Uint8Array;
  subject: Uint8Array;
  notBefore: bigint;
  notAfter: bigint;
  /** P-256 x || y. */
  publicKey: Uint8Array;
  /** r || s. */
  signature: Uint8Array;
  /** basicConstraints cA, false when the extension is absent. */
  isCa: boolean;
  /** keyUsage bits; undefined when the extension is absent. */
  keyUsage: number | undefined;
  /** Content of the SGX extension's OCTET STRING and its offset in `der`, when present. */
  sgxExtension: { offset: number; value: Uint8Array } | undefined;
}

function readTime(r: DerReader, t: Tlv): bigint {
  const der = r.der;
  const len = t.end - t.start;
  let p = t.start;
  const digits = (n: number): number => {
    let v = 0;
    for (let i = 0; i < n; i++) {
      const b = der[p + i];
      if (b < 0x30 || b > 0x39) r.fail(t.offset);
      v = v * 10 + (b - 0x30);
    }
    p += n;
    return v;
  };
  let year: number;
  if (t.tag === TAG_UTC_TIME && len === 13) {
    const yy = digits(2);
    year = yy < UTC_TIME_PIVOT ? 2000 + yy : 1900 + yy;
  } else if (t.tag === TAG_GENERALIZED_TIME && len === 15) {
    year = digits(4);
  } else {
    return r.fail(t.offset);
  }
  if (der[t.end - 1] !== ZULU) r.fail(t.offset);
  const seconds = unixSeconds(year, digits(2), digits(2), digits(2), digits(2), digits(2));
  if (seconds === undefined) r.fail(t.offset);
  return seconds;
}

/** Reads an X.509 time (UTCTime or GeneralizedTime, UTC, seconds). */
export function readDerTime(r: DerReader, t: Tlv): bigint {
  return readTime(r, t);
}

/** A serial number INTEGER as lowercase hex without the sign byte. */
export function serialHex(r: DerReader, t: Tlv): string {
  if (t.tag !== TAG_INTEGER || t.end - t.start > MAX_SERIAL_LENGTH) r.fail(t.offset);
  r.unsigned(t, MAX_SERIAL_LENGTH); // non-negative, minimal
  const c = r.content(t);
  // The magnitude's bytes: without the sign byte unless the value is 0.
  return Buffer.from(c.length > 1 && c[0] === 0 ? c.subarray(1) : c).toString("hex");
}

function bitAt(bits: number, index: number): boolean {
  return ((bits >> (15 - index)) & 1) === 1;
}

/**
 * Structural parse, then the algorithm and key checks (no signature, no chain): CertificateMalformed,
 * CertificateAlgorithmUnsupported, CertificateKeyUnsupported, each with `role`.
 */
export function parseCertificate(der: Uint8Array, role: CertificateRole): Certificate {
  const r = new DerReader(der, (offset) => dcapError("CertificateMalformed", BigInt(role), BigInt(offset)));
  const cert = r.expect(0, der.length, TAG_SEQUENCE);
  if (cert.end !== der.length) r.fail(cert.end);
  const tbs = r.expect(cert.start, cert.end, TAG_SEQUENCE);
  const outerAlgorithm = r.expect(tbs.end, cert.end, TAG_SEQUENCE);
  const signatureValue = r.expect(outerAlgorithm.end, cert.end, TAG_BIT_STRING);
  if (signatureValue.end !== cert.end) r.fail(signatureValue.end);

  const fields = r.children(tbs);
  let i = 0;
  if (fields[i]?.tag === TAG_CONTEXT_0) i++; // version
  const need = (tag: number): Tlv => {
    const t = fields[i++];
    if (t === undefined) r.fail(tbs.end);
    if (t.tag !== tag) r.fail(t.offset);
    return t;
  };
  const serial = serialHex(r, need(TAG_INTEGER));
  const innerAlgorithm = need(TAG_SEQUENCE);
  const issuer = need(TAG_SEQUENCE);
  const validity = need(TAG_SEQUENCE);
  const subject = need(TAG_SEQUENCE);
  const spki = need(TAG_SEQUENCE);
  const times = r.children(validity);
  if (times.length !== 2) r.fail(validity.offset);
  const notBefore = readTime(r, times[0]);
  const notAfter = readTime(r, times[1]);

  let isCa = false;
  let keyUsage: number | undefined;
  let sgxExtension: Certificate["sgxExtension"];
  // Optional issuerUniqueID [1] / subjectUniqueID [2] are not used by Intel; extensions are [3].
  const rest = fields.slice(i);
  if (rest.length > 1 || (rest.length === 1 && rest[0].tag !== TAG_CONTEXT_3)) r.fail(rest[rest.length - 1].offset);
  if (rest.length === 1) {
    const list = r.expect(rest[0].start, rest[0].end, TAG_SEQUENCE);
    if (list.end !== rest[0].end) r.fail(list.end);
    const seen = new Set<string>();
    for (const ext of r.children(list)) {
      if (ext.tag !== TAG_SEQUENCE) r.fail(ext.offset);
      const parts = r.children(ext);
      if (parts.length < 2 || parts.length > 3 || parts[0].tag !== TAG_OID) r.fail(ext.offset);
      if (parts.length === 3 && parts[1].tag !== TAG_BOOLEAN) r.fail(parts[1].offset);
      const value = parts[parts.length - 1];
      if (value.tag !== TAG_OCTET_STRING) r.fail(value.offset);
      const oid = Buffer.from(r.content(parts[0]));
      const key = oid.toString("hex");
      if (seen.has(key)) r.fail(ext.offset); // RFC 5280: at most one instance of an extension
      seen.add(key);
      if (oid.equals(OID_BASIC_CONSTRAINTS)) {
        const bc = r.expect(value.start, value.end, TAG_SEQUENCE);
        const items = r.children(bc);
        if (items.length > 0 && items[0].tag === TAG_BOOLEAN) {
          const c = r.content(items[0]);
          if (c.length !== 1 || (c[0] !== 0xff && c[0] !== 0x00)) r.fail(items[0].offset);
          isCa = c[0] === 0xff;
        }
      } else if (oid.equals(OID_KEY_USAGE)) {
        const bits = r.expect(value.start, value.end, TAG_BIT_STRING);
        const c = r.content(bits);
        if (c.length < 2 || c.length > 3 || c[0] > 7) r.fail(bits.offset);
        keyUsage = (c[1] << 8) | (c.length === 3 ? c[2] : 0);
      } else if (oid.equals(OID_SGX_EXTENSION)) {
        sgxExtension = { offset: value.start, value: r.content(value) };
      }
    }
  }

  if (!equalBytes(r.whole(innerAlgorithm), ECDSA_WITH_SHA256) || !equalBytes(r.whole(outerAlgorithm), ECDSA_WITH_SHA256)) {
    dcapError("CertificateAlgorithmUnsupported", BigInt(role));
  }
  const spkiBytes = r.whole(spki);
  if (spkiBytes.length !== P256_SPKI_PREFIX.length + 64 || !equalBytes(spkiBytes.subarray(0, P256_SPKI_PREFIX.length), P256_SPKI_PREFIX)) {
    dcapError("CertificateKeyUnsupported", BigInt(role));
  }
  const publicKey = Uint8Array.from(spkiBytes.subarray(P256_SPKI_PREFIX.length));
  if (!isP256Point(publicKey)) dcapError("CertificateKeyUnsupported", BigInt(role));
  const sigContent = r.content(signatureValue);
  const signature = sigContent[0] === 0 ? derSignatureToRaw(sigContent.subarray(1)) : undefined;
  // A signature that is not DER r, s cannot verify: it is reported where a bad signature is.
  return {
    der,
    role,
    tbs: r.whole(tbs),
    serial,
    issuer: r.whole(issuer),
    subject: r.whole(subject),
    notBefore,
    notAfter,
    publicKey,
    signature: signature ?? new Uint8Array(0),
    isCa,
    keyUsage,
    sgxExtension,
  };
}

/** Issuer name, signature, validity at `now`, then constraints and key usage for the certificate's place. */
export function checkIssuedBy(cert: Certificate, issuer: Certificate, now: bigint): void {
  const role = BigInt(cert.role);
  if (!equalBytes(cert.issuer, issuer.subject)) dcapError("CertificateIssuerMismatch", role);
  if (!verifyP256(cert.tbs, cert.signature, issuer.publicKey)) dcapError("CertificateSignatureInvalid", role);
  checkValidity(cert, now);
  checkUsage(cert);
}

export function checkValidity(cert: Certificate, now: bigint): void {
  if (now < cert.notBefore || now > cert.notAfter) dcapError("CertificateNotValidAt", BigInt(cert.role), cert.notBefore, cert.notAfter, now);
}

/** CAs (root, PCK CA): cA TRUE, keyCertSign and cRLSign. Leaves (PCK, TCB Signing): not a CA, digitalSignature. */
export function checkUsage(cert: Certificate): void {
  const role = BigInt(cert.role);
  const ca = cert.role === CertificateRole.Root || cert.role === CertificateRole.PckCa;
  if (cert.isCa !== ca) dcapError("CertificateConstraintsInvalid", role);
  const ku = cert.keyUsage;
  const ok = ku !== undefined && (ca ? bitAt(ku, KU_KEY_CERT_SIGN) && bitAt(ku, KU_CRL_SIGN) : bitAt(ku, KU_DIGITAL_SIGNATURE));
  if (!ok) dcapError("CertificateKeyUsageInvalid", role);
}

/** A pinned root: parsed, self-signed, a CA. Throws on a root that is none of these (a configuration error). */
export interface PinnedRoot {
  certificate: Certificate;
}

export function pinRoot(der: Uint8Array): PinnedRoot {
  const certificate = parseCertificate(Uint8Array.from(der), CertificateRole.Root);
  if (!equalBytes(certificate.issuer, certificate.subject)) dcapError("CertificateIssuerMismatch", BigInt(CertificateRole.Root));
  if (!verifyP256(certificate.tbs, certificate.signature, certificate.publicKey)) dcapError("CertificateSignatureInvalid", BigInt(CertificateRole.Root));
  checkUsage(certificate);
  return { certificate };
}

/** The chain's root must be the pinned root byte for byte, and valid at `now`. */
function checkRoot(der: Uint8Array, pinned: PinnedRoot, now: bigint): Certificate {
  if (!equalBytes(der, pinned.certificate.der)) dcapError("RootCaNotPinned", BigInt(CertificateRole.Root));
  checkValidity(pinned.certificate, now);
  return pinned.certificate;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\r\n]*?)-----END CERTIFICATE-----/y;
/** Between blocks: ASCII space, tab, CR, LF only (the same set on chain). */
const PEM_WHITESPACE = " \t\r\n";
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Splits a PEM chain into DER certificates: only CERTIFICATE blocks (base64 lines split by CR/LF) separated by
 * ASCII whitespace, a trailing
 * NUL allowed (Intel's quoting library writes one). A bad block is `PckChainEncodingInvalid(index)`.
 */
export function splitPemChain(pem: Uint8Array): Uint8Array[] {
  let text = Buffer.from(pem).toString("latin1");
  if (text.endsWith("\0")) text = text.slice(0, -1);
  const out: Uint8Array[] = [];
  let p = 0;
  const skipSpace = () => {
    while (p < text.length && PEM_WHITESPACE.includes(text[p])) p++;
  };
  skipSpace();
  while (p < text.length) {
    PEM_BLOCK.lastIndex = p;
    const m = PEM_BLOCK.exec(text);
    if (m === null) dcapError("PckChainEncodingInvalid", BigInt(out.length));
    const b64 = m[1].replace(/[\r\n]/g, "");
    if (!STRICT_BASE64.test(b64) || b64.length === 0) dcapError("PckChainEncodingInvalid", BigInt(out.length));
    out.push(Uint8Array.from(Buffer.from(b64, "base64")));
    p = PEM_BLOCK.lastIndex;
    skipSpace();
  }
  return out;
}

export interface SgxExtension {
  /** 6 bytes, lowercase hex. */
  fmspc: string;
  /** 2 bytes, lowercase hex. */
  pceId: string;
  /** The 16 CPUSVN components (sgxtcbcomponents), 0..255 each. */
  cpuSvnComponents: number[];
  pceSvn: number;
  /** 16 bytes, lowercase hex. */
  cpuSvn: string;
}

export interface PckChain {
  pck: Certificate;
  pckCa: Certificate;
  root: Certificate;
  sgx: SgxExtension;
}

/** Checks a PCK chain (DER, PCK first) under the pinned root at `now` and reads the SGX extension. */
export function checkPckChain(chain: Uint8Array[], pinned: PinnedRoot, now: bigint): PckChain {
  if (chain.length !== 3) dcapError("PckChainLengthInvalid", BigInt(chain.length));
  const root = checkRoot(chain[2], pinned, now);
  const pckCa = parseCertificate(chain[1], CertificateRole.PckCa);
  checkIssuedBy(pckCa, root, now);
  const pck = parseCertificate(chain[0], CertificateRole.Pck);
  checkIssuedBy(pck, pckCa, now);
  return { pck, pckCa, root, sgx: readSgxExtension(pck) };
}

/** Checks the TCB Signing chain (DER, TCB Signing first, then the root) under the pinned root at `now`. */
export function checkTcbSigningChain(chain: Uint8Array[], pinned: PinnedRoot, now: bigint): Certificate {
  if (chain.length !== 2) dcapError("PckChainLengthInvalid", BigInt(chain.length));
  const root = checkRoot(chain[1], pinned, now);
  const signing = parseCertificate(chain[0], CertificateRole.TcbSigning);
  checkIssuedBy(signing, root, now);
  return signing;
}

/**
 * The PCS CRL issuer chain (`SGX-PCK-CRL-Issuer-Chain`: the PCK Platform or Processor CA certificate, then the
 * root) under the pinned root at `now`: the checks of `checkTcbSigningChain` with role PckCa (a CA: cA TRUE,
 * keyCertSign and cRLSign). What the on-chain CRL store checks a PCK CA CRL's issuer with.
 */
export function checkPckCaChain(chain: Uint8Array[], pinned: PinnedRoot, now: bigint): Certificate {
  if (chain.length !== 2) dcapError("PckChainLengthInvalid", BigInt(chain.length));
  const root = checkRoot(chain[1], pinned, now);
  const pckCa = parseCertificate(chain[0], CertificateRole.PckCa);
  checkIssuedBy(pckCa, root, now);
  return pckCa;
}

/** Reads FMSPC, PCEID, the TCB components, PCESVN and CPUSVN from the PCK certificate's SGX extension. */
export function readSgxExtension(pck: Certificate): SgxExtension {
  if (pck.sgxExtension === undefined) dcapError("SgxExtensionFieldMissing", "sgxExtension");
  const base = pck.sgxExtension.offset;
  const der = pck.sgxExtension.value;
  const r = new DerReader(der, (offset) => dcapError("SgxExtensionMalformed", BigInt(base + offset)));
  const top = r.expect(0, der.length, TAG_SEQUENCE);
  if (top.end !== der.length) r.fail(top.end);
  /** Each entry: SEQUENCE { OID, value }; returns arc -> value for OIDs `prefix.arc`. */
  const entries = (parent: Tlv, prefix: Uint8Array): Map<number, Tlv> => {
    const map = new Map<number, Tlv>();
    for (const e of r.children(parent)) {
      if (e.tag !== TAG_SEQUENCE) r.fail(e.offset);
      const parts = r.children(e);
      if (parts.length !== 2 || parts[0].tag !== TAG_OID) r.fail(e.offset);
      const oid = r.content(parts[0]);
      if (oid.length !== prefix.length + 1 || !equalBytes(oid.subarray(0, prefix.length), prefix) || oid[prefix.length] >= 0x80) r.fail(parts[0].offset);
      const arc = oid[prefix.length];
      if (map.has(arc)) r.fail(e.offset);
      map.set(arc, parts[1]);
    }
    return map;
  };
  const fields = entries(top, OID_SGX_EXTENSION);
  const octets = (t: Tlv | undefined, name: string, length: number): string => {
    if (t === undefined) dcapError("SgxExtensionFieldMissing", name);
    if (t.tag !== TAG_OCTET_STRING || t.end - t.start !== length) r.fail(t.offset);
    return Buffer.from(r.content(t)).toString("hex");
  };
  const fmspc = octets(fields.get(4), "fmspc", FMSPC_LENGTH);
  const pceId = octets(fields.get(3), "pceId", PCEID_LENGTH);
  const tcb = fields.get(2);
  if (tcb === undefined) dcapError("SgxExtensionFieldMissing", "tcb");
  if (tcb.tag !== TAG_SEQUENCE) r.fail(tcb.offset);
  const tcbFields = entries(tcb, Uint8Array.from([...OID_SGX_EXTENSION, 2]));
  const cpuSvnComponents: number[] = [];
  for (let c = 1; c <= CPUSVN_COMPONENTS; c++) {
    const t = tcbFields.get(c);
    if (t === undefined) dcapError("SgxExtensionFieldMissing", `sgxTcbComp${String(c).padStart(2, "0")}Svn`);
    if (t.tag !== TAG_INTEGER) r.fail(t.offset);
    cpuSvnComponents.push(Number(r.unsigned(t, 1)));
  }
  const pceSvnTlv = tcbFields.get(17);
  if (pceSvnTlv === undefined) dcapError("SgxExtensionFieldMissing", "pcesvn");
  if (pceSvnTlv.tag !== TAG_INTEGER) r.fail(pceSvnTlv.offset);
  const pceSvn = Number(r.unsigned(pceSvnTlv, 2));
  const cpuSvn = octets(tcbFields.get(18), "cpusvn", CPUSVN_LENGTH);
  return { fmspc, pceId, cpuSvnComponents, pceSvn, cpuSvn };
}

