import { expect } from "chai";
import { X509Certificate } from "node:crypto";
import { keccak_256 } from "@noble/hashes/sha3.js";
import {
  checkSigningCertificate,
  describeCertificate,
  intelCaDer,
  intelLeafDer,
  keyIdOf,
  parseCertificate,
  parseSigningCertificateHeader,
  pinCa,
  readCertificateInput,
  rsaPkcs1Sha256Verify,
  rsaPublicKeyOf,
  simulationCaDer,
  simulationLeafDer,
} from "../../src/attestation";
import { expectIasError } from "./assertions";
import { derTlv, generatedCertificates, resignWithSimulationCa, tbsSpan, withTbsTail } from "./certificates";
import fs from "node:fs";
import path from "node:path";
import { createPrivateKey, constants, privateEncrypt, createHash } from "node:crypto";
import { attestationAssetPath, SIMULATION_LEAF_KEY_FILE } from "../../src/attestation";
import { iasVectorRoot } from "./iasVectors";

function unix(date: string): bigint {
  return BigInt(Math.floor(new Date(date).getTime() / 1000));
}

describe("attestation: certificates under a pinned CA", function () {
  this.timeout(120_000);
  const intelCa = pinCa(intelCaDer());
  const simCa = pinCa(simulationCaDer());

  it("pins both CAs: RSA-3072, exponent 65537, subject and modulus as OpenSSL reads them", function () {
    for (const [pinned, der] of [[intelCa, intelCaDer()], [simCa, simulationCaDer()]] as const) {
      const x = new X509Certificate(der);
      const key = rsaPublicKeyOf(x);
      expect(key.bits).to.equal(3072);
      expect(Buffer.from(pinned.modulus).equals(Buffer.from(key.modulus))).to.equal(true);
      expect(Buffer.from(pinned.exponent).toString("hex")).to.equal("010001");
      expect(x.verify(x.publicKey)).to.equal(true);
    }
  });

  it("accepts Intel's leaf under Intel's CA with the validity and key OpenSSL reads", function () {
    const key = checkSigningCertificate(intelLeafDer(), intelCa);
    const x = new X509Certificate(intelLeafDer());
    expect(x.verify(new X509Certificate(intelCaDer()).publicKey)).to.equal(true);
    expect(key.notBefore).to.equal(unix(x.validFrom));
    expect(key.notAfter).to.equal(unix(x.validTo));
    expect(key.notAfter).to.equal(unix("2026-11-20T09:36:58Z"));
    expect(Buffer.from(key.modulus).equals(Buffer.from(rsaPublicKeyOf(x).modulus))).to.equal(true);
    // keyId = keccak256(modulus without DER's leading zero), and equals the modulus file of the vectors.
    const modulusHex = fs.readFileSync(path.join(iasVectorRoot(), "certs", "intel_sgx_attestation_report_signing_leaf_modulus.hex"), "utf8").trim().replace(/^00/, "");
    expect(Buffer.from(key.modulus).toString("hex")).to.equal(modulusHex.toLowerCase());
    expect(key.keyId).to.equal("0x" + Buffer.from(keccak_256(Buffer.from(modulusHex, "hex"))).toString("hex"));
    expect(keyIdOf(Buffer.concat([Buffer.from([0]), Buffer.from(key.modulus)]))).to.equal(key.keyId);
    expect(describeCertificate(intelLeafDer()).subject).to.contain("Intel SGX Attestation Report Signing");
  });

  it("reads the profile OpenSSL reads: X.509 v3, keyUsage and basicConstraints of both pairs (audit F-9)", function () {
    for (const [der, usage, isCa] of [
      [intelCaDer(), 0x0600, true], // keyCertSign | cRLSign
      [simulationCaDer(), 0x0600, true],
      [intelLeafDer(), 0xc000, false], // digitalSignature | nonRepudiation
      [simulationLeafDer(), 0xc000, false],
    ] as const) {
      const parsed = parseCertificate(der);
      expect(parsed.version).to.equal(3);
      expect(parsed.extensions).to.deep.equal({ keyUsagePresent: true, keyUsage: usage, basicConstraintsPresent: true, isCa, unsupportedAt: undefined });
      expect(new X509Certificate(der).ca).to.equal(isCa);
    }
  });

  it("refuses certificates outside the profile with the contract's errors and arguments (audit F-9)", function () {
    const ext = (oid: string, value: string) => derTlv(0x30, Buffer.concat([derTlv(0x06, Buffer.from(oid, "hex")), Buffer.from("0101ff", "hex"), derTlv(0x04, Buffer.from(value, "hex"))]));
    const list = (...e: Buffer[]) => derTlv(0xa3, derTlv(0x30, Buffer.concat(e)));
    const v3 = Buffer.from("a003020102", "hex");
    const usage = ext("551d0f", "030206c0");
    const notCa = ext("551d13", "3000");
    const leaf = (version: Buffer | null, ...tail: Buffer[]) => withTbsTail(Buffer.from(simulationLeafDer()), version, tail);
    expect(checkSigningCertificate(leaf(v3, list(usage, notCa)), simCa).keyId).to.match(/^0x[0-9a-f]{64}$/);
    expectIasError(() => checkSigningCertificate(leaf(null, list(usage, notCa)), simCa), "CertificateVersionUnsupported", [1n]);
    expectIasError(() => checkSigningCertificate(leaf(v3), simCa), "CertificateKeyUsageInvalid", [0n]);
    expectIasError(() => checkSigningCertificate(leaf(v3, list(ext("551d0f", "03020284"), notCa)), simCa), "CertificateKeyUsageInvalid", [0x8400n]);
    expectIasError(() => checkSigningCertificate(leaf(v3, list(usage)), simCa), "CertificateBasicConstraintsInvalid", [false, false]);
    expectIasError(() => checkSigningCertificate(leaf(v3, list(usage, ext("551d13", "30030101ff"))), simCa), "CertificateBasicConstraintsInvalid", [true, true]);
    const critical = ext("551d63", "0500");
    const withCritical = leaf(v3, list(usage, critical, notCa));
    expectIasError(() => checkSigningCertificate(withCritical, simCa), "CertificateExtensionUnsupported", [BigInt(withCritical.indexOf(critical))]);
    // A broken TLV inside an Extension is that Extension's fault: one offset per malformed Extension.
    const broken = ext("551d0f", "0303");
    const withBroken = leaf(v3, list(broken, notCa));
    expectIasError(() => checkSigningCertificate(withBroken, simCa), "CertificateMalformed", [BigInt(withBroken.indexOf(broken))]);
  });

  it("accepts the SIMULATION leaf only under the SIMULATION CA", function () {
    const key = checkSigningCertificate(simulationLeafDer(), simCa);
    expect(key.notAfter).to.equal(unix("2049-12-31T23:59:59Z"));
    expectIasError(() => checkSigningCertificate(simulationLeafDer(), intelCa), "CertificateIssuerMismatch");
    expectIasError(() => checkSigningCertificate(intelLeafDer(), simCa), "CertificateIssuerMismatch");
  });

  it("parses GeneralizedTime validity (after 2049) in leaves OpenSSL issues", function () {
    const der = generatedCertificates().rsa2048;
    const key = checkSigningCertificate(der, simCa);
    const x = new X509Certificate(der);
    expect(key.notAfter).to.equal(unix(x.validTo));
    expect(key.notAfter > unix("2050-01-01T00:00:00Z")).to.equal(true);
  });

  it("refuses keys other than RSA-2048 with exponent 65537: CertificateKeyUnsupported", function () {
    const g = generatedCertificates();
    for (const der of [g.rsa3072, g.rsa1024, g.rsa2048Exponent3, g.ecP256]) expectIasError(() => checkSigningCertificate(der, simCa), "CertificateKeyUnsupported");
  });

  it("refuses signature algorithms other than sha256WithRSAEncryption: CertificateAlgorithmUnsupported", function () {
    const g = generatedCertificates();
    expectIasError(() => checkSigningCertificate(g.sha384, simCa), "CertificateAlgorithmUnsupported");
    expectIasError(() => checkSigningCertificate(g.rsaPss, simCa), "CertificateAlgorithmUnsupported");
  });

  it("refuses other issuers (CertificateIssuerMismatch) and look-alike issuers (CertificateSignatureInvalid)", function () {
    const g = generatedCertificates();
    expectIasError(() => checkSigningCertificate(g.selfSigned, simCa), "CertificateIssuerMismatch");
    expectIasError(() => checkSigningCertificate(g.lookAlikeIssued, simCa), "CertificateSignatureInvalid");
    const flipped = Buffer.from(intelLeafDer());
    flipped[flipped.length - 10] ^= 1;
    expectIasError(() => checkSigningCertificate(flipped, intelCa), "CertificateSignatureInvalid");
  });

  it("checks the CA signature over the TBS: a re-signed TBS change passes it and is judged by the later rules", function () {
    const der = Buffer.from(simulationLeafDer());
    const { start } = tbsSpan(der);
    const serialByte = start + 4 + 5 + 2; // [0] version (5 bytes), then the serialNumber INTEGER content
    der[serialByte] ^= 0x01;
    expectIasError(() => checkSigningCertificate(der, simCa), "CertificateSignatureInvalid");
    expect(checkSigningCertificate(resignWithSimulationCa(der), simCa).keyId).to.equal(checkSigningCertificate(simulationLeafDer(), simCa).keyId);
  });

  it("reports DER errors with the offset of the element at fault: CertificateMalformed(offset)", function () {
    const leaf = intelLeafDer();
    expectIasError(() => checkSigningCertificate(Buffer.alloc(0), intelCa), "CertificateMalformed", [0n]);
    expectIasError(() => checkSigningCertificate(leaf.subarray(0, 100), intelCa), "CertificateMalformed", [0n]);
    expectIasError(() => checkSigningCertificate(Buffer.concat([leaf, Buffer.from([0])]), intelCa), "CertificateMalformed", [BigInt(leaf.length)]);
    const wrongTag = Buffer.from(leaf);
    wrongTag[4] = 0x31; // TBS as SET
    expectIasError(() => checkSigningCertificate(wrongTag, intelCa), "CertificateMalformed", [4n]);
    const badTime = Buffer.from(leaf);
    badTime[169 + 2] = 0x41; // notBefore UTCTime "A6..." (offsets from `openssl asn1parse`)
    expectIasError(() => checkSigningCertificate(badTime, intelCa), "CertificateMalformed", [169n]);
    const highTag = Buffer.from(leaf);
    highTag[13] = 0x1f; // serialNumber with a high tag number
    expectIasError(() => checkSigningCertificate(highTag, intelCa), "CertificateMalformed", [13n]);
    const longForm = Buffer.from(leaf);
    longForm[1] = 0x83; // three length bytes
    expectIasError(() => checkSigningCertificate(longForm, intelCa), "CertificateMalformed", [0n]);
  });

  it("refuses to pin a CA that is not a self-signed RSA-3072 sha256WithRSAEncryption certificate", function () {
    expectIasError(() => pinCa(intelLeafDer()), "CertificateIssuerMismatch");
    expectIasError(() => pinCa(generatedCertificates().selfSigned), "CertificateKeyUnsupported");
    expectIasError(() => pinCa(Buffer.from("not DER")), "CertificateMalformed", [0n]);
    const badSelfSignature = Buffer.from(intelCaDer());
    badSelfSignature[badSelfSignature.length - 1] ^= 1;
    expectIasError(() => pinCa(badSelfSignature), "CertificateSignatureInvalid");
  });

  it("reads certificates as DER, PEM, PEM chains and the URL-encoded IAS header (leaf then CA)", function () {
    const certs = path.join(iasVectorRoot(), "certs");
    const header = fs.readFileSync(path.join(certs, "x-iasreport-signing-certificate.urlencoded.txt"));
    const chain = parseSigningCertificateHeader(header.toString("latin1"));
    expect(chain.leaf.equals(intelLeafDer()) && chain.ca!.equals(intelCaDer())).to.equal(true);
    expect(readCertificateInput(header).leaf.equals(intelLeafDer())).to.equal(true);
    expect(readCertificateInput(fs.readFileSync(path.join(certs, "intel_sgx_attestation_report_signing_leaf.pem"))).leaf.equals(intelLeafDer())).to.equal(true);
    expect(readCertificateInput(intelLeafDer()).leaf.equals(intelLeafDer())).to.equal(true);
    expect(() => parseSigningCertificateHeader("%E0%A4%A")).to.throw(/URL encoding/);
    expect(() => parseSigningCertificateHeader("nothing")).to.throw(/no PEM certificate/);
  });

  describe("RSA PKCS#1 v1.5 SHA-256 with OpenZeppelin's acceptance rules", function () {
    const key = createPrivateKey(fs.readFileSync(attestationAssetPath(SIMULATION_LEAF_KEY_FILE)));
    const leaf = checkSigningCertificate(simulationLeafDer(), simCa);
    const message = Buffer.from("report bytes");
    const digest = createHash("sha256").update(message).digest();
    const rawSign = (digestInfoHex: string) => {
      const t = Buffer.concat([Buffer.from(digestInfoHex, "hex"), digest]);
      const em = Buffer.concat([Buffer.from([0, 1]), Buffer.alloc(256 - t.length - 3, 0xff), Buffer.from([0]), t]);
      return privateEncrypt({ key, padding: constants.RSA_NO_PADDING }, em);
    };

    it("accepts DigestInfo with explicit NULL parameters (what OpenSSL produces)", function () {
      expect(rsaPkcs1Sha256Verify(message, rawSign("3031300d060960864801650304020105000420"), leaf.modulus, leaf.exponent)).to.equal(true);
    });

    it("accepts DigestInfo with absent parameters, as OpenZeppelin's RSA.pkcs1Sha256 does", function () {
      expect(rsaPkcs1Sha256Verify(message, rawSign("302f300b0609608648016503040201" + "0420"), leaf.modulus, leaf.exponent)).to.equal(true);
    });

    it("refuses other digests, a signature >= n, and a wrong length", function () {
      expect(rsaPkcs1Sha256Verify(message, rawSign("3041300d060960864801650304020205000430"), leaf.modulus, leaf.exponent)).to.equal(false);
      expect(rsaPkcs1Sha256Verify(message, Buffer.from(leaf.modulus), leaf.modulus, leaf.exponent)).to.equal(false);
      expect(rsaPkcs1Sha256Verify(message, Buffer.alloc(255, 1), leaf.modulus, leaf.exponent)).to.equal(false);
    });
  });
});
