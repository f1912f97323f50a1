/**
 * The development ("SIMULATION") DCAP PKI: a root CA shaped like Intel's SGX Root CA, PCK Platform and
 * Processor CAs and a TCB Signing certificate under it, and one development platform's PCK certificate with
 * the SGX extension, all in Intel's DER layout (names, extension order, keyUsage/basicConstraints, SKI/AKI,
 * CRL distribution points, the SGX extension's sub-OIDs). Every key is derived from a public label, so the
 * PKI is reproducible and PUBLIC: a verifier or contract pinned to Intel's root rejects all of it
 * (RootCaNotPinned). The committed files live in src/attestation/simulation/dcap/ (see its README);
 * `scripts/dcap-dev-pki.ts` regenerates them byte for byte with `buildDevelopmentPkiFiles`.
 */
import fs from "node:fs";
import path from "node:path";
import { createHash, createPrivateKey } from "node:crypto";
import { p256 } from "@noble/curves/nist.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { attestationAssetPath } from "../roots";
import {
  bitString,
  boolean,
  context,
  enumerated,
  integer,
  octetString,
  oid,
  printableString,
  sequence,
  set,
  time,
  tlv,
  utf8String,
} from "./derWriter";
import { ECDSA_WITH_SHA256 } from "./x509";

export const SIMULATION_DCAP_DIR = "simulation/dcap";

/** Names: Intel's five attributes (CN, O, L, ST as UTF8String, C as PrintableString), never Intel's values. */
export const DEV_ORGANIZATION = "Anonify SIMULATION (development only)";
const DEV_LOCALITY = "Not for production";
const DEV_STATE = "NA";
const DEV_COUNTRY = "XX";
export const DEV_ROOT_CN = "Anonify SIMULATION SGX Root CA";
export const DEV_PCK_PLATFORM_CA_CN = "Anonify SIMULATION SGX PCK Platform CA";
export const DEV_PCK_PROCESSOR_CA_CN = "Anonify SIMULATION SGX PCK Processor CA";
export const DEV_TCB_SIGNING_CN = "Anonify SIMULATION SGX TCB Signing";
export const DEV_PCK_CN = "Anonify SIMULATION SGX PCK Certificate";

/** Where the development certificates say their CRLs are (an .invalid host: nothing resolves it). */
export const DEV_CRL_BASE = "https://pcs.simulation.anonify.invalid";
const ROOT_CRL_URL = `${DEV_CRL_BASE}/sgx/certification/v4/rootcacrl`;
const PCK_CRL_URL = (ca: "platform" | "processor") => `${DEV_CRL_BASE}/sgx/certification/v4/pckcrl?ca=${ca}&encoding=der`;

/** Validity of every development certificate: 2025-01-01T00:00:00Z .. 2049-12-31T23:59:59Z. */
export const DEV_NOT_BEFORE = 1735689600n;
export const DEV_NOT_AFTER = 2524607999n;

/** The one development platform (PCK certificate's SGX extension). */
export const DEV_PLATFORM = {
  fmspc: "00dec0000001",
  pceId: "0000",
  /** sgxtcbcomponents 1..16, Intel's shape (microcode, SINIT, BIOS, …). */
  cpuSvnComponents: [5, 5, 2, 2, 255, 255, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  pceSvn: 13,
  /** SGX Type: 0 Standard, 1 Scalable (the Platform CA's PCKs are Scalable, as Intel's). */
  sgxType: 1,
  dynamicPlatform: true,
  cachedKeys: false,
  smtEnabled: false,
} as const;

/** CPUSVN as carried in the SGX extension and in reports: the components, byte for byte. */
export function devCpuSvnHex(): string {
  return Buffer.from(DEV_PLATFORM.cpuSvnComponents).toString("hex");
}

/** The development quoting enclave (QE Identity values and its report). */
export const DEV_QE = {
  /** SHA-256 of a public label; not Intel's QE MRSIGNER. */
  mrsigner: Buffer.from(sha256(Buffer.from("Anonify SIMULATION development quoting enclave MRSIGNER"))).toString("hex"),
  mrenclave: Buffer.from(sha256(Buffer.from("Anonify SIMULATION development quoting enclave MRENCLAVE"))).toString("hex"),
  isvProdId: 1,
  isvSvn: 8,
  miscselect: "00000000",
  miscselectMask: "ffffffff",
  /** INIT | PROVISION_KEY, XFRM as Intel's QE runs (masked out). */
  attributes: "11000000000000000700000000000000",
  attributesMask: "fbffffffffffffff0000000000000000",
} as const;

export type DevKeyName = "root" | "pckPlatformCa" | "pckProcessorCa" | "tcbSigning" | "pck" | "attestation";

/** A development key: P-256 scalar and x || y. */
export interface DevKey {
  secret: Uint8Array;
  public: Uint8Array;
}

/** Every development key is SHA-256 of this label and its name, reduced into [1, n-1]: public by design. */
export function deriveDevKey(name: DevKeyName): DevKey {
  const n = p256.Point.CURVE().n;
  const h = BigInt("0x" + Buffer.from(sha256(Buffer.from(`Anonify SIMULATION DCAP development key: ${name}`))).toString("hex"));
  const d = (h % (n - 1n)) + 1n;
  const secret = Buffer.from(d.toString(16).padStart(64, "0"), "hex");
  return { secret: Uint8Array.from(secret), public: p256.getPublicKey(secret, false).subarray(1) };
}

/** RFC 6979 (deterministic) ECDSA P-256 / SHA-256, r || s. */
export function signRawP256(message: Uint8Array, key: DevKey): Uint8Array {
  return p256.sign(message, key.secret, { prehash: true, format: "compact" });
}

function signDerP256(message: Uint8Array, key: DevKey): Uint8Array {
  return p256.sign(message, key.secret, { prehash: true, format: "der" });
}

const b64url = (b: Uint8Array) => Buffer.from(b).toString("base64url");

/** SEC 1 "EC PRIVATE KEY" PEM (what OpenSSL reads). */
export function devKeyPem(key: DevKey): string {
  const jwk = { kty: "EC", crv: "P-256", d: b64url(key.secret), x: b64url(key.public.subarray(0, 32)), y: b64url(key.public.subarray(32)) };
  return createPrivateKey({ key: jwk, format: "jwk" }).export({ type: "sec1", format: "pem" }).toString();
}

/** Reads a P-256 private key PEM back into a DevKey. */
export function devKeyFromPem(pem: string | Buffer): DevKey {
  const jwk = createPrivateKey(pem).export({ format: "jwk" });
  if (jwk.crv !== "P-256" || jwk.d === undefined || jwk.x === undefined || jwk.y === undefined) throw new TypeError("not a P-256 private key");
  return { secret: Uint8Array.from(Buffer.from(jwk.d, "base64url")), public: Uint8Array.from(Buffer.concat([Buffer.from(jwk.x, "base64url"), Buffer.from(jwk.y, "base64url")])) };
}

export function pemCertificate(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString("base64").replace(/(.{64})/g, "$1\n");
  return `-----BEGIN CERTIFICATE-----\n${b64.trimEnd()}\n-----END CERTIFICATE-----\n`;
}

/** Intel's name layout with the development values. */
export function devName(cn: string): Buffer {
  const atv = (type: string, value: Buffer) => set(sequence(oid(type), value));
  return sequence(
    atv("2.5.4.3", utf8String(cn)),
    atv("2.5.4.10", utf8String(DEV_ORGANIZATION)),
    atv("2.5.4.7", utf8String(DEV_LOCALITY)),
    atv("2.5.4.8", utf8String(DEV_STATE)),
    atv("2.5.4.6", printableString(DEV_COUNTRY)),
  );
}

function spki(key: DevKey): Buffer {
  return sequence(sequence(oid("1.2.840.10045.2.1"), oid("1.2.840.10045.3.1.7")), bitString(Buffer.concat([Buffer.from([4]), key.public])));
}

/** RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. */
export function keyIdentifier(key: DevKey): Buffer {
  return createHash("sha1").update(Buffer.concat([Buffer.from([4]), key.public])).digest();
}

function extension(id: string, critical: boolean, value: Uint8Array): Buffer {
  return critical ? sequence(oid(id), boolean(true), octetString(value)) : sequence(oid(id), octetString(value));
}

const aki = (issuerKey: DevKey) => extension("2.5.29.35", false, sequence(tlv(0x80, keyIdentifier(issuerKey))));
const crlDp = (url: string) => extension("2.5.29.31", false, sequence(sequence(context(0, context(0, tlv(0x86, Buffer.from(url, "latin1")))))));
const ski = (key: DevKey) => extension("2.5.29.14", false, octetString(keyIdentifier(key)));
/** keyCertSign | cRLSign (Intel's CAs) or digitalSignature | nonRepudiation (Intel's leaves). */
const keyUsage = (ca: boolean) => extension("2.5.29.15", true, ca ? bitString(Buffer.from([0x06]), 1) : bitString(Buffer.from([0xc0]), 6));
const basicConstraints = (pathLen: number | undefined) =>
  extension("2.5.29.19", true, pathLen === undefined ? sequence() : sequence(boolean(true), integer(pathLen)));

/** A certificate or CRL: TBS, ecdsa-with-SHA256, the DER signature in a BIT STRING. */
export function assembleSignedDer(tbs: Uint8Array, signer: DevKey): Buffer {
  return sequence(tbs, ECDSA_WITH_SHA256, bitString(signDerP256(tbs, signer)));
}

interface CertificateSpec {
  serial: Uint8Array;
  issuerCn: string;
  subjectCn: string;
  key: DevKey;
  issuerKey: DevKey;
  /** undefined: a leaf; a number: a CA with that pathLenConstraint. */
  pathLen: number | undefined;
  crlUrl: string;
  extra?: Buffer[];
  notBefore?: bigint;
  notAfter?: bigint;
}

export function buildCertificate(s: CertificateSpec): Buffer {
  const extensions = [aki(s.issuerKey), crlDp(s.crlUrl), ski(s.key), keyUsage(s.pathLen !== undefined), basicConstraints(s.pathLen), ...(s.extra ?? [])];
  const tbs = sequence(
    context(0, integer(2)),
    integer(s.serial),
    ECDSA_WITH_SHA256,
    devName(s.issuerCn),
    sequence(time(s.notBefore ?? DEV_NOT_BEFORE), time(s.notAfter ?? DEV_NOT_AFTER)),
    devName(s.subjectCn),
    spki(s.key),
    context(3, sequence(...extensions)),
  );
  return assembleSignedDer(tbs, s.issuerKey);
}

const SGX_OID = "1.2.840.113741.1.13.1";

export interface SgxExtensionSpec {
  ppid: Uint8Array;
  cpuSvnComponents: readonly number[];
  pceSvn: number;
  cpuSvn: Uint8Array;
  pceId: string;
  fmspc: string;
  sgxType: number;
  platformInstanceId: Uint8Array;
  dynamicPlatform: boolean;
  cachedKeys: boolean;
  smtEnabled: boolean;
}

/** The SGX extension (1.2.840.113741.1.13.1) in Intel's order and encoding (a Platform CA PCK). */
export function sgxExtension(s: SgxExtensionSpec): Buffer {
  if (s.cpuSvnComponents.length !== 16 || s.cpuSvn.length !== 16 || s.ppid.length !== 16 || s.platformInstanceId.length !== 16) throw new RangeError("SGX extension field sizes");
  const field = (arc: string, value: Buffer) => sequence(oid(`${SGX_OID}.${arc}`), value);
  const tcb = sequence(
    ...s.cpuSvnComponents.map((svn, i) => field(`2.${i + 1}`, integer(svn))),
    field("2.17", integer(s.pceSvn)),
    field("2.18", octetString(s.cpuSvn)),
  );
  const value = sequence(
    field("1", octetString(s.ppid)),
    field("2", tcb),
    field("3", octetString(Buffer.from(s.pceId, "hex"))),
    field("4", octetString(Buffer.from(s.fmspc, "hex"))),
    field("5", enumerated(s.sgxType)),
    field("6", octetString(s.platformInstanceId)),
    field("7", sequence(field("7.1", boolean(s.dynamicPlatform)), field("7.2", boolean(s.cachedKeys)), field("7.3", boolean(s.smtEnabled)))),
  );
  return extension(SGX_OID, false, value);
}

function labelBytes(label: string, length: number): Buffer {
  return Buffer.from(sha256(Buffer.from(`Anonify SIMULATION ${label}`))).subarray(0, length);
}

/** The development platform's PCK certificate spec values. */
export function devSgxExtensionSpec(): SgxExtensionSpec {
  return {
    ppid: labelBytes("development platform PPID", 16),
    cpuSvnComponents: DEV_PLATFORM.cpuSvnComponents,
    pceSvn: DEV_PLATFORM.pceSvn,
    cpuSvn: Buffer.from(devCpuSvnHex(), "hex"),
    pceId: DEV_PLATFORM.pceId,
    fmspc: DEV_PLATFORM.fmspc,
    sgxType: DEV_PLATFORM.sgxType,
    platformInstanceId: labelBytes("development platform instance id", 16),
    dynamicPlatform: DEV_PLATFORM.dynamicPlatform,
    cachedKeys: DEV_PLATFORM.cachedKeys,
    smtEnabled: DEV_PLATFORM.smtEnabled,
  };
}

export interface DevelopmentPkiMaterial {
  keys: Record<DevKeyName, DevKey>;
  rootDer: Buffer;
  pckPlatformCaDer: Buffer;
  pckProcessorCaDer: Buffer;
  tcbSigningDer: Buffer;
  pckDer: Buffer;
}

/** Builds the whole development PKI from the derived keys (deterministic: same bytes every run). */
export function buildDevelopmentPki(): DevelopmentPkiMaterial {
  const names: DevKeyName[] = ["root", "pckPlatformCa", "pckProcessorCa", "tcbSigning", "pck", "attestation"];
  const keys = Object.fromEntries(names.map((n) => [n, deriveDevKey(n)])) as Record<DevKeyName, DevKey>;
  // Intel's CA and TCB Signing serials are their key identifiers; the PCK's is 20 other bytes.
  const rootDer = buildCertificate({ serial: keyIdentifier(keys.root), issuerCn: DEV_ROOT_CN, subjectCn: DEV_ROOT_CN, key: keys.root, issuerKey: keys.root, pathLen: 1, crlUrl: ROOT_CRL_URL });
  const ca = (cn: string, key: DevKey) => buildCertificate({ serial: keyIdentifier(key), issuerCn: DEV_ROOT_CN, subjectCn: cn, key, issuerKey: keys.root, pathLen: 0, crlUrl: ROOT_CRL_URL });
  const pckPlatformCaDer = ca(DEV_PCK_PLATFORM_CA_CN, keys.pckPlatformCa);
  const pckProcessorCaDer = ca(DEV_PCK_PROCESSOR_CA_CN, keys.pckProcessorCa);
  const tcbSigningDer = buildCertificate({ serial: keyIdentifier(keys.tcbSigning), issuerCn: DEV_ROOT_CN, subjectCn: DEV_TCB_SIGNING_CN, key: keys.tcbSigning, issuerKey: keys.root, pathLen: undefined, crlUrl: ROOT_CRL_URL });
  const pckDer = buildCertificate({
    serial: labelBytes("development platform PCK serial", 20),
    issuerCn: DEV_PCK_PLATFORM_CA_CN,
    subjectCn: DEV_PCK_CN,
    key: keys.pck,
    issuerKey: keys.pckPlatformCa,
    pathLen: undefined,
    crlUrl: PCK_CRL_URL("platform"),
    extra: [sgxExtension(devSgxExtensionSpec())],
  });
  return { keys, rootDer, pckPlatformCaDer, pckProcessorCaDer, tcbSigningDer, pckDer };
}

export interface CrlEntry {
  /** Serial, lowercase hex of the magnitude (as x509.ts reports serials). */
  serial: string;
  revocationDate: bigint;
}

export interface CrlSpec {
  issuerCn: string;
  issuerKey: DevKey;
  thisUpdate: bigint;
  nextUpdate: bigint;
  revoked?: readonly CrlEntry[];
  crlNumber?: number;
}

/** An X.509 v2 CRL in Intel's layout: entries with reason keyCompromise, CRL Number and AKI extensions. */
export function buildCrl(s: CrlSpec): Buffer {
  const entries = (s.revoked ?? []).map((e) => {
    if (!/^[0-9a-f]{2,42}$/.test(e.serial) || e.serial.length % 2 !== 0) throw new RangeError(`bad serial ${e.serial}`);
    return sequence(integer(Buffer.from(e.serial, "hex")), time(e.revocationDate), sequence(sequence(oid("2.5.29.21"), octetString(enumerated(1)))));
  });
  const tbs = sequence(
    integer(1),
    ECDSA_WITH_SHA256,
    devName(s.issuerCn),
    time(s.thisUpdate),
    time(s.nextUpdate),
    ...(entries.length > 0 ? [sequence(...entries)] : []),
    context(0, sequence(sequence(oid("2.5.29.20"), octetString(integer(s.crlNumber ?? 1))), aki(s.issuerKey))),
  );
  return assembleSignedDer(tbs, s.issuerKey);
}

/** The committed files (name relative to src/attestation/simulation/dcap/ → bytes). */
export const DEV_PKI_FILES = {
  rootDer: "simulation_dcap_root_ca.der",
  rootPem: "simulation_dcap_root_ca.pem",
  rootKey: "simulation_dcap_root_ca.key.pem",
  pckPlatformCaDer: "simulation_dcap_pck_platform_ca.der",
  pckPlatformCaKey: "simulation_dcap_pck_platform_ca.key.pem",
  pckPlatformCaChain: "simulation_dcap_pck_platform_ca_chain.pem",
  pckProcessorCaDer: "simulation_dcap_pck_processor_ca.der",
  pckProcessorCaKey: "simulation_dcap_pck_processor_ca.key.pem",
  pckProcessorCaChain: "simulation_dcap_pck_processor_ca_chain.pem",
  tcbSigningDer: "simulation_dcap_tcb_signing.der",
  tcbSigningKey: "simulation_dcap_tcb_signing.key.pem",
  tcbSigningChain: "simulation_dcap_tcb_signing_chain.pem",
  pckDer: "simulation_dcap_pck.der",
  pckKey: "simulation_dcap_pck.key.pem",
  pckChain: "simulation_dcap_pck_chain.pem",
  attestationKey: "simulation_dcap_qe_attestation.key.pem",
  platform: "simulation_dcap_platform.json",
} as const;

/** The development platform and QE description committed beside the keys. */
export function devPlatformJson(m: DevelopmentPkiMaterial): string {
  const spec = devSgxExtensionSpec();
  const doc = {
    note: "SIMULATION / development only: public keys and values, rejected by anything pinned to Intel's SGX Root CA",
    platform: {
      fmspc: spec.fmspc,
      pceId: spec.pceId,
      cpuSvnComponents: spec.cpuSvnComponents,
      pceSvn: spec.pceSvn,
      cpuSvn: Buffer.from(spec.cpuSvn).toString("hex"),
      ppid: Buffer.from(spec.ppid).toString("hex"),
      platformInstanceId: Buffer.from(spec.platformInstanceId).toString("hex"),
      sgxType: spec.sgxType,
      pckSerial: labelBytes("development platform PCK serial", 20).toString("hex"),
    },
    qe: { ...DEV_QE, attestationPublicKey: Buffer.from(m.keys.attestation.public).toString("hex") },
    validity: { notBefore: "2025-01-01T00:00:00Z", notAfter: "2049-12-31T23:59:59Z" },
  };
  return JSON.stringify(doc, null, 2) + "\n";
}

/** Every committed file of the development PKI, as bytes. */
export function buildDevelopmentPkiFiles(m: DevelopmentPkiMaterial = buildDevelopmentPki()): Map<string, Buffer> {
  const f = DEV_PKI_FILES;
  const text = (s: string) => Buffer.from(s, "latin1");
  const chain = (...ders: Buffer[]) => text(ders.map(pemCertificate).join(""));
  return new Map<string, Buffer>([
    [f.rootDer, m.rootDer],
    [f.rootPem, chain(m.rootDer)],
    [f.rootKey, text(devKeyPem(m.keys.root))],
    [f.pckPlatformCaDer, m.pckPlatformCaDer],
    [f.pckPlatformCaKey, text(devKeyPem(m.keys.pckPlatformCa))],
    [f.pckPlatformCaChain, chain(m.pckPlatformCaDer, m.rootDer)],
    [f.pckProcessorCaDer, m.pckProcessorCaDer],
    [f.pckProcessorCaKey, text(devKeyPem(m.keys.pckProcessorCa))],
    [f.pckProcessorCaChain, chain(m.pckProcessorCaDer, m.rootDer)],
    [f.tcbSigningDer, m.tcbSigningDer],
    [f.tcbSigningKey, text(devKeyPem(m.keys.tcbSigning))],
    [f.tcbSigningChain, chain(m.tcbSigningDer, m.rootDer)],
    [f.pckDer, m.pckDer],
    [f.pckKey, text(devKeyPem(m.keys.pck))],
    [f.pckChain, chain(m.pckDer, m.pckPlatformCaDer, m.rootDer)],
    [f.attestationKey, text(devKeyPem(m.keys.attestation))],
    [f.platform, text(devPlatformJson(m))],
  ]);
}

/** Reads one committed development PKI file. */
export function readDevPkiFile(name: (typeof DEV_PKI_FILES)[keyof typeof DEV_PKI_FILES]): Buffer {
  return fs.readFileSync(attestationAssetPath(path.posix.join(SIMULATION_DCAP_DIR, name)));
}

/** The committed development PKI (certificates and keys as committed, not regenerated). */
export function loadDevelopmentPki(): DevelopmentPkiMaterial {
  const f = DEV_PKI_FILES;
  const key = (name: (typeof f)[keyof typeof f]) => devKeyFromPem(readDevPkiFile(name));
  return {
    keys: {
      root: key(f.rootKey),
      pckPlatformCa: key(f.pckPlatformCaKey),
      pckProcessorCa: key(f.pckProcessorCaKey),
      tcbSigning: key(f.tcbSigningKey),
      pck: key(f.pckKey),
      attestation: key(f.attestationKey),
    },
    rootDer: readDevPkiFile(f.rootDer),
    pckPlatformCaDer: readDevPkiFile(f.pckPlatformCaDer),
    pckProcessorCaDer: readDevPkiFile(f.pckProcessorCaDer),
    tcbSigningDer: readDevPkiFile(f.tcbSigningDer),
    pckDer: readDevPkiFile(f.pckDer),
  };
}
