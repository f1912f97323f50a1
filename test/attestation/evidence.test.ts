import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { getBytes, hexlify, keccak256, randomBytes } from "ethers";
import {
  EVIDENCE_KIND,
  EvidenceFormatError,
  IAS_EVIDENCE_REPORT_OFFSET,
  decodeIasEvidence,
  encodeIasEvidence,
  evidenceKindName,
} from "../../src/attestation/evidence";
import { EnclaveKeys } from "../group/helpers/enclaveKeys";
import { MRENCLAVE_V1, simulationGroupFixture } from "../group/helpers/fixtures";

describe("attestation: join evidence (IEnclaveVerifier)", function () {
  describe("IAS evidence layout (keyId ‖ signature ‖ report)", function () {
    const parts = { keyId: keccak256("0x01"), signature: randomBytes(256), report: randomBytes(700) };

    it("encodes and decodes back to the same parts", function () {
      const encoded = getBytes(encodeIasEvidence(parts));
      expect(encoded.length).to.equal(IAS_EVIDENCE_REPORT_OFFSET + 700);
      expect(hexlify(encoded.subarray(0, 32))).to.equal(parts.keyId);
      const decoded = decodeIasEvidence(encoded);
      expect(decoded.keyId).to.equal(parts.keyId);
      expect(hexlify(decoded.signature)).to.equal(hexlify(parts.signature));
      expect(hexlify(decoded.report)).to.equal(hexlify(parts.report));
    });

    it("refuses parts it cannot lay out, and evidence shorter than its fixed part", function () {
      expect(() => encodeIasEvidence({ ...parts, keyId: "0x01" })).to.throw(EvidenceFormatError, "an IAS key id is 32 bytes, got 1");
      expect(() => encodeIasEvidence({ ...parts, signature: randomBytes(255) })).to.throw(EvidenceFormatError, "signature is 256 bytes, got 255");
      expect(() => encodeIasEvidence({ ...parts, report: new Uint8Array() })).to.throw(EvidenceFormatError, "the IAS report is empty");
      expect(() => decodeIasEvidence(randomBytes(287))).to.throw(EvidenceFormatError, "IAS evidence is 287 bytes, shorter than keyId and signature (288)");
    });

    it("names the kinds IEnclaveVerifier.evidenceKind() answers", function () {
      expect(evidenceKindName(1)).to.equal("ias");
      expect(evidenceKindName(2n)).to.equal("dcap");
      expect(EVIDENCE_KIND).to.deep.equal({ ias: 1, dcap: 2 });
      expect(() => evidenceKindName(3)).to.throw(EvidenceFormatError, "unknown evidence kind 3");
    });
  });

  describe("IasVerifier.verifyEvidence", function () {
    it("is verifyReport on the evidence's parts: same verdict, the report's MRENCLAVE and REPORTDATA", async function () {
      const f = await loadFixture(simulationGroupFixture);
      const enclave = new EnclaveKeys();
      const signed = enclave.attest(f.ias, { mrenclave: MRENCLAVE_V1, timestamp: new Date((await time.latest()) * 1000) });
      expect(await f.verifier.evidenceKind()).to.equal(1n);
      const viaReport = await f.verifier.verifyReport(signed.keyId, signed.report, signed.signature);
      const attested = await f.verifier.verifyEvidence(encodeIasEvidence(signed));
      expect(attested.mrenclave).to.equal(MRENCLAVE_V1);
      expect(attested.mrenclave).to.equal(viaReport.mrenclave);
      expect(attested.reportDataLow).to.equal(viaReport.reportDataLow);
      expect(attested.reportDataHigh).to.equal(viaReport.reportDataHigh);
      expect(attested.reportDataLow + attested.reportDataHigh.slice(2)).to.equal(hexlify(enclave.reportData()));
    });

    it("applies the policy: a DEBUG enclave's evidence is refused as verifyReport refuses it", async function () {
      const f = await loadFixture(simulationGroupFixture);
      const signed = new EnclaveKeys().attest(f.ias, { mrenclave: MRENCLAVE_V1, debug: true, timestamp: new Date((await time.latest()) * 1000) });
      await expect(f.verifier.verifyReport(signed.keyId, signed.report, signed.signature)).to.be.revertedWithCustomError(f.verifier, "DebugEnclaveNotAllowed");
      await expect(f.verifier.verifyEvidence(encodeIasEvidence(signed))).to.be.revertedWithCustomError(f.verifier, "DebugEnclaveNotAllowed");
    });

    it("refuses evidence shorter than keyId and signature, and a signature moved by one byte", async function () {
      const f = await loadFixture(simulationGroupFixture);
      const signed = new EnclaveKeys().attest(f.ias, { mrenclave: MRENCLAVE_V1, timestamp: new Date((await time.latest()) * 1000) });
      const evidence = getBytes(encodeIasEvidence(signed));
      await expect(f.verifier.verifyEvidence(evidence.slice(0, 32))).to.be.revertedWithCustomError(f.verifier, "EvidenceTooShort").withArgs(32n, 288n);
      // One byte dropped inside the signature shifts the report into the signature: the signature no longer verifies.
      const shifted = new Uint8Array(evidence.length - 1);
      shifted.set(evidence.subarray(0, 100), 0);
      shifted.set(evidence.subarray(101), 100);
      await expect(f.verifier.verifyEvidence(shifted)).to.be.revertedWithCustomError(f.verifier, "ReportSignatureInvalid");
    });
  });
});
