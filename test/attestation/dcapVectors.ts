/**
 * DCAP test material: the committed Intel vectors (test/vectors/dcap, provenance in SOURCES.txt) and a
 * test PKI that re-keys Intel's own certificates, CRLs and collateral under keys the tests hold, so every
 * field behind a signature can be changed and signed again. The test PKI's root is pinned explicitly;
 * under the Intel root all of it is refused (RootCaNotPinned).
 */
import fs from "node:fs";
import path from "node:path";
import { p256 } from "@noble/curves/nist.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { vectorDir } from "../helpers/vectors";
import {
  CertificateRole,
  decodeQuote,
  encodeQuote,
  parseCertificate,
  partsOf,
  pinRoot,
  splitPemChain,
  type DcapCollateral,
  type PinnedRoot,
  type QuoteParts,
} from "../../src/attestation/dcap";

export const DCAP_VECTOR_TIME = 1755236700n; // 2025-08-15T05:45:00Z, the Automata test's block.timestamp

export function dcapFile(name: string): Buffer {
  return fs.readFileSync(path.join(vectorDir("dcap"), name));
}

export function dcapPath(name: string): string {
  return path.join(vectorDir("dcap"), name);
}

export const realQuote = (): Buffer => dcapFile("quote_v3_sgx.bin");
export const realTcbInfo = (): Buffer => dcapFile("0825_sgx_tcbinfov3_00606a000000.json");
export const realQeIdentity = (): Buffer => dcapFile("0825_sgx_qeidentity_v4.json");
export const realRootCrl = (): Buffer => dcapFile("rootCrlDer.der");
export const realPckCrl = (): Buffer => dcapFile("0825_platform_crl.der");

/** The real collateral, both CRLs included. */
export function realCollateral(): DcapCollateral {
  return { tcbInfo: realTcbInfo(), qeIdentity: realQeIdentity(), crls: [realRootCrl(), realPckCrl()] };
}

/** MRENCLAVE of the real quote (bytes 112..144). */
export const REAL_MRENCLAVE = "0xa4f45c39dac622cb1dd32ddb35a52ec92db41d0fa88a1c911c49e59c534f61cd";

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function derTlv(tag: number, content: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([tag]), derLength(content.length), content]);
}

const ECDSA_WITH_SHA256 = Buffer.from("300a06082a8648ce3d040302", "hex");

/** Replaces the first occurrence of `from` (hex) by `to` (hex, same length) in `bytes`; throws when absent. */
export function replaceHex(bytes: Uint8Array, from: string, to: string, occurrence = 0): Buffer {
  const out = Buffer.from(bytes);
  const needle = Buffer.from(from, "hex");
  const replacement = Buffer.from(to, "hex");
  if (needle.length !== replacement.length) throw new Error("replaceHex keeps lengths");
  let at = -1;
  for (let i = 0; i <= occurrence; i++) {
    at = out.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`${from} not found`);
  }
  replacement.copy(out, at);
  return out;
}

export interface KeyPair {
  secret: Uint8Array;
  /** x || y. */
  public: Uint8Array;
}

export function newKey(): KeyPair {
  const secret = p256.utils.randomSecretKey();
  return { secret, public: p256.getPublicKey(secret, false).subarray(1) };
}

/** r || s over SHA-256(message) (low-s, as noble makes them). */
export function signRaw(message: Uint8Array, key: KeyPair): Uint8Array {
  return p256.sign(message, key.secret, { prehash: true, format: "compact" });
}

function signDer(message: Uint8Array, key: KeyPair): Uint8Array {
  return p256.sign(message, key.secret, { prehash: true, format: "der" });
}

/** The same signature with s replaced by n - s: still valid, and "high-s" when s was low. */
export function flipS(signature: Uint8Array): Uint8Array {
  const n = p256.Point.CURVE().n;
  const s = BigInt("0x" + Buffer.from(signature.subarray(32)).toString("hex"));
  const out = Uint8Array.from(signature);
  out.set(Buffer.from((n - s).toString(16).padStart(64, "0"), "hex"), 32);
  return out;
}

/** A certificate or CRL: TBS, then ecdsa-with-SHA256, then the signature by `signer`. */
export function assembleSigned(tbs: Uint8Array, signer: KeyPair): Buffer {
  const signature = derTlv(0x03, Buffer.concat([Buffer.from([0]), signDer(tbs, signer)]));
  return derTlv(0x30, Buffer.concat([tbs, ECDSA_WITH_SHA256, signature]));
}

/** Intel's certificate `template` with its key replaced by `key`, the TBS changed by `edit`, signed by `signer`. */
export function rekey(template: Uint8Array, role: CertificateRole, key: Uint8Array, signer: KeyPair, edit: (tbs: Buffer) => Buffer = (t) => t): Buffer {
  const parsed = parseCertificate(template, role);
  const tbs = replaceHex(parsed.tbs, Buffer.from(parsed.publicKey).toString("hex"), Buffer.from(key).toString("hex"));
  return assembleSigned(edit(tbs), signer);
}

/** The TBS of a DER certificate or CRL (the first element of the outer SEQUENCE). */
export function tbsOf(der: Uint8Array): Buffer {
  const b = Buffer.from(der);
  let p = 1;
  p += b[p] & 0x80 ? 1 + (b[p] & 0x7f) : 1; // outer length
  const start = p;
  p += 1;
  const first = b[p];
  let len: number;
  if (first & 0x80) {
    const count = first & 0x7f;
    len = 0;
    for (let i = 0; i < count; i++) len = len * 256 + b[p + 1 + i];
    p += 1 + count;
  } else {
    len = first;
    p += 1;
  }
  return b.subarray(start, p + len);
}

export function pem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString("base64").replace(/(.{64})/g, "$1\n");
  return `-----BEGIN CERTIFICATE-----\n${b64.trimEnd()}\n-----END CERTIFICATE-----\n`;
}

export interface TestPkiEdits {
  root?: (tbs: Buffer) => Buffer;
  pckCa?: (tbs: Buffer) => Buffer;
  pck?: (tbs: Buffer) => Buffer;
  tcbSigning?: (tbs: Buffer) => Buffer;
}

/** Keys and certificates of a test PKI built on Intel's templates. */
export class TestPki {
  readonly rootKey = newKey();
  readonly pckCaKey = newKey();
  readonly pckKey = newKey();
  readonly tcbKey = newKey();
  readonly attestationKey = newKey();
  readonly rootDer: Buffer;
  readonly pckCaDer: Buffer;
  readonly pckDer: Buffer;
  readonly tcbSigningDer: Buffer;
  readonly root: PinnedRoot;

  constructor(edits: TestPkiEdits = {}) {
    const intelChain = splitPemChain(decodeQuote(realQuote()).pckChainPem);
    this.rootDer = rekey(dcapFile("rootCaDer.der"), CertificateRole.Root, this.rootKey.public, this.rootKey, edits.root);
    this.pckCaDer = rekey(intelChain[1], CertificateRole.PckCa, this.pckCaKey.public, this.rootKey, edits.pckCa);
    this.pckDer = rekey(intelChain[0], CertificateRole.Pck, this.pckKey.public, this.pckCaKey, edits.pck);
    this.tcbSigningDer = rekey(dcapFile("signingDer.der"), CertificateRole.TcbSigning, this.tcbKey.public, this.rootKey, edits.tcbSigning);
    this.root = pinRoot(this.rootDer);
  }

  /** A PCK certificate under this PKI's PCK CA, Intel's template TBS changed by `edit`. */
  pckWith(edit: (tbs: Buffer) => Buffer): Buffer {
    const intelPck = splitPemChain(decodeQuote(realQuote()).pckChainPem)[0];
    return rekey(intelPck, CertificateRole.Pck, this.pckKey.public, this.pckCaKey, edit);
  }

  chainPem(certs: Uint8Array[] = [this.pckDer, this.pckCaDer, this.rootDer]): Buffer {
    return Buffer.concat([Buffer.from(certs.map(pem).join(""), "latin1"), Buffer.from([0])]);
  }

  tcbChainPem(): Buffer {
    return Buffer.from(pem(this.tcbSigningDer) + pem(this.rootDer), "latin1");
  }

  /** A PCS body `{"<field>":<body>,"signature":"…"}` signed by the TCB Signing key. */
  signCollateral(field: "tcbInfo" | "enclaveIdentity", body: string, key: KeyPair = this.tcbKey): Buffer {
    const signature = Buffer.from(signRaw(Buffer.from(body, "utf8"), key)).toString("hex");
    return Buffer.from(`{"${field}":${body},"signature":"${signature}"}`, "utf8");
  }

  /** The real collateral's signed object, changed by `edit` (on the JSON text), signed again. */
  tcbInfo(edit: (json: string) => string = (j) => j): Buffer {
    return this.signCollateral("tcbInfo", edit(innerJson(realTcbInfo(), "tcbInfo")));
  }

  qeIdentity(edit: (json: string) => string = (j) => j): Buffer {
    return this.signCollateral("enclaveIdentity", edit(innerJson(realQeIdentity(), "enclaveIdentity")));
  }

  /** The real PCK CA CRL (or root CRL) re-signed by the test CA, its TBS changed by `edit`. */
  pckCrl(edit: (tbs: Buffer) => Buffer = (t) => t): Buffer {
    return assembleSigned(edit(tbsOf(realPckCrl())), this.pckCaKey);
  }

  rootCrl(edit: (tbs: Buffer) => Buffer = (t) => t): Buffer {
    return assembleSigned(edit(tbsOf(realRootCrl())), this.rootKey);
  }

  collateral(extra: Partial<DcapCollateral> = {}): DcapCollateral {
    return { tcbInfo: this.tcbInfo(), qeIdentity: this.qeIdentity(), tcbSigningChainPem: this.tcbChainPem(), crls: [this.rootCrl(), this.pckCrl()], ...extra };
  }

  /**
   * The real quote signed again under this PKI: `edit` changes the parts first (header, ISV report, QE
   * report, auth data, chain); then the QE report data is bound to the attestation key, the QE report is
   * signed by the PCK key and the quote by the attestation key (`bindReportData: false` keeps the edited QE report data).
   */
  quote(edit: (p: QuoteParts) => QuoteParts = (p) => p, opts: { bindReportData?: boolean } = {}): Buffer {
    let p: QuoteParts = { ...partsOf(decodeQuote(realQuote())), attestationKey: this.attestationKey.public, pckChainPem: this.chainPem() };
    p = edit(p);
    const qeReport = Uint8Array.from(p.qeReport);
    if (opts.bindReportData !== false) {
      qeReport.fill(0, 320, 384);
      qeReport.set(sha256(Uint8Array.from([...p.attestationKey, ...p.qeAuthData])), 320);
    }
    const signed = Uint8Array.from([...p.header, ...p.report]);
    return Buffer.from(
      encodeQuote({ ...p, qeReport, qeReportSignature: signRaw(qeReport, this.pckKey), isvSignature: signRaw(signed, this.attestationKey) }),
    );
  }
}

/** The text of the signed object inside a PCS body. */
export function innerJson(body: Uint8Array, field: string): string {
  const text = Buffer.from(body).toString("utf8").trimEnd();
  const prefix = `{"${field}":`;
  const suffixAt = text.lastIndexOf(',"signature":"');
  if (!text.startsWith(prefix) || suffixAt < 0) throw new Error(`not a PCS ${field} body`);
  return text.slice(prefix.length, suffixAt);
}

/** Sets byte(s) of a copy. */
export function patched(bytes: Uint8Array, offset: number, values: number[]): Buffer {
  const out = Buffer.from(bytes);
  values.forEach((v, i) => (out[offset + i] = v));
  return out;
}

export function xorByte(bytes: Uint8Array, offset: number, mask = 0x01): Buffer {
  const out = Buffer.from(bytes);
  out[offset] ^= mask;
  return out;
}
