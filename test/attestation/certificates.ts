/**
 * Certificates made with the OpenSSL command line for the certificate-check tests: leaves issued by the
 * SIMULATION CA (whose private key is public, committed for this purpose) with keys and algorithms the
 * verifier must refuse, plus a look-alike CA with the same subject Name but another key.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { createPrivateKey, sign } from "node:crypto";
import { attestationAssetPath, SIMULATION_CA_KEY_FILE } from "../../src/attestation";

export const SIMULATION_CA_SUBJECT = "/C=US/ST=CA/L=Santa Clara/O=Anonify SIMULATION (not Intel)/CN=Anonify SIMULATION Attestation Report Signing CA";

export interface GeneratedCertificates {
  /** RSA-2048, e = 65537, sha256WithRSAEncryption, issued by the SIMULATION CA, notAfter past 2050 (GeneralizedTime). */
  rsa2048: Buffer;
  rsa3072: Buffer;
  rsa1024: Buffer;
  rsa2048Exponent3: Buffer;
  ecP256: Buffer;
  sha384: Buffer;
  rsaPss: Buffer;
  selfSigned: Buffer;
  /** Issuer Name byte-identical to the SIMULATION CA's subject, signed by another RSA-3072 key. */
  lookAlikeIssued: Buffer;
}

function openssl(dir: string, args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

/** Generates every certificate once per process (a few seconds: RSA-3072 key generation). */
let cached: GeneratedCertificates | undefined;
export function generatedCertificates(): GeneratedCertificates {
  if (cached !== undefined) return cached;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "anonify-certs-"));
  try {
    const caCert = attestationAssetPath("simulation/simulation_ca.pem");
    const caKey = attestationAssetPath(SIMULATION_CA_KEY_FILE);
    const key = (name: string, args: string[]) => openssl(dir, ["genpkey", ...args, "-out", `${name}.key`]);
    key("rsa2048", ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]);
    key("rsa3072", ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072"]);
    key("rsa1024", ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"]);
    key("rsa2048e3", ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-pkeyopt", "rsa_keygen_pubexp:3"]);
    key("ec", ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]);
    key("fakeca", ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072"]);

    // The report-signing profile (audit F-9): X.509 v3 with Intel's leaf extensions, so that each certificate
    // reaches the rule it is made to break.
    fs.writeFileSync(path.join(dir, "leaf.ext"), "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n");
    const issue = (out: string, keyName: string, extra: string[] = [], ca = caCert, caKeyFile = caKey) => {
      openssl(dir, ["req", "-new", "-key", `${keyName}.key`, "-subj", `/CN=${out}`, "-out", `${out}.csr`]);
      openssl(dir, ["x509", "-req", "-in", `${out}.csr`, "-CA", ca, "-CAkey", caKeyFile, "-set_serial", "7", "-days", "10000", "-extfile", "leaf.ext", "-outform", "DER", "-out", `${out}.der`, ...extra]);
      return fs.readFileSync(path.join(dir, `${out}.der`));
    };
    openssl(dir, ["req", "-x509", "-new", "-key", "fakeca.key", "-subj", SIMULATION_CA_SUBJECT, "-days", "10000", "-out", "fakeca.pem"]);
    openssl(dir, ["req", "-x509", "-new", "-key", "rsa2048.key", "-subj", "/CN=self", "-days", "100", "-outform", "DER", "-out", "self.der"]);

    cached = {
      rsa2048: issue("rsa2048", "rsa2048", ["-sha256"]),
      rsa3072: issue("rsa3072", "rsa3072", ["-sha256"]),
      rsa1024: issue("rsa1024", "rsa1024", ["-sha256"]),
      rsa2048Exponent3: issue("rsa2048e3", "rsa2048e3", ["-sha256"]),
      ecP256: issue("ec", "ec", ["-sha256"]),
      sha384: issue("sha384", "rsa2048", ["-sha384"]),
      rsaPss: issue("pss", "rsa2048", ["-sha256", "-sigopt", "rsa_padding_mode:pss"]),
      selfSigned: fs.readFileSync(path.join(dir, "self.der")),
      lookAlikeIssued: issue("lookalike", "rsa2048", ["-sha256"], path.join(dir, "fakeca.pem"), path.join(dir, "fakeca.key")),
    };
    return cached;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The TBSCertificate span of a certificate, read from its two outer headers (independently of the
 * parser under test): `30 82 LL LL 30 82 TT TT ...`.
 */
export function tbsSpan(der: Buffer): { start: number; end: number } {
  if (der[0] !== 0x30 || der[1] !== 0x82 || der[4] !== 0x30 || der[5] !== 0x82) throw new Error("unexpected certificate header");
  return { start: 4, end: 8 + der.readUInt16BE(6) };
}

/** Re-signs a certificate's TBSCertificate (at `span`, by default read from its headers) with the SIMULATION CA key. */
export function resignWithSimulationCa(der: Buffer, span = tbsSpan(der)): Buffer {
  const { start, end } = span;
  const caKey = createPrivateKey(fs.readFileSync(attestationAssetPath(SIMULATION_CA_KEY_FILE)));
  const signature = sign("sha256", der.subarray(start, end), caKey);
  const out = Buffer.from(der);
  signature.copy(out, der.length - signature.length);
  return out;
}

/** A DER TLV with a definite length (test side). */
export function derTlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const length = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, content]);
}

/** The elements of a constructed TLV's content (definite lengths, as DER certificates have). */
function childrenOf(buf: Buffer, start: number, end: number): Buffer[] {
  const out: Buffer[] = [];
  for (let p = start; p < end; ) {
    let length = buf[p + 1];
    let header = 2;
    if (length & 0x80) {
      const count = length & 0x7f;
      length = 0;
      for (let i = 0; i < count; i++) length = (length << 8) | buf[p + 2 + i];
      header += count;
    }
    out.push(buf.subarray(p, p + header + length));
    p += header + length;
  }
  return out;
}

/**
 * `template` with its TBSCertificate's version element and everything after subjectPublicKeyInfo replaced (`version`
 * null: none), signed with the SIMULATION CA key: a certificate that reaches the profile rules (audit F-9).
 */
export function withTbsTail(template: Buffer, version: Buffer | null, tail: Buffer[]): Buffer {
  const { start, end } = tbsSpan(template);
  const elements = childrenOf(template, start + 4, end);
  const body = elements[0][0] === 0xa0 ? elements.slice(1, 7) : elements.slice(0, 6); // serial .. subjectPublicKeyInfo
  const tbs = derTlv(0x30, Buffer.concat([...(version === null ? [] : [version]), ...body, ...tail]));
  const outer = childrenOf(template, 4, template.length).slice(1); // signatureAlgorithm, signatureValue
  const signature = sign("sha256", tbs, createPrivateKey(fs.readFileSync(attestationAssetPath(SIMULATION_CA_KEY_FILE))));
  return derTlv(0x30, Buffer.concat([tbs, outer[0], derTlv(0x03, Buffer.concat([Buffer.from([0]), signature]))]));
}
