import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { X509Certificate, createPublicKey, verify as nodeVerify } from "node:crypto";
import {
  DevelopmentIas,
  IasReportVerifier,
  QUOTE_BODY_LENGTH,
  buildSimulationQuoteBody,
  decodeQuoteBody,
  encodeSigningCertificateHeader,
  formatIasTimestamp,
  intelCaDer,
  intelLeafDer,
  keyIdOfCertificate,
  parseSigningCertificateHeader,
  simulationCaDer,
  simulationLeafDer,
  type IasApiVersion,
  type SignQuoteOptions,
} from "../../src/attestation";
import { expectIasError } from "./assertions";
import { iasVectorRoot, loadIasVectors, unixOfIasTimestamp, vectorNamed } from "./iasVectors";

const MRENCLAVE = Uint8Array.from({ length: 32 }, (_, i) => 0xa0 + (i % 16));
const MRSIGNER = Uint8Array.from({ length: 32 }, (_, i) => i);

/** The SignQuoteOptions that describe a real report (read with JSON.parse, independent of our parser). */
function optionsOf(report: Buffer): { quoteBody: Buffer; options: SignQuoteOptions } {
  const j = JSON.parse(report.toString("latin1"));
  return {
    quoteBody: Buffer.from(j.isvEnclaveQuoteBody, "base64"),
    options: {
      id: j.id,
      timestamp: j.timestamp,
      version: (j.version ?? 2) as IasApiVersion,
      status: j.isvEnclaveQuoteStatus,
      nonce: j.nonce,
      epidPseudonym: j.epidPseudonym,
      advisoryURL: j.advisoryURL,
      advisoryIDs: j.advisoryIDs,
      platformInfoBlob: j.platformInfoBlob,
      tcbEvaluationDataNumber: j.tcbEvaluationDataNumber,
    },
  };
}

describe("attestation: development IAS (SIMULATION)", function () {
  const ias = new DevelopmentIas();
  const simulation = IasReportVerifier.forAnchor("simulation", { allowDebug: false });
  const simKey = simulation.registerSigningCertificate(simulationLeafDer());
  const intel = IasReportVerifier.forAnchor("intel");
  const intelKey = intel.registerSigningCertificate(intelLeafDer());

  it("reproduces every real report byte for byte from its fields (Intel's v2..v5 layouts, nonce first, optional fields)", function () {
    const vectors = loadIasVectors();
    expect(vectors.length).to.equal(24);
    for (const v of vectors) {
      const { quoteBody, options } = optionsOf(v.report);
      expect(ias.reportBody(quoteBody, options).toString("latin1"), v.name).to.equal(v.report.toString("latin1"));
    }
  });

  it("emits a v4 report with Intel's key order and formats (id of 128 random bits, microsecond UTC timestamp)", function () {
    const r = ias.attest({ mrenclave: MRENCLAVE, reportData: new Uint8Array(64) }, { nonce: "0123456789abcdef" });
    const text = r.report.toString("latin1");
    const keys = [...text.matchAll(/"([A-Za-z]+)":/g)].map((m) => m[1]);
    expect(keys).to.deep.equal(["nonce", "id", "timestamp", "version", "isvEnclaveQuoteStatus", "isvEnclaveQuoteBody"]);
    // Same order as a real Intel v4 report, minus the fields Intel adds only for non-OK statuses.
    const real = vectorNamed("oasis_2020-05-11_v4").manifest.field_order.filter((k) => !["epidPseudonym", "advisoryURL", "advisoryIDs"].includes(k));
    expect(keys).to.deep.equal(real);
    const j = JSON.parse(text);
    expect(j.id).to.match(/^\d{1,39}$/);
    expect(BigInt(j.id) < 2n ** 128n).to.equal(true);
    expect(j.timestamp).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    expect(Math.abs(Date.parse(j.timestamp.slice(0, 23) + "Z") - Date.now())).to.be.lessThan(60_000);
    expect(j.version).to.equal(4);
    expect(text).to.not.match(/\s/);
    expect(r.signatureBase64).to.equal(r.signature.toString("base64"));
    expect(r.signature.length).to.equal(256);
  });

  it("signs with RSA-2048 PKCS#1 v1.5 SHA-256 under the SIMULATION leaf (checked with OpenSSL)", function () {
    const r = ias.attest({ mrenclave: MRENCLAVE, reportData: new Uint8Array(64) });
    const leafKey = new X509Certificate(r.certificates.leaf).publicKey;
    expect(nodeVerify("sha256", r.report, leafKey, r.signature)).to.equal(true);
    const crafted = Buffer.from('{"anything":"at all"}');
    expect(nodeVerify("sha256", crafted, createPublicKey(leafKey.export({ format: "pem", type: "spki" })), ias.signBody(crafted))).to.equal(true);
  });

  it("its reports verify under the SIMULATION CA and yield the quote it was given", function () {
    const reportData = Uint8Array.from({ length: 52 }, (_, i) => 255 - i);
    const r = ias.attest({ mrenclave: MRENCLAVE, mrsigner: MRSIGNER, isvProdId: 0x1234, isvSvn: 0xbeef, reportData }, { timestamp: "2030-02-03T04:05:06.070809" });
    const v = simulation.verifyReport(r.keyId, r.report, r.signature);
    expect(v.mrenclave).to.equal("0x" + Buffer.from(MRENCLAVE).toString("hex"));
    expect(v.mrsigner).to.equal("0x" + Buffer.from(MRSIGNER).toString("hex"));
    expect([v.isvProdId, v.isvSvn, v.debug, v.version, v.status]).to.deep.equal([0x1234, 0xbeef, false, 4, "OK"]);
    expect(v.reportData).to.equal("0x" + Buffer.from(reportData).toString("hex") + "00".repeat(12));
    expect(v.timestamp).to.equal(unixOfIasTimestamp("2030-02-03T04:05:06"));
    expect(r.keyId).to.equal(simKey.keyId);
  });

  it("every API version it emits verifies and reports its version", function () {
    for (const version of [2, 3, 4, 5] as const) {
      const r = ias.attest({ mrenclave: MRENCLAVE, reportData: new Uint8Array(64) }, { version });
      expect(simulation.verifyReport(r.keyId, r.report, r.signature).version).to.equal(version);
    }
  });

  it("can never pass a verifier pinned to Intel's CA", function () {
    const r = ias.attest({ mrenclave: MRENCLAVE, reportData: new Uint8Array(64) });
    // Its certificate is not issued by Intel's CA ...
    expectIasError(() => intel.registerSigningCertificate(r.certificates.leaf), "CertificateIssuerMismatch");
    // ... so its key id is never registered there ...
    expectIasError(() => intel.verifyReport(r.keyId, r.report, r.signature), "SigningKeyNotRegistered", [r.keyId]);
    // ... and the signature does not verify under Intel's key.
    expectIasError(() => intel.verifyReport(intelKey.keyId, r.report, r.signature), "ReportSignatureInvalid");
  });

  it("ships the SIMULATION chain as IAS does: leaf, CA, URL-encoded PEM header", function () {
    const { leaf, ca, header } = ias.certificates;
    expect(leaf.equals(simulationLeafDer())).to.equal(true);
    expect(ca.equals(simulationCaDer())).to.equal(true);
    const parsed = parseSigningCertificateHeader(header);
    expect(parsed.leaf.equals(leaf) && parsed.ca!.equals(ca)).to.equal(true);
    expect(new X509Certificate(leaf).checkIssued(new X509Certificate(ca))).to.equal(true);
    expect(new X509Certificate(leaf).subject).to.contain("SIMULATION");
    expect(ias.keyId).to.equal(keyIdOfCertificate(leaf));
    // Intel's real header, re-encoded by the same function, is byte-identical.
    const realHeader = fs.readFileSync(path.join(iasVectorRoot(), "certs", "x-iasreport-signing-certificate.urlencoded.txt"), "utf8");
    expect(encodeSigningCertificateHeader([intelLeafDer(), intelCaDer()])).to.equal(realHeader);
  });

  it("builds quote bodies with Intel's layout", function () {
    const body = buildSimulationQuoteBody({ mrenclave: MRENCLAVE, mrsigner: MRSIGNER, isvProdId: 1, isvSvn: 2, debug: true, reportData: new Uint8Array(64).fill(7) });
    expect(body.length).to.equal(QUOTE_BODY_LENGTH);
    const q = decodeQuoteBody(body);
    expect(q.debug).to.equal(true);
    expect(q.flags).to.equal(0x07n);
    expect(Buffer.from(body.subarray(112, 144)).equals(Buffer.from(MRENCLAVE))).to.equal(true);
    expect(Buffer.from(body.subarray(176, 208)).equals(Buffer.from(MRSIGNER))).to.equal(true);
    expect([body[304], body[305], body[306], body[307]]).to.deep.equal([1, 0, 2, 0]);
    expect(body[96]).to.equal(0x07);
    expect(decodeQuoteBody(buildSimulationQuoteBody({ mrenclave: MRENCLAVE, reportData: new Uint8Array(0) })).debug).to.equal(false);
  });

  it("refuses inputs it could not encode as IAS does", function () {
    const body = buildSimulationQuoteBody({ mrenclave: MRENCLAVE, reportData: new Uint8Array(64) });
    expect(() => buildSimulationQuoteBody({ mrenclave: new Uint8Array(31), reportData: new Uint8Array(0) })).to.throw(RangeError, /mrenclave/);
    expect(() => buildSimulationQuoteBody({ mrenclave: MRENCLAVE, reportData: new Uint8Array(65) })).to.throw(RangeError, /reportData/);
    expect(() => buildSimulationQuoteBody({ mrenclave: MRENCLAVE, isvSvn: 0x10000, reportData: new Uint8Array(0) })).to.throw(RangeError, /isvSvn/);
    expect(() => ias.signQuote(body.subarray(1))).to.throw(RangeError, /432/);
    expect(() => ias.signQuote(body, { status: 'OK","x":"' })).to.throw(RangeError, /status/);
    expect(() => ias.signQuote(body, { nonce: "x".repeat(33) })).to.throw(RangeError, /nonce/);
    expect(() => ias.signQuote(body, { nonce: 'a"b' })).to.throw(RangeError, /nonce/);
    expect(() => ias.signQuote(body, { timestamp: "2020-01-01 00:00:00" })).to.throw(RangeError, /timestamp/);
    expect(() => ias.signQuote(body, { version: 6 as IasApiVersion })).to.throw(RangeError, /version/);
    expect(formatIasTimestamp(new Date(Date.UTC(2024, 5, 15, 14, 54, 5, 76)))).to.equal("2024-06-15T14:54:05.076000");
  });
});
