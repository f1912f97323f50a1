/**
 * DCAP mutation generators shared by the TypeScript verifier test (dcapVerifier.test.ts), the on-chain
 * differential (dcapContracts.test.ts) and the enclave differential (dcapDifferential.test.ts): quote
 * layout mutations and truncations, the real quote's signed fields, PCK chain faults, reproducible byte
 * flips of Intel's certificates, and edits of the PCK certificate's TBS re-signed under a test PKI.
 * Each generator yields inputs only; each test states what it expects of them.
 */
import { decodeQuote, encodeQuote, partsOf, splitPemChain } from "../../src/attestation/dcap";
import { DCAP_VECTOR_TIME, TestPki, dcapFile, patched, pem, realQuote, replaceHex, xorByte } from "./dcapVectors";

// Quote offsets (v3): header 0, ISV report 48, signature data length 432, ISV signature 436,
// attestation key 500, QE report 564, QE report signature 948, QE auth data length 1012, auth data 1014,
// certification type 1046, size 1048, PEM 1052.
export const ISV_REPORT = 48;
export const SIGNATURE_DATA_LENGTH = 432;
export const ISV_SIGNATURE = 436;
export const ATTESTATION_KEY = 500;
export const QE_REPORT = 564;
export const QE_SIGNATURE = 948;
export const QE_AUTH_LENGTH = 1012;
export const QE_AUTH = 1014;
export const CERT_TYPE = 1046;
export const CERT_SIZE = 1048;
export const PEM_START = 1052;

/** The real quote with its PCK chain replaced (DER certificates, or PEM text as is). */
export function withChain(quote: Uint8Array, certs: Uint8Array[] | string | Uint8Array): Buffer {
  const p = partsOf(decodeQuote(quote));
  const text = typeof certs === "string" ? Buffer.from(certs, "latin1") : Array.isArray(certs) ? Buffer.from(certs.map(pem).join(""), "latin1") : Buffer.from(certs);
  return Buffer.from(encodeQuote({ ...p, pckChainPem: text }));
}

/** Signed fields of the real quote: [what, byte offset, the error the verifier gives]. */
export const SIGNED_FIELD_MUTATIONS: readonly [string, number, string][] = [
  ["header user data", 30, "QuoteSignatureInvalid"],
  ["header QE SVN", 8, "QuoteSignatureInvalid"],
  ["ISV CPUSVN", ISV_REPORT, "QuoteSignatureInvalid"],
  ["ISV attributes (DEBUG bit)", ISV_REPORT + 48, "QuoteSignatureInvalid"],
  ["ISV MRENCLAVE", ISV_REPORT + 64, "QuoteSignatureInvalid"],
  ["ISV MRSIGNER", ISV_REPORT + 128, "QuoteSignatureInvalid"],
  ["ISV ISVSVN", ISV_REPORT + 258, "QuoteSignatureInvalid"],
  ["ISV REPORTDATA", ISV_REPORT + 320, "QuoteSignatureInvalid"],
  ["ISV signature r", ISV_SIGNATURE, "QuoteSignatureInvalid"],
  ["ISV signature s", ISV_SIGNATURE + 63, "QuoteSignatureInvalid"],
  ["attestation key", ATTESTATION_KEY + 5, "QeReportDataMismatch"],
  ["QE report CPUSVN", QE_REPORT, "QeReportSignatureInvalid"],
  ["QE report MRSIGNER", QE_REPORT + 128, "QeReportSignatureInvalid"],
  ["QE report data", QE_REPORT + 320, "QeReportSignatureInvalid"],
  ["QE report signature", QE_SIGNATURE + 10, "QeReportSignatureInvalid"],
  ["QE auth data", QE_AUTH + 3, "QeReportDataMismatch"],
];

/** The real quote with the signed field at `offset` changed (the DEBUG bit for the attributes). */
export function signedFieldMutation(offset: number): Buffer {
  return xorByte(realQuote(), offset, offset === ISV_REPORT + 48 ? 0x02 : 0x01);
}

/** Header, length and layout mutations of the real quote, and its truncations at every field boundary. */
export function layoutMutations(): [string, Uint8Array][] {
  const q = realQuote();
  const size = q.readUInt32LE(CERT_SIZE);
  const withSize = (v: number) => {
    const b = Buffer.from(q);
    b.writeUInt32LE(v, CERT_SIZE);
    return b;
  };
  const v3 = decodeQuote(q);
  const cases: [string, Uint8Array][] = [
    ["real", q],
    ["tdx v4", dcapFile("quote_v4_tdx.bin")],
    ["tdx v5", dcapFile("quotes_tdx_quote_5.dat")],
    ["version 2", patched(q, 0, [2, 0])],
    ["version 5", patched(q, 0, [5, 0])],
    ["key type 3", patched(q, 2, [3, 0])],
    ["tee 0x81", patched(q, 4, [0x81])],
    ["vendor", xorByte(q, 20)],
    ["cert type 1", patched(q, CERT_TYPE, [1, 0])],
    ["cert type 6", patched(q, CERT_TYPE, [6, 0])],
    ["auth len ffff", patched(q, QE_AUTH_LENGTH, [0xff, 0xff])],
    ["auth len 0", patched(q, QE_AUTH_LENGTH, [0, 0])],
    ["cert size -1", withSize(size - 1)],
    ["cert size +1", withSize(size + 1)],
    ["sig len 0", patched(q, SIGNATURE_DATA_LENGTH, [0, 0, 0, 0])],
    ["sig len huge", patched(q, SIGNATURE_DATA_LENGTH, [0xff, 0xff, 0xff, 0xff])],
    ["trailing byte", Buffer.concat([q, Buffer.from([0])])],
    ["v4 layout", encodeQuote({ ...partsOf(v3), header: patched(partsOf(v3).header, 0, [4, 0]) })],
    ["v4 header, v3 layout", patched(q, 0, [4, 0])],
  ];
  for (const n of [0, 1, 47, 48, 100, 431, 432, 435, 436, 499, 500, 563, 564, 947, 948, 1011, 1012, 1013, 1014, 1045, 1046, 1051, 1052, q.length - 1]) {
    cases.push([`truncated to ${n}`, q.subarray(0, n)]);
  }
  return cases;
}

/** PCK chain faults of the real chain (and two well-formed variants): [what, chain PEM, verification time]. */
export function chainFaults(test: TestPki = new TestPki()): [string, Uint8Array, bigint][] {
  const [pck, pckCa, root] = splitPemChain(decodeQuote(realQuote()).pckChainPem);
  const text = (certs: Uint8Array[]) => Buffer.from(certs.map(pem).join(""), "latin1");
  const real = decodeQuote(realQuote()).pckChainPem;
  return [
    ["two", text([pck, root]), DCAP_VECTOR_TIME],
    ["four", text([pck, pckCa, root, root]), DCAP_VECTOR_TIME],
    ["swapped", text([pckCa, pck, root]), DCAP_VECTOR_TIME],
    ["tcb signing as root", text([pck, pckCa, dcapFile("signingDer.der")]), DCAP_VECTOR_TIME],
    ["test root", text([pck, pckCa, test.rootDer]), DCAP_VECTOR_TIME],
    ["garbage", Buffer.from("garbage"), DCAP_VECTOR_TIME],
    ["empty", Buffer.alloc(0), DCAP_VECTOR_TIME],
    ["private key block", Buffer.from(pem(pck) + pem(pckCa).replace("BEGIN CERTIFICATE", "BEGIN PRIVATE KEY")), DCAP_VECTOR_TIME],
    ["bad base64 char", Buffer.from(pem(pck) + pem(pckCa) + pem(root).replace("-----\nMII", "-----\nM*I")), DCAP_VECTOR_TIME],
    ["padding inside", Buffer.from(pem(pck) + pem(pckCa) + pem(root).replace("-----\nMII", "-----\nM=I")), DCAP_VECTOR_TIME],
    ["no END", Buffer.from(pem(pck) + pem(pckCa) + pem(root).replace("-----END CERTIFICATE-----", "")), DCAP_VECTOR_TIME],
    ["NBSP between", Buffer.from(pem(pck) + "\u00a0" + pem(pckCa) + pem(root), "latin1"), DCAP_VECTOR_TIME],
    ["tabs and CRLF", Buffer.from(pem(pck).replace(/\n/g, "\r\n") + "\t " + pem(pckCa) + pem(root) + "\0"), DCAP_VECTOR_TIME],
    ["two NULs", Buffer.concat([text([pck, pckCa, root]), Buffer.from([0, 0])]), DCAP_VECTOR_TIME],
    ["truncated PCK", text([pck.subarray(0, 100), pckCa, root]), DCAP_VECTOR_TIME],
    ["PCK signature byte", text([xorByte(pck, pck.length - 5), pckCa, root]), DCAP_VECTOR_TIME],
    ["before PCK", real, BigInt(Date.UTC(2024, 0, 1) / 1000)],
    ["after PCK", real, BigInt(Date.UTC(2031, 5, 1) / 1000)],
    ["after PCK CA", real, BigInt(Date.UTC(2033, 5, 22) / 1000)],
    ["before root", real, 1_000_000_000n],
  ];
}

/** xorshift32, for reproducible mutation corpora. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** `count` reproducible single-bit flips of Intel's PCK certificate (even) and PCK CA (odd): [what, chain PEM]. */
export function certificateFlips(count: number, seed = 0xdca9): [string, Buffer][] {
  const [pck, pckCa, root] = splitPemChain(decodeQuote(realQuote()).pckChainPem);
  const next = rng(seed);
  const out: [string, Buffer][] = [];
  for (let i = 0; i < count; i++) {
    const target = i % 2 === 0 ? pck : pckCa;
    const at = next() % target.length;
    const mask = 1 << (next() % 8);
    const mutated = xorByte(target, at, mask);
    const certs = i % 2 === 0 ? [mutated, pckCa, root] : [pck, mutated, root];
    out.push([`flip ${i} at ${at}`, Buffer.from(certs.map(pem).join(""))]);
  }
  return out;
}

/** Edits of the PCK certificate's TBS (re-signed by the test PKI's PCK CA): [what, edit]. */
export const PCK_TBS_EDITS: readonly [string, (tbs: Buffer) => Buffer][] = [
  ["as is", (t) => t],
  ["keyUsage without digitalSignature", (t) => replaceHex(t, "030206c0", "03020640")],
  // basicConstraints critical, SEQUENCE {} (cA FALSE) -> BOOLEAN TRUE in the OCTET STRING: not a SEQUENCE.
  ["basicConstraints not a SEQUENCE", (t) => replaceHex(t, "0603551d130101ff04023000", "0603551d130101ff04020101")],
  ["sha384", (t) => replaceHex(t, "2a8648ce3d040302", "2a8648ce3d040303")],
  ["fmspc arc 8", (t) => replaceHex(t, "060a2a864886f84d010d01040406", "060a2a864886f84d010d01080406")],
  ["fmspc as INTEGER", (t) => replaceHex(t, "060a2a864886f84d010d01040406", "060a2a864886f84d010d01040206")],
  ["comp 3 arc 19", (t) => replaceHex(t, "060b2a864886f84d010d01020302", "060b2a864886f84d010d01021302")],
  ["comp 1 = 8", (t) => replaceHex(t, "060b2a864886f84d010d01020102010e", "060b2a864886f84d010d010201020108")],
  ["duplicate arc 2.1", (t) => replaceHex(t, "060b2a864886f84d010d01020202", "060b2a864886f84d010d01020102")],
  ["arc 0x80", (t) => replaceHex(t, "060a2a864886f84d010d01040406", "060a2a864886f84d010d01800406")],
  ["pcesvn negative", (t) => replaceHex(t, "060b2a864886f84d010d01021102010d", "060b2a864886f84d010d01021102018d")],
  ["pcesvn 0", (t) => replaceHex(t, "060b2a864886f84d010d01021102010d", "060b2a864886f84d010d010211020100")],
];

/** `count` reproducible single-bit flips inside the PCK TBS, re-signed by `pki`: [what, PCK DER]. */
export function tbsFlips(pki: TestPki, count: number, seed = 0x5ec): [string, Buffer][] {
  const next = rng(seed);
  const tbsLength = pki.pckWith((t) => t).length - 80; // roughly: flips land in the TBS
  const out: [string, Buffer][] = [];
  for (let i = 0; i < count; i++) {
    const at = 4 + (next() % tbsLength);
    const mask = 1 << (next() % 8);
    out.push([`tbs flip ${i} at ${at}`, pki.pckWith((t) => (at < t.length ? xorByte(t, at, mask) : t))]);
  }
  return out;
}

/** The test PKI's root CA CRL (Intel's has no entries) with one entry revoking `serial` (hex of the DER INTEGER's content). */
export function rootCrlWithEntry(pki: TestPki, serial: string): Buffer {
  return pki.rootCrl((tbs) => {
    const entry = Buffer.concat([Buffer.from("30", "hex"), Buffer.from([2 + serial.length / 2 + 15]), Buffer.from("02" + (serial.length / 2).toString(16).padStart(2, "0") + serial, "hex"), Buffer.from("170d3235303832303030303030305a", "hex")]);
    const list = Buffer.concat([Buffer.from([0x30, entry.length]), entry]);
    // Insert the revokedCertificates list after nextUpdate (the second time, ending in 'Z').
    const times = [...tbs.entries()].filter(([i, b]) => b === 0x17 && tbs[i + 1] === 13).map(([i]) => i);
    const after = times[1] + 15;
    const body = Buffer.concat([tbs.subarray(tbs[1] & 0x80 ? 2 + (tbs[1] & 0x7f) : 2, after), list, tbs.subarray(after)]);
    return Buffer.concat([Buffer.from([0x30]), body.length < 128 ? Buffer.from([body.length]) : Buffer.from([0x81, body.length]), body]);
  });
}
