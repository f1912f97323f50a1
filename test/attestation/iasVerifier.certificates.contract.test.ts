import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

// Signing-certificate registration and CA pinning (docs/attestation-onchain.md): Intel's real
// certificates with single-field mutations, and certificates built here and signed with the
// SIMULATION CA key, so that each rule is reached with an otherwise valid certificate.

const REPO = path.resolve(__dirname, "..", "..");
const read = (p: string) => fs.readFileSync(path.join(REPO, p));
const INTEL_CA = read("src/attestation/certs/intel_sgx_attestation_report_signing_ca.der");
const INTEL_LEAF = read("src/attestation/certs/intel_sgx_attestation_report_signing_leaf.der");
const SIM_CA = read("src/attestation/simulation/simulation_ca.der");
const SIM_LEAF = read("src/attestation/simulation/simulation_signing.der");
const SIM_CA_KEY = crypto.createPrivateKey(read("src/attestation/simulation/simulation_ca.key.pem"));
const SIM_LEAF_KEY = crypto.createPrivateKey(read("src/attestation/simulation/simulation_signing.key.pem"));

// ---- a minimal DER toolkit (test side only) ----

interface Tlv {
  tag: number;
  start: number; // offset of the tag byte in the parent buffer
  contentStart: number;
  end: number;
}

function readTlv(buf: Buffer, offset: number): Tlv {
  const tag = buf[offset];
  let length = buf[offset + 1];
  let contentStart = offset + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    length = 0;
    for (let i = 0; i < n; i++) length = (length << 8) | buf[offset + 2 + i];
    contentStart += n;
  }
  return { tag, start: offset, contentStart, end: contentStart + length };
}

function childrenOf(buf: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let p = parent.contentStart; p < parent.end; p = out[out.length - 1].end) out.push(readTlv(buf, p));
  return out;
}

function encodeLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  if (n < 0x100) return Buffer.from([0x81, n]);
  return Buffer.from([0x82, n >> 8, n & 0xff]);
}

function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

const SHA256_WITH_RSA = Buffer.from("300d06092a864886f70d01010b0500", "hex");
const SHA256_WITH_RSA_NO_PARAMS = Buffer.from("300b06092a864886f70d01010b", "hex");
const SHA1_WITH_RSA = Buffer.from("300d06092a864886f70d0101050500", "hex");

/** The TBS elements of a certificate, as raw TLV buffers. */
/** Where the TBSCertificate ends (one past its last byte). */
function tbsEndOf(cert: Buffer): number {
  return childrenOf(cert, readTlv(cert, 0))[0].end;
}

function tbsElements(cert: Buffer): Buffer[] {
  const top = readTlv(cert, 0);
  const [tbs] = childrenOf(cert, top);
  return childrenOf(cert, tbs).map((e) => cert.subarray(e.start, e.end));
}

interface CertSpec {
  base?: Buffer; // certificate whose TBS is the template (default: the simulation leaf)
  version?: Buffer | null;
  algorithm?: Buffer; // TBS signature AlgorithmIdentifier
  outerAlgorithm?: Buffer;
  issuer?: Buffer;
  validity?: Buffer;
  subject?: Buffer;
  keyInfo?: Buffer;
  /** The `[3]` extensions element (null: none; default: the template's). */
  extensions?: Buffer | null;
  /** Elements appended after the extensions. */
  trailing?: Buffer[];
  signer?: crypto.KeyObject;
  hash?: string;
}

/** Builds and signs a certificate from the template with the given TBS fields replaced. */
function buildCertificate(spec: CertSpec): Buffer {
  const elements = tbsElements(spec.base ?? SIM_LEAF);
  const hasVersion = elements[0][0] === 0xa0;
  const version = hasVersion ? elements[0] : null;
  const [serial, algorithm, issuer, validity, subject, keyInfo, ...rest] = hasVersion ? elements.slice(1) : elements;
  const tbs = tlv(
    0x30,
    Buffer.concat([
      ...(spec.version === null ? [] : [spec.version ?? version!]),
      serial,
      spec.algorithm ?? algorithm,
      spec.issuer ?? issuer,
      spec.validity ?? validity,
      spec.subject ?? subject,
      spec.keyInfo ?? keyInfo,
      ...(spec.extensions === undefined ? rest : spec.extensions === null ? [] : [spec.extensions]),
      ...(spec.trailing ?? []),
    ]),
  );
  const signature = crypto.sign(spec.hash ?? "sha256", tbs, spec.signer ?? SIM_CA_KEY);
  const outer = spec.outerAlgorithm ?? spec.algorithm ?? algorithm;
  return tlv(0x30, Buffer.concat([tbs, outer, tlv(0x03, Buffer.concat([Buffer.from([0]), signature]))]));
}

/** One `Extension`: extnID (id-ce `oid`), critical (DER: present only when TRUE), extnValue wrapping `value`. */
function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return tlv(
    0x30,
    Buffer.concat([tlv(0x06, Buffer.from(oid, "hex")), critical ? Buffer.from("0101ff", "hex") : Buffer.alloc(0), tlv(0x04, value)]),
  );
}
const extensionsOf = (...list: Buffer[]) => tlv(0xa3, tlv(0x30, Buffer.concat(list)));
const ID_CE_KEY_USAGE = "551d0f";
const ID_CE_BASIC_CONSTRAINTS = "551d13";
/** keyUsage as a BIT STRING: `unused` bits, then the named-bit bytes (0x80 = digitalSignature, 0x04 = keyCertSign). */
const keyUsage = (unused: number, ...bytes: number[]) => extension(ID_CE_KEY_USAGE, true, tlv(0x03, Buffer.from([unused, ...bytes])));
const basicConstraints = (content: string) => extension(ID_CE_BASIC_CONSTRAINTS, true, tlv(0x30, Buffer.from(content, "hex")));
/** The report-signing profile: digitalSignature | nonRepudiation, cA FALSE (Intel's leaf has the same). */
const LEAF_KEY_USAGE = keyUsage(6, 0xc0);
const NOT_A_CA = basicConstraints("");
/** The CA profile: keyCertSign | cRLSign, cA TRUE. */
const CA_KEY_USAGE = keyUsage(1, 0x06);
const A_CA = basicConstraints("0101ff");
/** subjectKeyIdentifier (non-critical, not interpreted). */
const SUBJECT_KEY_ID = extension("551d0e", false, tlv(0x04, Buffer.alloc(20, 0x11)));
/** An extension nobody here knows (id-ce 99). */
const unknownExtension = (critical: boolean) => extension("551d63", critical, tlv(0x05, Buffer.alloc(0)));

function validity(notBefore: Buffer, notAfter: Buffer): Buffer {
  return tlv(0x30, Buffer.concat([notBefore, notAfter]));
}
const utcTime = (s: string) => tlv(0x17, Buffer.from(s, "latin1"));
const generalizedTime = (s: string) => tlv(0x18, Buffer.from(s, "latin1"));

function rsaKeyInfo(bits: number, publicExponent = 65537): { info: Buffer; key: crypto.KeyObject } {
  const { publicKey, privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: bits, publicExponent });
  return { info: publicKey.export({ type: "spki", format: "der" }) as Buffer, key: privateKey };
}

/** The 256-byte modulus of a DER SubjectPublicKeyInfo holding an RSA-2048 key. */
function modulusOf(info: Buffer): Buffer {
  const jwk = crypto.createPublicKey({ key: info, format: "der", type: "spki" }).export({ format: "jwk" });
  return Buffer.from(jwk.n as string, "base64url");
}

async function deploy(caDer: Buffer) {
  const [admin] = await ethers.getSigners();
  return (await ethers.getContractFactory("IasVerifier")).deploy(caDer, admin.address, 86_400);
}
const intelFixture = async () => deploy(INTEL_CA);
const simulationFixture = async () => deploy(SIM_CA);

function flip(buf: Buffer, index: number, mask = 0x01): Buffer {
  const out = Buffer.from(buf);
  out[index] ^= mask;
  return out;
}

describe("IasVerifier: certificates (contract)", function () {
  describe("Intel's leaf with one mutation, under Intel's CA", function () {
    it("tampered TBS (a byte of the subject) -> CertificateSignatureInvalid", async function () {
      const verifier = await loadFixture(intelFixture);
      const subjectCn = INTEL_LEAF.lastIndexOf(Buffer.from("Intel SGX Attestation Report Signing"));
      await expect(verifier.registerSigningCertificate(flip(INTEL_LEAF, subjectCn + 3))).to.be.revertedWithCustomError(
        verifier,
        "CertificateSignatureInvalid",
      );
    });

    it("tampered serial or validity -> CertificateSignatureInvalid", async function () {
      const verifier = await loadFixture(intelFixture);
      await expect(verifier.registerSigningCertificate(flip(INTEL_LEAF, 16))).to.be.revertedWithCustomError(
        verifier,
        "CertificateSignatureInvalid",
      );
      // validity notAfter "261120093658Z": make it 2027 (a valid time, but not what Intel signed)
      const at = INTEL_LEAF.indexOf(Buffer.from("261120093658Z"));
      const tampered = Buffer.from(INTEL_LEAF);
      tampered[at + 1] = 0x37;
      await expect(verifier.registerSigningCertificate(tampered)).to.be.revertedWithCustomError(
        verifier,
        "CertificateSignatureInvalid",
      );
    });

    it("wrong outer signatureAlgorithm OID -> CertificateAlgorithmUnsupported", async function () {
      const verifier = await loadFixture(intelFixture);
      const oid = Buffer.from("2a864886f70d01010b", "hex");
      const outer = INTEL_LEAF.lastIndexOf(oid) + oid.length - 1;
      const tampered = Buffer.from(INTEL_LEAF);
      tampered[outer] = 0x05; // sha1WithRSAEncryption
      await expect(verifier.registerSigningCertificate(tampered)).to.be.revertedWithCustomError(
        verifier,
        "CertificateAlgorithmUnsupported",
      );
    });

    it("TBS signature algorithm differing from the outer one -> CertificateAlgorithmUnsupported", async function () {
      const verifier = await loadFixture(intelFixture);
      const oid = Buffer.from("2a864886f70d01010b", "hex");
      const inner = INTEL_LEAF.indexOf(oid) + oid.length - 1;
      const tampered = Buffer.from(INTEL_LEAF);
      tampered[inner] = 0x0c; // sha384WithRSAEncryption
      await expect(verifier.registerSigningCertificate(tampered)).to.be.revertedWithCustomError(
        verifier,
        "CertificateAlgorithmUnsupported",
      );
    });

    it("wrong issuer (a byte of the issuer Name) -> CertificateIssuerMismatch", async function () {
      const verifier = await loadFixture(intelFixture);
      const issuerCn = INTEL_LEAF.indexOf(Buffer.from("Intel SGX Attestation Report Signing CA"));
      await expect(verifier.registerSigningCertificate(flip(INTEL_LEAF, issuerCn + 5))).to.be.revertedWithCustomError(
        verifier,
        "CertificateIssuerMismatch",
      );
    });

    it("the Intel CA certificate itself (RSA-3072) -> CertificateKeyUnsupported", async function () {
      const verifier = await loadFixture(intelFixture);
      await expect(verifier.registerSigningCertificate(INTEL_CA)).to.be.revertedWithCustomError(
        verifier,
        "CertificateKeyUnsupported",
      );
    });

    it("DER errors -> CertificateMalformed(offset)", async function () {
      const verifier = await loadFixture(intelFixture);
      const cases: Array<[Buffer, number]> = [
        [Buffer.alloc(0), 0],
        [Buffer.from([0x30]), 0],
        [Buffer.from([0x31, 0x00]), 0], // SET, not SEQUENCE
        [INTEL_LEAF.subarray(0, INTEL_LEAF.length - 1), 0], // truncated: outer length overruns
        [Buffer.concat([INTEL_LEAF, Buffer.from([0])]), INTEL_LEAF.length], // trailing byte
        [Buffer.from([0x30, 0x80, 0x00, 0x00]), 0], // indefinite length
        [Buffer.from([0x30, 0x81, 0x05, 1, 2, 3, 4, 5]), 0], // non-minimal long form
        [Buffer.from([0x30, 0x83, 0x00, 0x00, 0x01, 0x00]), 0], // 3-byte length form
        [Buffer.from([0x30, 0x02, 0x1f, 0x00]), 2], // high-tag-number form inside
      ];
      for (const [der, offset] of cases) {
        await expect(verifier.registerSigningCertificate(der))
          .to.be.revertedWithCustomError(verifier, "CertificateMalformed")
          .withArgs(offset);
      }
    });

    it("signature BIT STRING with unused bits -> CertificateMalformed(offset of the BIT STRING)", async function () {
      const verifier = await loadFixture(intelFixture);
      const top = readTlv(INTEL_LEAF, 0);
      const [, , bits] = childrenOf(INTEL_LEAF, top);
      await expect(verifier.registerSigningCertificate(flip(INTEL_LEAF, bits.contentStart, 0x01)))
        .to.be.revertedWithCustomError(verifier, "CertificateMalformed")
        .withArgs(bits.start);
    });
  });

  describe("certificates built and signed with the simulation CA key", function () {
    it("the builder reproduces the simulation leaf byte for byte (PKCS#1 v1.5 is deterministic)", function () {
      expect(buildCertificate({}).equals(SIM_LEAF)).to.equal(true);
    });

    it("a fresh RSA-2048 leaf with a GeneralizedTime validity registers, and its reports verify", async function () {
      const verifier = await loadFixture(simulationFixture);
      const { info, key } = rsaKeyInfo(2048);
      const cert = buildCertificate({
        keyInfo: info,
        validity: validity(utcTime("200101000000Z"), generalizedTime("20600229120000Z")),
      });
      const keyId = ethers.keccak256(modulusOf(info));
      await expect(verifier.registerSigningCertificate(cert))
        .to.emit(verifier, "SigningKeyRegistered")
        .withArgs(keyId, Date.UTC(2020, 0, 1) / 1000, Date.UTC(2060, 1, 29, 12) / 1000);
      const body = fs.readFileSync(path.join(__dirname, "..", "vectors", "ias", "lcp_2024-06-15T14-54_v4_GROUP_OUT_OF_DATE", "report.json"));
      const v = await verifier.verifyReportWithoutPolicy(keyId, body, crypto.sign("sha256", body, key));
      expect(v.version).to.equal(4);
      // the same report under the simulation leaf's key id is not registered here
      await expect(verifier.verifyReportWithoutPolicy(ethers.keccak256(modulusOf(tbsElements(SIM_LEAF)[6])), body, crypto.sign("sha256", body, key)))
        .to.be.revertedWithCustomError(verifier, "SigningKeyNotRegistered");
    });

    it("sha256WithRSAEncryption without NULL parameters (both copies) is accepted", async function () {
      const verifier = await loadFixture(simulationFixture);
      await expect(verifier.registerSigningCertificate(buildCertificate({ algorithm: SHA256_WITH_RSA_NO_PARAMS }))).to.emit(
        verifier,
        "SigningKeyRegistered",
      );
    });

    it("sha1WithRSAEncryption (consistently signed) -> CertificateAlgorithmUnsupported", async function () {
      const verifier = await loadFixture(simulationFixture);
      await expect(
        verifier.registerSigningCertificate(buildCertificate({ algorithm: SHA1_WITH_RSA, hash: "sha1" })),
      ).to.be.revertedWithCustomError(verifier, "CertificateAlgorithmUnsupported");
      await expect(
        verifier.registerSigningCertificate(buildCertificate({ algorithm: SHA256_WITH_RSA, outerAlgorithm: SHA256_WITH_RSA_NO_PARAMS })),
      ).to.be.revertedWithCustomError(verifier, "CertificateAlgorithmUnsupported");
    });

    it("signed by a key other than the CA's -> CertificateSignatureInvalid", async function () {
      const verifier = await loadFixture(simulationFixture);
      await expect(verifier.registerSigningCertificate(buildCertificate({ signer: SIM_LEAF_KEY }))).to.be.revertedWithCustomError(
        verifier,
        "CertificateSignatureInvalid",
      );
    });

    it("subject keys other than RSA-2048 with e = 65537 -> CertificateKeyUnsupported", async function () {
      const verifier = await loadFixture(simulationFixture);
      const ec = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "der" }) as Buffer;
      for (const info of [rsaKeyInfo(1024).info, rsaKeyInfo(2048, 3).info, rsaKeyInfo(2056).info, ec]) {
        await expect(verifier.registerSigningCertificate(buildCertificate({ keyInfo: info }))).to.be.revertedWithCustomError(
          verifier,
          "CertificateKeyUnsupported",
        );
      }
    });

    it("a version-1 or version-2 certificate -> CertificateVersionUnsupported(version) (audit F-9)", async function () {
      const verifier = await loadFixture(simulationFixture);
      for (const [version, number] of [
        [null, 1],
        [Buffer.from("a003020101", "hex"), 2],
        [Buffer.from("a003020103", "hex"), 4],
      ] as Array<[Buffer | null, number]>) {
        await expect(verifier.registerSigningCertificate(buildCertificate({ version })))
          .to.be.revertedWithCustomError(verifier, "CertificateVersionUnsupported")
          .withArgs(number);
      }
    });

    it("a version element other than a one-byte INTEGER -> CertificateMalformed(offset of [0])", async function () {
      const verifier = await loadFixture(simulationFixture);
      for (const version of ["a00402020002", "a0030a0102", "a002020102"]) {
        // Certificate and TBSCertificate headers are 4 bytes each: [0] is at byte 8.
        await expect(verifier.registerSigningCertificate(buildCertificate({ version: Buffer.from(version, "hex") })))
          .to.be.revertedWithCustomError(verifier, "CertificateMalformed")
          .withArgs(8);
      }
    });

    it("bad validity times -> CertificateMalformed(offset of the time)", async function () {
      const verifier = await loadFixture(simulationFixture);
      const good = utcTime("161122000000Z");
      const bad = [
        utcTime("161322000000Z"), // month 13
        utcTime("690101000000Z"), // 1969
        utcTime("1611220000Z"), // no seconds
        utcTime("161122000000+0100"),
        generalizedTime("20491231235959.5Z"),
        generalizedTime("20490229000000Z"), // 2049 is not a leap year
        tlv(0x04, Buffer.from("161122000000Z")), // OCTET STRING
      ];
      const elements = tbsElements(SIM_LEAF);
      // Certificate and TBSCertificate headers are 4 bytes each (long form, two length bytes)
      const validityOffset = 8 + elements.slice(0, 4).reduce((n, e) => n + e.length, 0);
      const header = 2; // validity SEQUENCE header (short form)
      for (const time of bad) {
        for (const [v, offset] of [
          [validity(time, good), validityOffset + header],
          [validity(good, time), validityOffset + header + good.length],
        ] as Array<[Buffer, number]>) {
          await expect(verifier.registerSigningCertificate(buildCertificate({ validity: v })))
            .to.be.revertedWithCustomError(verifier, "CertificateMalformed")
            .withArgs(offset);
        }
      }
    });

    it("a third time in the validity -> CertificateMalformed", async function () {
      const verifier = await loadFixture(simulationFixture);
      const t = utcTime("161122000000Z");
      await expect(
        verifier.registerSigningCertificate(buildCertificate({ validity: tlv(0x30, Buffer.concat([t, t, t])) })),
      ).to.be.revertedWithCustomError(verifier, "CertificateMalformed");
    });
  });

  describe("the report-signing profile: extensions (audit F-9)", function () {
    const register = async (extensions: Buffer | null, trailing?: Buffer[]) => {
      const verifier = await loadFixture(simulationFixture);
      const cert = buildCertificate({ extensions, trailing });
      return { verifier, cert, tx: verifier.registerSigningCertificate(cert) };
    };

    it("Intel's and the development IAS leaf carry the profile; a leaf with only it registers", async function () {
      const verifier = await loadFixture(intelFixture);
      await expect(verifier.registerSigningCertificate(INTEL_LEAF)).to.emit(verifier, "SigningKeyRegistered");
      const minimal = await register(extensionsOf(LEAF_KEY_USAGE, NOT_A_CA));
      await expect(minimal.tx).to.emit(minimal.verifier, "SigningKeyRegistered");
      // Either order, with an unknown non-critical extension and a basicConstraints that spells out nothing else.
      const { verifier: v2, tx } = await register(extensionsOf(SUBJECT_KEY_ID, NOT_A_CA, unknownExtension(false), LEAF_KEY_USAGE));
      await expect(tx).to.emit(v2, "SigningKeyRegistered");
    });

    it("keyUsage without digitalSignature, with keyCertSign, or absent -> CertificateKeyUsageInvalid(keyUsage)", async function () {
      for (const [extensions, usage] of [
        [extensionsOf(keyUsage(6, 0x40), NOT_A_CA), 0x4000], // nonRepudiation only
        [extensionsOf(keyUsage(2, 0x84), NOT_A_CA), 0x8400], // digitalSignature | keyCertSign
        [extensionsOf(keyUsage(7, 0x80, 0x80), NOT_A_CA), 0x8080], // decipherOnly in the second byte is allowed...
        [extensionsOf(NOT_A_CA, SUBJECT_KEY_ID), 0], // absent
      ] as Array<[Buffer, number]>) {
        const { verifier, tx } = await register(extensions);
        if (usage === 0x8080) {
          await expect(tx).to.emit(verifier, "SigningKeyRegistered"); // ...it is not keyCertSign
          continue;
        }
        await expect(tx).to.be.revertedWithCustomError(verifier, "CertificateKeyUsageInvalid").withArgs(usage);
      }
    });

    it("basicConstraints with cA TRUE, or absent -> CertificateBasicConstraintsInvalid(present, cA)", async function () {
      for (const [extensions, present, isCa] of [
        [extensionsOf(LEAF_KEY_USAGE, A_CA), true, true],
        [extensionsOf(LEAF_KEY_USAGE, basicConstraints("0101ff020100")), true, true], // with pathLenConstraint 0
        [extensionsOf(LEAF_KEY_USAGE), false, false],
      ] as Array<[Buffer, boolean, boolean]>) {
        const { verifier, tx } = await register(extensions);
        await expect(tx).to.be.revertedWithCustomError(verifier, "CertificateBasicConstraintsInvalid").withArgs(present, isCa);
      }
    });

    it("an unknown critical extension or a repeated keyUsage/basicConstraints -> CertificateExtensionUnsupported(offset)", async function () {
      const critical = unknownExtension(true);
      const secondKeyUsage = keyUsage(6, 0xc0);
      const secondBasicConstraints = basicConstraints("");
      for (const [extensions, culprit] of [
        [extensionsOf(LEAF_KEY_USAGE, critical, NOT_A_CA), critical],
        [extensionsOf(LEAF_KEY_USAGE, NOT_A_CA, secondKeyUsage), secondKeyUsage],
        [extensionsOf(NOT_A_CA, LEAF_KEY_USAGE, secondBasicConstraints), secondBasicConstraints],
      ] as Array<[Buffer, Buffer]>) {
        const { verifier, cert, tx } = await register(extensions);
        // The culprit is the last extension of its kind in the list (a repeat has the same bytes as the first).
        const offset = cert.lastIndexOf(culprit);
        expect(offset).to.be.greaterThan(0);
        await expect(tx).to.be.revertedWithCustomError(verifier, "CertificateExtensionUnsupported").withArgs(offset);
      }
    });

    it("ill-formed extensions -> CertificateMalformed(offset), before any signature or profile check", async function () {
      const falseCritical = Buffer.from(LEAF_KEY_USAGE);
      falseCritical[falseCritical.indexOf(Buffer.from("0101ff", "hex")) + 2] = 0x00; // critical FALSE spelt out
      const cases: Array<[Buffer | null, Buffer[] | undefined, (cert: Buffer) => number]> = [
        [extensionsOf(falseCritical, NOT_A_CA), undefined, (c) => c.indexOf(falseCritical)],
        [extensionsOf(keyUsage(8, 0x80), NOT_A_CA), undefined, (c) => c.indexOf(keyUsage(8, 0x80))], // 8 unused bits
        [extensionsOf(keyUsage(0, 0x80, 0, 0), NOT_A_CA), undefined, (c) => c.indexOf(keyUsage(0, 0x80, 0, 0))], // 3 data bytes
        [extensionsOf(LEAF_KEY_USAGE, basicConstraints("010100")), undefined, (c) => c.indexOf(basicConstraints("010100"))],
        [extensionsOf(LEAF_KEY_USAGE, basicConstraints("0201000101ff")), undefined, (c) => c.indexOf(basicConstraints("0201000101ff"))], // pathLen before cA
        // an empty list: the offset of its SEQUENCE, after the two-byte [3] header
        [tlv(0xa3, tlv(0x30, Buffer.alloc(0))), undefined, (c) => c.indexOf(tlv(0xa3, tlv(0x30, Buffer.alloc(0)))) + 2],
        [extensionsOf(LEAF_KEY_USAGE, NOT_A_CA), [tlv(0x04, Buffer.alloc(1))], (c) => tbsEndOf(c) - 3], // after [3]
        [null, [tlv(0xa4, Buffer.alloc(1))], (c) => tbsEndOf(c) - 3], // an unknown TBS field
      ];
      for (const [extensions, trailing, offsetOf] of cases) {
        const { verifier, cert, tx } = await register(extensions, trailing);
        await expect(tx).to.be.revertedWithCustomError(verifier, "CertificateMalformed").withArgs(offsetOf(cert));
      }
    });
  });

  describe("CA pinning (constructor)", function () {
    it("pins Intel's and the simulation CA and emits CaPinned", async function () {
      for (const ca of [INTEL_CA, SIM_CA]) {
        const verifier = await deploy(ca);
        const modulus = await verifier.caModulus();
        const subject = await verifier.caSubject();
        expect(ethers.getBytes(modulus).length).to.equal(384);
        await expect(verifier.deploymentTransaction())
          .to.emit(verifier, "CaPinned")
          .withArgs(ethers.keccak256(modulus), ethers.keccak256(subject));
      }
    });

    it("refuses a leaf (not self-issued), malformed DER, an RSA-2048 root and a bad self-signature", async function () {
      const factory = await ethers.getContractFactory("IasVerifier");
      const [admin] = await ethers.getSigners();
      await expect(factory.deploy(INTEL_LEAF, admin.address, 0)).to.be.revertedWithCustomError(factory, "CertificateIssuerMismatch");
      await expect(factory.deploy("0x0102", admin.address, 0))
        .to.be.revertedWithCustomError(factory, "CertificateMalformed")
        .withArgs(0);
      const { info, key } = rsaKeyInfo(2048);
      const root2048 = buildCertificate({ base: SIM_CA, keyInfo: info, signer: key });
      await expect(factory.deploy(root2048, admin.address, 0)).to.be.revertedWithCustomError(factory, "CertificateKeyUnsupported");
      const badSignature = flip(SIM_CA, SIM_CA.length - 10);
      await expect(factory.deploy(badSignature, admin.address, 0)).to.be.revertedWithCustomError(factory, "CertificateSignatureInvalid");
      const sha1Root = buildCertificate({ base: SIM_CA, algorithm: SHA1_WITH_RSA, hash: "sha1" });
      await expect(factory.deploy(sha1Root, admin.address, 0)).to.be.revertedWithCustomError(factory, "CertificateAlgorithmUnsupported");
    });

    it("refuses a CA that is not v3, is no CA by basicConstraints or may not sign certificates (audit F-9)", async function () {
      const factory = await ethers.getContractFactory("IasVerifier");
      const [admin] = await ethers.getSigners();
      const root = (spec: Omit<CertSpec, "base">) => buildCertificate({ base: SIM_CA, ...spec });
      const pinned = await factory.deploy(root({ extensions: extensionsOf(A_CA, CA_KEY_USAGE) }), admin.address, 0);
      await expect(pinned.deploymentTransaction()).to.emit(pinned, "CaPinned");
      await expect(factory.deploy(root({ version: null }), admin.address, 0))
        .to.be.revertedWithCustomError(factory, "CertificateVersionUnsupported")
        .withArgs(1);
      await expect(factory.deploy(root({ extensions: extensionsOf(NOT_A_CA, CA_KEY_USAGE) }), admin.address, 0))
        .to.be.revertedWithCustomError(factory, "CertificateBasicConstraintsInvalid")
        .withArgs(true, false);
      await expect(factory.deploy(root({ extensions: extensionsOf(CA_KEY_USAGE) }), admin.address, 0))
        .to.be.revertedWithCustomError(factory, "CertificateBasicConstraintsInvalid")
        .withArgs(false, false);
      await expect(factory.deploy(root({ extensions: extensionsOf(A_CA, keyUsage(7, 0x80)) }), admin.address, 0))
        .to.be.revertedWithCustomError(factory, "CertificateKeyUsageInvalid")
        .withArgs(0x8000);
      const critical = unknownExtension(true);
      const withCritical = root({ extensions: extensionsOf(A_CA, CA_KEY_USAGE, critical) });
      await expect(factory.deploy(withCritical, admin.address, 0))
        .to.be.revertedWithCustomError(factory, "CertificateExtensionUnsupported")
        .withArgs(withCritical.indexOf(critical));
    });
  });
});
