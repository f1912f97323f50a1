import { expect } from "chai";
import {
  DevelopmentIas,
  IasReportVerifier,
  buildSimulationQuoteBody,
  intelLeafDer,
  keccakHex,
  simulationLeafDer,
  verifyReport,
  type SigningKey,
  type VerificationPolicy,
} from "../../src/attestation";
import { expectIasError } from "./assertions";
import { ALL_VECTOR_STATUSES, intelSignedVectors, unixOfIasTimestamp, vectorNamed } from "./iasVectors";

const MRENCLAVE = new Uint8Array(32).fill(0xab);
const MRENCLAVE_HEX = "0x" + "ab".repeat(32);
const REPORT_DATA = Uint8Array.from({ length: 64 }, (_, i) => i);

describe("attestation: TypeScript IAS verifier", function () {
  const intel = IasReportVerifier.forAnchor("intel");
  const intelKey = intel.registerSigningCertificate(intelLeafDer());
  const simulation = IasReportVerifier.forAnchor("simulation");
  const simKey = simulation.registerSigningCertificate(simulationLeafDer());
  const ias = new DevelopmentIas();
  const permissive: VerificationPolicy = { allowedStatuses: ALL_VECTOR_STATUSES, allowDebug: true };

  describe("real Intel-signed vectors", function () {
    const vectors = intelSignedVectors();

    it("covers the 22 Intel-signed reports of the vector set", function () {
      expect(vectors.length).to.equal(22);
    });

    for (const v of vectors) {
      it(`${v.name}: verifies and yields the manifest's quote fields`, function () {
        const m = v.manifest;
        const r = verifyReport(intelKey.keyId, v.report, v.signature, intelKey, { allowedStatuses: [m.isvEnclaveQuoteStatus], allowDebug: m.debug });
        expect(r.mrenclave).to.equal("0x" + m.mrenclave_off112);
        expect(r.mrsigner).to.equal("0x" + m.mrsigner_off176);
        expect(r.isvProdId).to.equal(m.isv_prod_id_off304);
        expect(r.isvSvn).to.equal(m.isv_svn_off306);
        expect(r.reportData).to.equal("0x" + m.report_data_off368);
        expect(r.debug).to.equal(m.debug);
        expect(r.version).to.equal(m.version ?? 2);
        expect(r.status).to.equal(m.isvEnclaveQuoteStatus);
        expect(r.statusHash).to.equal(keccakHex(m.isvEnclaveQuoteStatus));
        expect(r.id).to.equal(m.id);
        expect(r.timestampText).to.equal(m.timestamp);
        expect(r.timestamp).to.equal(unixOfIasTimestamp(m.timestamp));
      });
    }

    it("rejects every non-OK vector under the default policy with QuoteStatusNotAllowed(status)", function () {
      for (const v of vectors.filter((x) => x.manifest.isvEnclaveQuoteStatus !== "OK")) {
        expectIasError(() => intel.verifyReport(intelKey.keyId, v.report, v.signature), "QuoteStatusNotAllowed", [v.manifest.isvEnclaveQuoteStatus]);
      }
    });

    it("rejects the OK but DEBUG PowersOfTau enclave unless debug is allowed", function () {
      const v = vectorNamed("powersoftau_");
      expectIasError(() => verifyReport(intelKey.keyId, v.report, v.signature, intelKey), "DebugEnclaveNotAllowed", ["0x" + v.manifest.mrenclave_off112]);
      expect(verifyReport(intelKey.keyId, v.report, v.signature, intelKey, { allowDebug: true }).status).to.equal("OK");
    });

    it("rejects the NEGATIVE vector (bad signature) with ReportSignatureInvalid", function () {
      const v = vectorNamed("NEGATIVE_");
      expectIasError(() => verifyReport(intelKey.keyId, v.report, v.signature, intelKey, permissive), "ReportSignatureInvalid");
    });

    it("rejects the test-CA-signed SIMULATION vector under Intel's key", function () {
      const v = vectorNamed("SIMULATION_");
      expectIasError(() => verifyReport(intelKey.keyId, v.report, v.signature, intelKey, permissive), "ReportSignatureInvalid");
    });
  });

  describe("mutation classes (each has its own error)", function () {
    const v = vectorNamed("lcp_2024-06-15T14-54");
    const policy: VerificationPolicy = { allowedStatuses: ["GROUP_OUT_OF_DATE"], allowDebug: true };
    const flip = (b: Uint8Array, i: number) => {
      const c = Buffer.from(b);
      c[i] ^= 0x01;
      return c;
    };

    it("one byte of the report body -> ReportSignatureInvalid", function () {
      expectIasError(() => verifyReport(intelKey.keyId, flip(v.report, 100), v.signature, intelKey, policy), "ReportSignatureInvalid");
    });

    it("one byte of the signature -> ReportSignatureInvalid", function () {
      expectIasError(() => verifyReport(intelKey.keyId, v.report, flip(v.signature, 17), intelKey, policy), "ReportSignatureInvalid");
    });

    it("signature of the wrong length -> SignatureLengthInvalid(length)", function () {
      expectIasError(() => verifyReport(intelKey.keyId, v.report, v.signature.subarray(1), intelKey, policy), "SignatureLengthInvalid", [255n]);
      expectIasError(() => verifyReport(intelKey.keyId, v.report, Buffer.alloc(0), intelKey, policy), "SignatureLengthInvalid", [0n]);
    });

    it("an unregistered key id -> SigningKeyNotRegistered(keyId)", function () {
      expectIasError(() => intel.verifyReport(simKey.keyId, v.report, v.signature), "SigningKeyNotRegistered", [simKey.keyId]);
    });

    it("a denied key -> SigningKeyDenied(keyId), as the contract's denylist; allowed again, it verifies", function () {
      intel.setSigningKeyDenied(intelKey.keyId, true);
      try {
        expectIasError(() => intel.verifyReportWithoutPolicy(intelKey.keyId, v.report, v.signature), "SigningKeyDenied", [intelKey.keyId]);
      } finally {
        intel.setSigningKeyDenied(intelKey.keyId, false);
      }
      expect(intel.verifyReportWithoutPolicy(intelKey.keyId, v.report, v.signature).mrenclave).to.match(/^0x[0-9a-f]{64}$/);
    });

    it("one byte of the quote (inside the base64) -> ReportSignatureInvalid under Intel's key", function () {
      const at = v.report.indexOf("isvEnclaveQuoteBody") + 30;
      expectIasError(() => verifyReport(intelKey.keyId, flip(v.report, at), v.signature, intelKey, policy), "ReportSignatureInvalid");
    });

    it("truncation -> ReportSignatureInvalid; truncated and re-signed -> ReportMalformed(length)", function () {
      const cut = v.report.subarray(0, v.report.length - 10);
      expectIasError(() => verifyReport(intelKey.keyId, cut, v.signature, intelKey, policy), "ReportSignatureInvalid");
      expectIasError(() => verifyReport(simKey.keyId, cut, ias.signBody(cut), simKey, policy), "ReportMalformed", [BigInt(cut.length)]);
    });

    it("reordered keys break Intel's signature; re-signed reordered keys still verify (any key order)", function () {
      const parsed = JSON.parse(v.report.toString("latin1")) as Record<string, unknown>;
      const reordered = Buffer.from(JSON.stringify(Object.fromEntries(Object.entries(parsed).reverse())), "latin1");
      expectIasError(() => verifyReport(intelKey.keyId, reordered, v.signature, intelKey, policy), "ReportSignatureInvalid");
      const r = verifyReport(simKey.keyId, reordered, ias.signBody(reordered), simKey, policy);
      expect(r.mrenclave).to.equal("0x" + v.manifest.mrenclave_off112);
    });

    it("a duplicated key -> ReportFieldDuplicated(field)", function () {
      const body = Buffer.from(v.report.toString("latin1").replace('{"id":', '{"version":4,"id":'), "latin1");
      expectIasError(() => verifyReport(simKey.keyId, body, ias.signBody(body), simKey, policy), "ReportFieldDuplicated", ["version"]);
    });

    it("the wrong certificate: the SIMULATION leaf under Intel's CA -> CertificateIssuerMismatch", function () {
      expectIasError(() => intel.registerSigningCertificate(simulationLeafDer()), "CertificateIssuerMismatch");
      expectIasError(() => simulation.registerSigningCertificate(intelLeafDer()), "CertificateIssuerMismatch");
    });

    it("a report outside the leaf's validity -> ReportOutsideCertificateValidity(t, notBefore, notAfter)", function () {
      for (const ts of ["2016-11-21T23:59:59.999999", "2050-01-01T00:00:00.000000"]) {
        const r = ias.signQuote(buildSimulationQuoteBody({ mrenclave: MRENCLAVE, reportData: REPORT_DATA }), { timestamp: ts });
        expectIasError(() => simulation.verifyReport(r.keyId, r.report, r.signature), "ReportOutsideCertificateValidity", [
          unixOfIasTimestamp(ts),
          simKey.notBefore,
          simKey.notAfter,
        ]);
      }
      // Intel's leaf expired 2026-11-20 09:36:58 UTC: the window is exactly its certificate's.
      expect(intelKey.notAfter).to.equal(unixOfIasTimestamp("2026-11-20T09:36:58"));
      expect(intelKey.notBefore).to.equal(unixOfIasTimestamp("2016-11-22T09:36:58"));
    });

    it("the boundaries of the validity window are inclusive", function () {
      const iso = (s: bigint) => new Date(Number(s) * 1000).toISOString().slice(0, 19);
      for (const t of [simKey.notBefore, simKey.notAfter]) {
        const r = ias.signQuote(buildSimulationQuoteBody({ mrenclave: MRENCLAVE, reportData: REPORT_DATA }), { timestamp: iso(t) });
        expect(simulation.verifyReport(r.keyId, r.report, r.signature).timestamp).to.equal(t);
      }
    });

    it("a DEBUG enclave -> DebugEnclaveNotAllowed(mrenclave)", function () {
      const r = ias.attest({ mrenclave: MRENCLAVE, reportData: REPORT_DATA, debug: true });
      expectIasError(() => simulation.verifyReport(r.keyId, r.report, r.signature), "DebugEnclaveNotAllowed", [MRENCLAVE_HEX]);
    });

    it("a disallowed status -> QuoteStatusNotAllowed(status)", function () {
      const r = ias.attest({ mrenclave: MRENCLAVE, reportData: REPORT_DATA }, { status: "GROUP_REVOKED" });
      expectIasError(() => simulation.verifyReport(r.keyId, r.report, r.signature), "QuoteStatusNotAllowed", ["GROUP_REVOKED"]);
    });

    it("a wrong MRENCLAVE -> MrenclaveNotAllowed(mrenclave)", function () {
      const r = ias.attest({ mrenclave: MRENCLAVE, reportData: REPORT_DATA });
      const p: VerificationPolicy = { allowedMrenclaves: ["0x" + "cd".repeat(32)] };
      expectIasError(() => verifyReport(r.keyId, r.report, r.signature, simKey, p), "MrenclaveNotAllowed", [MRENCLAVE_HEX]);
      expect(verifyReport(r.keyId, r.report, r.signature, simKey, { allowedMrenclaves: [MRENCLAVE_HEX.toUpperCase().replace("0X", "0x")] }).mrenclave).to.equal(MRENCLAVE_HEX);
    });
  });

  describe("policy (step 8) in the contract's order", function () {
    const key: SigningKey = simKey;
    const mrsigner = new Uint8Array(32).fill(0x5e);
    const signed = ias.attest({ mrenclave: MRENCLAVE, mrsigner, isvProdId: 7, isvSvn: 3, reportData: REPORT_DATA, debug: true }, {
      status: "SW_HARDENING_NEEDED",
      timestamp: "2025-01-01T00:00:00.000000",
    });
    const t = unixOfIasTimestamp("2025-01-01T00:00:00");
    const verify = (p: VerificationPolicy, now?: bigint) => verifyReport(key.keyId, signed.report, signed.signature, key, p, now);

    it("ReportTooOld first, then status, debug, MRENCLAVE, MRSIGNER, ISVPRODID, ISVSVN", function () {
      const all: VerificationPolicy = {
        maxReportAge: 60,
        allowedMrenclaves: [],
        signer: { mrsigner: "0x" + "00".repeat(32), isvProdId: 8, minIsvSvn: 4 },
      };
      expectIasError(() => verify(all, t + 61n), "ReportTooOld", [t, 60n, t + 61n]);
      expectIasError(() => verify(all, t + 60n), "QuoteStatusNotAllowed", ["SW_HARDENING_NEEDED"]);
      const s = { ...all, allowedStatuses: ["SW_HARDENING_NEEDED"] };
      expectIasError(() => verify(s, t), "DebugEnclaveNotAllowed", [MRENCLAVE_HEX]);
      const d = { ...s, allowDebug: true };
      expectIasError(() => verify(d, t), "MrenclaveNotAllowed", [MRENCLAVE_HEX]);
      const m = { ...d, allowedMrenclaves: [MRENCLAVE_HEX] };
      expectIasError(() => verify(m, t), "MrsignerMismatch", ["0x" + "00".repeat(32), "0x" + "5e".repeat(32)]);
      const sg = { ...m, signer: { mrsigner: "0x" + "5e".repeat(32), isvProdId: 8, minIsvSvn: 4 } };
      expectIasError(() => verify(sg, t), "IsvProdIdMismatch", [8n, 7n]);
      const pid = { ...sg, signer: { ...sg.signer, isvProdId: 7 } };
      expectIasError(() => verify(pid, t), "IsvSvnTooLow", [4n, 3n]);
      const ok = verify({ ...pid, signer: { ...pid.signer, minIsvSvn: 3 } }, t + 60n);
      expect([ok.isvProdId, ok.isvSvn, ok.mrsigner]).to.deep.equal([7, 3, "0x" + "5e".repeat(32)]);
    });

    it("a report from the future is not too old; maxReportAge 0 is off", function () {
      expect(verify({ maxReportAge: 1, allowedStatuses: ["SW_HARDENING_NEEDED"], allowDebug: true }, t - 100n).timestamp).to.equal(t);
      expect(verify({ maxReportAge: 0, allowedStatuses: ["SW_HARDENING_NEEDED"], allowDebug: true }, t + 10n ** 9n).timestamp).to.equal(t);
    });
  });
});
