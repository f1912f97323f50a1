import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { vectorDir } from "../helpers/vectors";

// Policy (step 8 of docs/attestation-onchain.md) on real Intel reports, the POLICY_ROLE setters and
// their events, and the two-step admin transfer of AccessControlDefaultAdminRules.

const REPO = path.resolve(__dirname, "..", "..");
const IAS = vectorDir("ias");
const INTEL_CA = fs.readFileSync(path.join(REPO, "src/attestation/certs/intel_sgx_attestation_report_signing_ca.der"));
const INTEL_LEAF = fs.readFileSync(path.join(REPO, "src/attestation/certs/intel_sgx_attestation_report_signing_leaf.der"));
const ADMIN_DELAY = 3 * 24 * 3600;

interface Entry {
  dir: string;
  timestamp: string;
  isvEnclaveQuoteStatus: string;
  mrenclave_off112: string;
  mrsigner_off176: string;
  isv_prod_id_off304: number;
  isv_svn_off306: number;
  debug: boolean;
}
const manifest: Entry[] = JSON.parse(fs.readFileSync(path.join(IAS, "manifest.json"), "utf8"));
const byDir = (dir: string) => {
  const e = manifest.find((m) => m.dir === dir)!;
  return {
    ...e,
    mrenclave: "0x" + e.mrenclave_off112,
    mrsigner: "0x" + e.mrsigner_off176,
    t: BigInt(Date.parse(e.timestamp.slice(0, 19) + "Z") / 1000),
    report: fs.readFileSync(path.join(IAS, dir, "report.json")),
    signature: fs.readFileSync(path.join(IAS, dir, "signature.bin")),
  };
};
// A production (non-debug) enclave with status SW_HARDENING_NEEDED, and a DEBUG enclave with status OK.
const PRODUCTION = byDir("rave_2023-02-15_v4_SW_HARDENING_NEEDED");
const DEBUG = byDir("powersoftau_2019-11-16_v3_OK");

async function fixture() {
  const [admin, other, next] = await ethers.getSigners();
  const verifier = await (await ethers.getContractFactory("IasVerifier")).deploy(INTEL_CA, admin.address, ADMIN_DELAY);
  const keyId = await verifier.registerSigningCertificate.staticCall(INTEL_LEAF);
  await (await verifier.registerSigningCertificate(INTEL_LEAF)).wait();
  return { verifier, keyId, admin, other, next };
}

describe("IasVerifier: policy and access control (contract)", function () {
  describe("defaults", function () {
    it("only OK allowed, debug refused, MRENCLAVE check on with an empty allowlist, signer check off, no max age", async function () {
      const { verifier, admin } = await loadFixture(fixture);
      const p = await verifier.policy();
      expect([p.debugAllowed, p.mrenclaveCheck, p.signerCheck, p.isvProdId, p.minIsvSvn, p.maxReportAge, p.deniedSigningKeys, p.mrsigner]).to.deep.equal([
        false, true, false, 0n, 0n, 0n, 0n, ethers.ZeroHash,
      ]);
      expect(await verifier.isQuoteStatusAllowed("OK")).to.equal(true);
      for (const s of ["GROUP_OUT_OF_DATE", "SW_HARDENING_NEEDED", "ok", "OK "]) expect(await verifier.isQuoteStatusAllowed(s)).to.equal(false);
      expect(await verifier.isMrenclaveAllowed(DEBUG.mrenclave)).to.equal(false);
      expect(await verifier.hasRole(await verifier.POLICY_ROLE(), admin.address)).to.equal(true);
      expect(await verifier.defaultAdmin()).to.equal(admin.address);
    });

    it("the constructor emits the default policy's events", async function () {
      const { verifier } = await loadFixture(fixture);
      const tx = verifier.deploymentTransaction()!;
      await expect(tx).to.emit(verifier, "QuoteStatusAllowedSet").withArgs(ethers.id("OK"), "OK", true);
      await expect(tx).to.emit(verifier, "MrenclaveCheckSet").withArgs(true);
    });
  });

  describe("checks, in order", function () {
    it("QuoteStatusNotAllowed, then MrenclaveNotAllowed, then success (production enclave)", async function () {
      const { verifier, keyId } = await loadFixture(fixture);
      const { report, signature } = PRODUCTION;
      await expect(verifier.verifyReport(keyId, report, signature))
        .to.be.revertedWithCustomError(verifier, "QuoteStatusNotAllowed")
        .withArgs("SW_HARDENING_NEEDED");
      await verifier.setQuoteStatusAllowed("SW_HARDENING_NEEDED", true);
      await expect(verifier.verifyReport(keyId, report, signature))
        .to.be.revertedWithCustomError(verifier, "MrenclaveNotAllowed")
        .withArgs(PRODUCTION.mrenclave);
      await verifier.setMrenclaveAllowed(PRODUCTION.mrenclave, true);
      expect((await verifier.verifyReport(keyId, report, signature)).mrenclave).to.equal(PRODUCTION.mrenclave);
      await verifier.setMrenclaveAllowed(PRODUCTION.mrenclave, false);
      await expect(verifier.verifyReport(keyId, report, signature)).to.be.revertedWithCustomError(verifier, "MrenclaveNotAllowed");
      await verifier.setMrenclaveCheck(false);
      expect((await verifier.verifyReport(keyId, report, signature)).debug).to.equal(false);
      await verifier.setQuoteStatusAllowed("SW_HARDENING_NEEDED", false);
      await expect(verifier.verifyReport(keyId, report, signature)).to.be.revertedWithCustomError(verifier, "QuoteStatusNotAllowed");
    });

    it("DebugEnclaveNotAllowed(mrenclave) before the MRENCLAVE check; status before debug", async function () {
      const { verifier, keyId } = await loadFixture(fixture);
      const { report, signature } = DEBUG;
      await expect(verifier.verifyReport(keyId, report, signature))
        .to.be.revertedWithCustomError(verifier, "DebugEnclaveNotAllowed")
        .withArgs(DEBUG.mrenclave);
      await verifier.setQuoteStatusAllowed("OK", false);
      await expect(verifier.verifyReport(keyId, report, signature))
        .to.be.revertedWithCustomError(verifier, "QuoteStatusNotAllowed")
        .withArgs("OK");
      await verifier.setQuoteStatusAllowed("OK", true);
      await verifier.setDebugAllowed(true);
      await expect(verifier.verifyReport(keyId, report, signature))
        .to.be.revertedWithCustomError(verifier, "MrenclaveNotAllowed")
        .withArgs(DEBUG.mrenclave);
      await verifier.setMrenclaveAllowed(DEBUG.mrenclave, true);
      expect((await verifier.verifyReport(keyId, report, signature)).debug).to.equal(true);
    });

    it("signer policy: MrsignerMismatch, IsvProdIdMismatch, IsvSvnTooLow, then success", async function () {
      const { verifier, keyId } = await loadFixture(fixture);
      const { report, signature, mrsigner } = PRODUCTION;
      await verifier.setQuoteStatusAllowed("SW_HARDENING_NEEDED", true);
      await verifier.setMrenclaveAllowed(PRODUCTION.mrenclave, true);
      const prodId = PRODUCTION.isv_prod_id_off304;
      const svn = PRODUCTION.isv_svn_off306;
      const wrongSigner = ethers.keccak256(mrsigner);

      await verifier.setSignerPolicy(true, wrongSigner, prodId, svn);
      await expect(verifier.verifyReport(keyId, report, signature))
        .to.be.revertedWithCustomError(verifier, "MrsignerMismatch")
        .withArgs(wrongSigner, mrsigner);
      await verifier.setSignerPolicy(true, mrsigner, prodId + 1, svn);
      await expect(verifier.verifyReport(keyId, report, signature))
        .to.be.revertedWithCustomError(verifier, "IsvProdIdMismatch")
        .withArgs(prodId + 1, prodId);
      await verifier.setSignerPolicy(true, mrsigner, prodId, svn + 1);
      await expect(verifier.verifyReport(keyId, report, signature))
        .to.be.revertedWithCustomError(verifier, "IsvSvnTooLow")
        .withArgs(svn + 1, svn);
      await verifier.setSignerPolicy(true, mrsigner, prodId, svn);
      expect((await verifier.verifyReport(keyId, report, signature)).mrsigner).to.equal(mrsigner);
      await verifier.setSignerPolicy(false, wrongSigner, 7, 7);
      expect((await verifier.verifyReport(keyId, report, signature)).isvSvn).to.equal(svn);
    });

    it("ReportTooOld(timestamp, maxAge, now) against block.timestamp, checked first", async function () {
      const { verifier, keyId } = await loadFixture(fixture);
      const { report, signature, t } = DEBUG; // also refused by the debug and MRENCLAVE checks
      const maxAge = 3600n;
      await verifier.setMaxReportAge(maxAge);
      const now = BigInt(await time.latest()) + 100n;
      await time.setNextBlockTimestamp(now);
      await expect(verifier.verifyReport.send(keyId, report, signature, { gasLimit: 1_000_000 }))
        .to.be.revertedWithCustomError(verifier, "ReportTooOld")
        .withArgs(t, maxAge, now);
      // an age limit the report meets lets the next check decide
      await verifier.setMaxReportAge(now - t + 1000n);
      await expect(verifier.verifyReport(keyId, report, signature)).to.be.revertedWithCustomError(verifier, "DebugEnclaveNotAllowed");
    });

    it("verifyReportWithoutPolicy ignores every policy check", async function () {
      const { verifier, keyId } = await loadFixture(fixture);
      await verifier.setMaxReportAge(1);
      await verifier.setQuoteStatusAllowed("OK", false);
      await verifier.setSignerPolicy(true, ethers.ZeroHash, 1, 1);
      for (const { report, signature, mrenclave } of [DEBUG, PRODUCTION]) {
        expect((await verifier.verifyReportWithoutPolicy(keyId, report, signature)).mrenclave).to.equal(mrenclave);
      }
    });
  });

  describe("setters", function () {
    it("each setter is POLICY_ROLE only", async function () {
      const { verifier, other } = await loadFixture(fixture);
      const role = await verifier.POLICY_ROLE();
      const v = verifier.connect(other);
      const calls = [
        () => v.setQuoteStatusAllowed("GROUP_OUT_OF_DATE", true),
        () => v.setDebugAllowed(true),
        () => v.setMrenclaveCheck(false),
        () => v.setMrenclaveAllowed(DEBUG.mrenclave, true),
        () => v.setSignerPolicy(true, DEBUG.mrsigner, 1, 2),
        () => v.setMaxReportAge(60),
      ];
      for (const call of calls) {
        await expect(call()).to.be.revertedWithCustomError(verifier, "AccessControlUnauthorizedAccount").withArgs(other.address, role);
      }
      expect(await verifier.isQuoteStatusAllowed("GROUP_OUT_OF_DATE")).to.equal(false);
    });

    it("each setter emits its event and changes the view", async function () {
      const { verifier } = await loadFixture(fixture);
      await expect(verifier.setQuoteStatusAllowed("GROUP_OUT_OF_DATE", true))
        .to.emit(verifier, "QuoteStatusAllowedSet")
        .withArgs(ethers.id("GROUP_OUT_OF_DATE"), "GROUP_OUT_OF_DATE", true);
      expect(await verifier.isQuoteStatusAllowed("GROUP_OUT_OF_DATE")).to.equal(true);
      await expect(verifier.setDebugAllowed(true)).to.emit(verifier, "DebugAllowedSet").withArgs(true);
      await expect(verifier.setMrenclaveCheck(false)).to.emit(verifier, "MrenclaveCheckSet").withArgs(false);
      await expect(verifier.setMrenclaveAllowed(DEBUG.mrenclave, true))
        .to.emit(verifier, "MrenclaveAllowedSet")
        .withArgs(DEBUG.mrenclave, true);
      expect(await verifier.isMrenclaveAllowed(DEBUG.mrenclave)).to.equal(true);
      await expect(verifier.setSignerPolicy(true, DEBUG.mrsigner, 3, 4))
        .to.emit(verifier, "SignerPolicySet")
        .withArgs(true, DEBUG.mrsigner, 3, 4);
      await expect(verifier.setMaxReportAge(86_400)).to.emit(verifier, "MaxReportAgeSet").withArgs(86_400);
      const p = await verifier.policy();
      expect([p.debugAllowed, p.mrenclaveCheck, p.signerCheck, p.isvProdId, p.minIsvSvn, p.maxReportAge, p.deniedSigningKeys, p.mrsigner]).to.deep.equal([
        true, false, true, 3n, 4n, 86_400n, 0n, DEBUG.mrsigner,
      ]);
    });

    it("a setter given the value already stored changes nothing and emits nothing (audit F-9)", async function () {
      const { verifier } = await loadFixture(fixture);
      await expect(verifier.setQuoteStatusAllowed("OK", true)).to.not.emit(verifier, "QuoteStatusAllowedSet");
      await expect(verifier.setDebugAllowed(false)).to.not.emit(verifier, "DebugAllowedSet");
      await expect(verifier.setMrenclaveCheck(true)).to.not.emit(verifier, "MrenclaveCheckSet");
      await expect(verifier.setMrenclaveAllowed(DEBUG.mrenclave, false)).to.not.emit(verifier, "MrenclaveAllowedSet");
      await expect(verifier.setMaxReportAge(0)).to.not.emit(verifier, "MaxReportAgeSet");
      await expect(verifier.setSignerPolicy(true, DEBUG.mrsigner, 3, 4)).to.emit(verifier, "SignerPolicySet");
      await expect(verifier.setSignerPolicy(true, DEBUG.mrsigner, 3, 4)).to.not.emit(verifier, "SignerPolicySet");
      await expect(verifier.setSignerPolicy(true, DEBUG.mrsigner, 3, 5)).to.emit(verifier, "SignerPolicySet").withArgs(true, DEBUG.mrsigner, 3, 5);
    });

    it("a disallow records its time; allowing again clears it", async function () {
      const { verifier } = await loadFixture(fixture);
      expect(await verifier.mrenclaveDisallowedAt(PRODUCTION.mrenclave)).to.equal(0n);
      await verifier.setMrenclaveAllowed(PRODUCTION.mrenclave, true);
      expect(await verifier.mrenclaveDisallowedAt(PRODUCTION.mrenclave)).to.equal(0n);
      await verifier.setMrenclaveAllowed(PRODUCTION.mrenclave, false);
      const at = BigInt(await time.latest());
      expect(await verifier.mrenclaveDisallowedAt(PRODUCTION.mrenclave)).to.equal(at);
      await time.increase(100);
      await verifier.setMrenclaveAllowed(PRODUCTION.mrenclave, false); // unchanged: keeps the first time
      expect(await verifier.mrenclaveDisallowedAt(PRODUCTION.mrenclave)).to.equal(at);
      await verifier.setMrenclaveAllowed(PRODUCTION.mrenclave, true);
      expect(await verifier.mrenclaveDisallowedAt(PRODUCTION.mrenclave)).to.equal(0n);
    });

    it("POLICY_ROLE can be granted by the admin to another account", async function () {
      const { verifier, other } = await loadFixture(fixture);
      await verifier.grantRole(await verifier.POLICY_ROLE(), other.address);
      await expect(verifier.connect(other).setDebugAllowed(true)).to.emit(verifier, "DebugAllowedSet").withArgs(true);
    });
  });

  describe("admin transfer (two-step, delayed)", function () {
    it("begin, wait the delay, accept; direct grants of the admin role are refused", async function () {
      const { verifier, admin, next, other } = await loadFixture(fixture);
      const adminRole = await verifier.DEFAULT_ADMIN_ROLE();
      await expect(verifier.grantRole(adminRole, next.address)).to.be.revertedWithCustomError(
        verifier,
        "AccessControlEnforcedDefaultAdminRules",
      );
      await expect(verifier.connect(other).beginDefaultAdminTransfer(next.address)).to.be.revertedWithCustomError(
        verifier,
        "AccessControlUnauthorizedAccount",
      );
      await expect(verifier.beginDefaultAdminTransfer(next.address)).to.emit(verifier, "DefaultAdminTransferScheduled");
      const [pending, schedule] = await verifier.pendingDefaultAdmin();
      expect(pending).to.equal(next.address);
      await expect(verifier.connect(next).acceptDefaultAdminTransfer())
        .to.be.revertedWithCustomError(verifier, "AccessControlEnforcedDefaultAdminDelay")
        .withArgs(schedule);
      await expect(verifier.connect(other).acceptDefaultAdminTransfer()).to.be.revertedWithCustomError(
        verifier,
        "AccessControlInvalidDefaultAdmin",
      );
      await time.increaseTo(schedule + 1n);
      await verifier.connect(next).acceptDefaultAdminTransfer();
      expect(await verifier.defaultAdmin()).to.equal(next.address);
      expect(await verifier.hasRole(adminRole, admin.address)).to.equal(false);
      // the new admin administers POLICY_ROLE
      await verifier.connect(next).grantRole(await verifier.POLICY_ROLE(), other.address);
      await expect(verifier.connect(other).setMaxReportAge(5)).to.emit(verifier, "MaxReportAgeSet").withArgs(5);
    });
  });
});
