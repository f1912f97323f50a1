import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import hre from "hardhat";
import { HardhatPluginError } from "hardhat/plugins";
import { PLUGIN_NAME } from "../../src/errors";
import { DevelopmentIas, type VerifyReportOutput } from "../../src/attestation";
import { intelLeafDer } from "../../src/attestation/roots";
import { deployIasVerifier, registerSigningCertificateOnchain } from "../../src/attestation/onchain";
import { runTaskCapturing } from "../helpers/tasks";
import { iasVectorRoot, vectorNamed } from "./iasVectors";

const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** Runs the task in-process, capturing what it prints and the exit code it sets. */
async function runTask(args: Record<string, unknown>): Promise<{ out: VerifyReportOutput; stdout: string; exitCode: number }> {
  const { result, stdout, exitCode } = await runTaskCapturing<VerifyReportOutput>("anonify:verify-report", args);
  return { out: result, stdout, exitCode };
}

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  // Hardhat colours its error lines whenever CI is set, even on a pipe: ask for plain text, as an
  // auditor's script reading the output would.
  const env = { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1" };
  const r = spawnSync("npx", ["hardhat", ...args], { cwd: REPO_ROOT, env, encoding: "utf8", timeout: 180_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("attestation: the verify-report task", function () {
  this.timeout(300_000);
  const lcp = vectorNamed("lcp_2024-06-15T14-54");
  const lcpReport = path.join(lcp.dir, "report.json");
  const lcpSignature = path.join(lcp.dir, "signature.b64");
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "anonify-verify-report-"));
  const file = (name: string, contents: string | Uint8Array) => {
    const p = path.join(tmp, name);
    fs.writeFileSync(p, contents);
    return p;
  };

  after(function () {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe("in-process (hre.run)", function () {
    it("accepts a real Intel report with its status allowed and prints its fields as one JSON object", async function () {
      const { out, stdout, exitCode } = await runTask({ report: lcpReport, signature: lcpSignature, allowStatus: "GROUP_OUT_OF_DATE", allowDebug: true });
      expect(JSON.parse(stdout)).to.deep.equal(JSON.parse(JSON.stringify(out)));
      expect(exitCode).to.equal(0);
      expect(out.valid).to.equal(true);
      expect(out.error).to.equal(undefined);
      expect(out.status).to.equal("GROUP_OUT_OF_DATE");
      expect(out.version).to.equal(4);
      expect(out.timestampUtc).to.equal("2024-06-15T14:54:05.000Z");
      expect(out.mrenclave).to.equal("0x" + lcp.manifest.mrenclave_off112);
      expect(out.mrsigner).to.equal("0x" + lcp.manifest.mrsigner_off176);
      expect(out.reportData).to.equal("0x" + lcp.manifest.report_data_off368);
      expect([out.isvProdId, out.isvSvn, out.debug]).to.deep.equal([lcp.manifest.isv_prod_id_off304, lcp.manifest.isv_svn_off306, true]);
      expect(out.signingCertificate!.subject).to.contain("CN=Intel SGX Attestation Report Signing");
      expect(out.signingCertificate!.validTo).to.equal("2026-11-20T09:36:58.000Z");
      expect(new Date(out.signingCertificate!.validTo).getTime() / 1000).to.equal(out.signingKey!.notAfter);
    });

    it("reads the signature as base64, hex or raw bytes, and the certificate as DER, PEM or the IAS header", async function () {
      const certs = path.join(iasVectorRoot(), "certs");
      const signatures = [lcpSignature, file("sig.hex", lcp.signature.toString("hex") + "\n"), file("sig.0x", "0x" + lcp.signature.toString("hex")), path.join(lcp.dir, "signature.bin")];
      const certificates = [undefined, path.join(certs, "intel_sgx_attestation_report_signing_leaf.der"), path.join(certs, "intel_sgx_attestation_report_signing_leaf.pem"), path.join(certs, "x-iasreport-signing-certificate.urlencoded.txt")];
      for (const signature of signatures) {
        for (const cert of certificates) {
          const { out } = await runTask({ report: lcpReport, signature, cert, allowStatus: "GROUP_OUT_OF_DATE", allowDebug: true });
          expect(out.valid, `${signature} ${cert}`).to.equal(true);
        }
      }
    });

    it("exits 1 with the specific error for each kind of rejection", async function () {
      const negative = vectorNamed("NEGATIVE_");
      const cases: [Record<string, unknown>, string][] = [
        [{ report: lcpReport, signature: lcpSignature }, "QuoteStatusNotAllowed"],
        [{ report: lcpReport, signature: lcpSignature, allowStatus: "GROUP_OUT_OF_DATE" }, "DebugEnclaveNotAllowed"],
        [{ report: lcpReport, signature: lcpSignature, allowStatus: "GROUP_OUT_OF_DATE", allowDebug: true, mrenclave: "0x" + "00".repeat(32) }, "MrenclaveNotAllowed"],
        [{ report: path.join(negative.dir, "report.json"), signature: path.join(negative.dir, "signature.b64"), allowStatus: "GROUP_OUT_OF_DATE", allowDebug: true }, "ReportSignatureInvalid"],
        [{ report: lcpReport, signature: file("short.hex", lcp.signature.subarray(2).toString("hex")) }, "SignatureLengthInvalid"],
        [{ report: file("cut.json", lcp.report.subarray(0, 300)), signature: lcpSignature }, "ReportSignatureInvalid"],
      ];
      for (const [args, code] of cases) {
        const { out, exitCode } = await runTask(args);
        expect(exitCode, code).to.equal(1);
        expect(out.valid).to.equal(false);
        expect(out.error?.code).to.equal(code);
        expect(out.error?.message).to.be.a("string").and.not.equal("");
      }
      // Policy errors still show what the report says.
      const { out } = await runTask({ report: lcpReport, signature: lcpSignature });
      expect(out.status).to.equal("GROUP_OUT_OF_DATE");
      expect(out.error?.details).to.deep.equal({ status: "GROUP_OUT_OF_DATE" });
    });

    it("issue 15, as found: a trailing newline or a non-JSON file said only ReportSignatureInvalid; the verdict now says why", async function () {
      const base = { signature: lcpSignature, allowStatus: "GROUP_OUT_OF_DATE", allowDebug: true };
      const newline = await runTask({ ...base, report: file("newline.json", Buffer.concat([lcp.report, Buffer.from("\n")])) });
      expect([newline.exitCode, newline.out.error?.code]).to.deep.equal([1, "ReportSignatureInvalid"]);
      expect(newline.out.hint).to.include("without its last 1 byte(s)").and.include('"\\n"').and.include("Remove them");
      const crlf = await runTask({ ...base, report: file("crlf.json", Buffer.concat([lcp.report, Buffer.from("\r\n")])) });
      expect(crlf.out.hint).to.include("without its last 2 byte(s)");
      const base64 = await runTask({ ...base, report: file("report.b64", lcp.report.toString("base64")) });
      expect(base64.out.error?.code).to.equal("ReportSignatureInvalid");
      expect(base64.out.hint).to.include("is not JSON");
      // A genuine JSON report under a signature of another report gets no hint: nothing about the file explains it.
      const negative = vectorNamed("NEGATIVE_");
      const other = await runTask({ ...base, report: path.join(negative.dir, "report.json"), signature: path.join(negative.dir, "signature.b64") });
      expect(other.out.error?.code).to.equal("ReportSignatureInvalid");
      expect(other.out.hint).to.equal(undefined);
    });

    it("warns when the signing certificate has expired since (the verdict itself is unchanged)", async function () {
      // Intel's leaf of the vectors expired on 2026-11-20, before this test was written; its reports still verify.
      const { out } = await runTask({ report: lcpReport, signature: lcpSignature, allowStatus: "GROUP_OUT_OF_DATE", allowDebug: true });
      expect(out.valid).to.equal(true);
      expect(out.warnings).to.have.length(1);
      expect(out.warnings![0]).to.include("expired on 2026-11-20T09:36:58.000Z").and.include("--cert");
      // The development IAS's leaf is valid for years: no warning, and the field stays absent.
      const ias = new DevelopmentIas();
      const r = ias.attest({ mrenclave: new Uint8Array(32).fill(1), reportData: new Uint8Array(64) });
      const sim = await runTask({ report: file("fresh.json", r.report), signature: file("fresh.b64", r.signatureBase64), cert: file("fresh.hdr", r.certificates.header), ca: "simulation", mrenclave: "01".repeat(32) });
      expect(sim.out.valid).to.equal(true);
      expect(sim.out.signingKey!.notAfter).to.be.greaterThan(Date.now() / 1000);
      expect(sim.out).to.not.have.property("warnings");
    });

    it("--max-report-age judges the report's age at --at (unix seconds or ISO 8601), 0 = off; the verdict names the time", async function () {
      const base = { report: lcpReport, signature: lcpSignature, allowStatus: "GROUP_OUT_OF_DATE", allowDebug: true };
      const reportTime = Date.parse("2024-06-15T14:54:05Z") / 1000;
      // A day later, within a two-day limit: valid; the output records the limit and the time.
      const fresh = await runTask({ ...base, maxReportAge: "172800", at: "2024-06-16T14:54:05Z" });
      expect(fresh.exitCode).to.equal(0);
      expect(fresh.out.policy.maxReportAge).to.equal(172_800);
      expect(fresh.out.at).to.equal(reportTime + 86_400);
      // The same report judged now (years later) with a one-day limit: ReportTooOld(timestamp, maxAge, now).
      const stale = await runTask({ ...base, maxReportAge: "86400" });
      expect(stale.exitCode).to.equal(1);
      expect(stale.out.error?.code).to.equal("ReportTooOld");
      expect(stale.out.error?.details).to.deep.include({ timestamp: reportTime, maxAge: 86_400, now: stale.out.at });
      // One second past the limit, given as unix seconds.
      const edge = await runTask({ ...base, maxReportAge: "60", at: String(reportTime + 61) });
      expect(edge.out.error?.code).to.equal("ReportTooOld");
      expect((await runTask({ ...base, maxReportAge: "60", at: String(reportTime + 60) })).out.valid).to.equal(true);
      // 0 (and the default) turns the check off.
      expect((await runTask({ ...base, maxReportAge: "0" })).out.valid).to.equal(true);
      expect((await runTask(base)).out.policy.maxReportAge).to.equal(0);
    });

    it("rejects a development-IAS (SIMULATION) report under Intel's CA and accepts it with --ca simulation", async function () {
      const ias = new DevelopmentIas();
      const r = ias.attest({ mrenclave: new Uint8Array(32).fill(1), reportData: new Uint8Array(64) });
      const args = { report: file("sim.json", r.report), signature: file("sim.b64", r.signatureBase64), cert: file("sim.hdr", r.certificates.header) };
      const intel = await runTask(args);
      expect(intel.exitCode).to.equal(1);
      expect(intel.out.error?.code).to.equal("CertificateIssuerMismatch");
      const sim = await runTask({ ...args, ca: "simulation", mrenclave: "01".repeat(32) });
      expect(sim.exitCode).to.equal(0);
      expect(sim.out.trustAnchor).to.equal("simulation");
      expect(sim.out.mrenclave).to.equal("0x" + "01".repeat(32));
    });

    it("with --onchain and --max-report-age the contract judges the age at --at and agrees", async function () {
      const base = { report: lcpReport, signature: lcpSignature, allowStatus: "GROUP_OUT_OF_DATE", allowDebug: true, onchain: true };
      // The in-process chain's clock may run ahead of the wall clock (other tests move it): start from its time.
      const later = (await hre.ethers.provider.getBlock("latest"))!.timestamp + 3600;
      const stale = await runTask({ ...base, maxReportAge: "86400", at: String(later) });
      expect(stale.out.error?.code).to.equal("ReportTooOld");
      expect(stale.out.onchainError?.code).to.equal("ReportTooOld");
      expect(stale.out.onchainError?.details).to.deep.equal(stale.out.error?.details);
      expect(stale.out.onchainAgrees).to.equal(true);
      const laterStill = (await hre.ethers.provider.getBlock("latest"))!.timestamp + 3600;
      const lenient = await runTask({ ...base, maxReportAge: String(laterStill), at: String(laterStill) });
      expect(lenient.out.valid).to.equal(true);
      expect(lenient.out.onchainAgrees).to.equal(true);
    });

    it("with --onchain reports the contract's gas and agreement, for valid and invalid reports", async function () {
      const ok = await runTask({ report: lcpReport, signature: lcpSignature, allowStatus: "GROUP_OUT_OF_DATE", allowDebug: true, onchain: true });
      expect(ok.exitCode).to.equal(0);
      expect(ok.out.onchainAgrees).to.equal(true);
      expect(ok.out.gasUsed!.execution).to.be.greaterThan(30_000);
      expect(ok.out.gasUsed!.total).to.be.greaterThan(ok.out.gasUsed!.execution + 21_000);
      const bad = await runTask({ report: lcpReport, signature: lcpSignature, onchain: true });
      expect(bad.exitCode).to.equal(1);
      expect(bad.out.onchainAgrees).to.equal(true);
      expect(bad.out.gasUsed).to.equal(null);
      expect(bad.out.onchainError).to.deep.equal({ code: "QuoteStatusNotAllowed", details: { status: "GROUP_OUT_OF_DATE" } });
      const ias = new DevelopmentIas();
      const r = ias.attest({ mrenclave: new Uint8Array(32), reportData: new Uint8Array(64) });
      const wrongCa = await runTask({ report: file("sim2.json", r.report), signature: file("sim2.bin", r.signature), cert: file("sim2.der", r.certificates.leaf), onchain: true });
      expect(wrongCa.out.error?.code).to.equal("CertificateIssuerMismatch");
      expect(wrongCa.out.onchainError?.code).to.equal("CertificateIssuerMismatch");
      expect(wrongCa.out.onchainAgrees).to.equal(true);
    });

    it("issue 15, as found: --verifier checks the report against an IasVerifier already deployed (a call: its keys, policy and block)", async function () {
      const lenient = { allowedStatuses: ["GROUP_OUT_OF_DATE"], allowDebug: true };
      const verifier = await deployIasVerifier(hre, "intel", lenient);
      await registerSigningCertificateOnchain(verifier, intelLeafDer());
      const address = await verifier.getAddress();
      const nonceBefore = await hre.ethers.provider.getTransactionCount((await hre.ethers.getSigners())[0].address);
      const same = await runTask({ report: lcpReport, signature: lcpSignature, allowStatus: "GROUP_OUT_OF_DATE", allowDebug: true, verifier: address.toLowerCase() });
      expect(same.exitCode).to.equal(0);
      expect(same.out.valid).to.equal(true);
      expect(same.out.onchainError).to.equal(null);
      expect(same.out.onchainAgrees).to.equal(true);
      const latest = (await hre.ethers.provider.getBlock("latest"))!;
      expect(same.out.onchainVerifier).to.deep.equal({ address, network: "hardhat", chainId: 31337, blockNumber: latest.number, blockTime: latest.timestamp });
      expect(same.out.onchainPolicy).to.include({ debugAllowed: true, mrenclaveCheck: false, maxReportAge: 0, deniedSigningKeys: 0 });
      // A call: nothing was sent.
      expect(await hre.ethers.provider.getTransactionCount((await hre.ethers.getSigners())[0].address)).to.equal(nonceBefore);

      // The command line's policy is stricter than the deployed one: the verdicts differ and the exit code says so.
      const stricter = await runTask({ report: lcpReport, signature: lcpSignature, verifier: address });
      expect(stricter.exitCode).to.equal(1);
      expect(stricter.out.error?.code).to.equal("QuoteStatusNotAllowed");
      expect(stricter.out.onchainError).to.equal(null);
      expect(stricter.out.onchainAgrees).to.equal(false);

      // A verifier that never registered Intel's signing certificate: its error, and what to do about it.
      const bare = await deployIasVerifier(hre, "intel", lenient);
      const unregistered = await runTask({ report: lcpReport, signature: lcpSignature, allowStatus: "GROUP_OUT_OF_DATE", allowDebug: true, verifier: await bare.getAddress() });
      expect(unregistered.exitCode).to.equal(1);
      expect(unregistered.out.onchainError?.code).to.equal("SigningKeyNotRegistered");
      expect(unregistered.out.onchainAgrees).to.equal(false);
      expect(unregistered.out.warnings!.join("\n")).to.match(/has not registered this signing certificate: anyone may register it with registerSigningCertificate/);
    });

    it("refuses bad arguments with a clear AnonifyPluginError (a HardhatPluginError of hardhat-anonify)", async function () {
      const bad: [Record<string, unknown>, RegExp][] = [
        [{ report: path.join(tmp, "missing.json"), signature: lcpSignature }, /cannot read --report file/],
        [{ report: lcpReport, signature: path.join(tmp, "missing.sig") }, /cannot read --signature file/],
        [{ report: lcpReport, signature: file("garbage.sig", "not a signature!") }, /neither base64, hex nor 256 raw bytes/],
        [{ report: lcpReport, signature: lcpSignature, mrenclave: "0x1234" }, /--mrenclave: "0x1234" is not 32 bytes of hex/],
        [{ report: lcpReport, signature: lcpSignature, maxReportAge: "-5" }, /--max-report-age: "-5" is not a whole number of seconds/],
        [{ report: lcpReport, signature: lcpSignature, maxReportAge: "1.5" }, /--max-report-age: "1.5"/],
        [{ report: lcpReport, signature: lcpSignature, at: "yesterday" }, /--at: "yesterday" is neither unix seconds nor an ISO 8601 time/],
        [{ report: lcpReport, signature: lcpSignature, at: "2024-06-15T14:54:05" }, /--at: .* with a zone/],
        [{ report: lcpReport, signature: lcpSignature, maxReportAge: "60", at: "2024-06-15T14:55:00Z", onchain: true }, /before the in-process chain's time/],
        [{ report: lcpReport, signature: lcpSignature, mrenclave: "zz".repeat(32) }, /is not 32 bytes of hex/],
        [{ report: lcpReport, signature: lcpSignature, allowStatus: "OK,GROUP_OUT_OF_DAT" }, /unknown quote status "GROUP_OUT_OF_DAT"/],
        [{ report: lcpReport, signature: lcpSignature, cert: file("garbage.crt", "hello") }, /neither DER, PEM nor a URL-encoded/],
        [{ report: lcpReport, signature: lcpSignature, ca: path.join(tmp, "missing-ca.der") }, /cannot read --ca file/],
      ];
      const eoa = (await hre.ethers.getSigners())[1].address;
      const notAVerifier = await (await hre.ethers.deployContract("BenchToken", [1n])).getAddress();
      // One letter's case flipped: no longer the EIP-55 checksum (a typo), still mixed case.
      const mistyped = eoa.replace(/[a-fA-F]/, (c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()));
      bad.push(
        [{ report: lcpReport, signature: lcpSignature, verifier: "0x1234" }, /--verifier "0x1234" is not an address/],
        [{ report: lcpReport, signature: lcpSignature, verifier: mistyped }, /--verifier .* has mixed case but not a valid EIP-55 checksum/],
        [{ report: lcpReport, signature: lcpSignature, verifier: eoa }, /there is no contract at this address on network hardhat \(chain id 31337\)/],
        [{ report: lcpReport, signature: lcpSignature, verifier: notAVerifier }, /is not an IasVerifier/],
        [{ report: lcpReport, signature: lcpSignature, verifier: notAVerifier, onchain: true }, /--onchain deploys a fresh verifier .* give one of them/],
      );
      for (const [args, message] of bad) {
        let thrown: unknown;
        try {
          await runTask(args);
        } catch (e) {
          thrown = e;
        }
        // Hardhat loads the config (and so the plugin's modules) in its own module instance: compare by kind.
        expect(HardhatPluginError.isHardhatPluginError(thrown), String(message)).to.equal(true);
        expect((thrown as HardhatPluginError).pluginName).to.equal(PLUGIN_NAME);
        expect((thrown as Error).message).to.match(message);
      }
    });
  });

  describe("as a command (npx hardhat anonify:verify-report)", function () {
    it("prints one JSON object and exits 0 for a valid report, 1 with the error otherwise", function () {
      const ok = cli(["anonify:verify-report", "--report", lcpReport, "--signature", lcpSignature, "--allow-status", "GROUP_OUT_OF_DATE", "--allow-debug"]);
      expect(ok.status, ok.stderr).to.equal(0);
      const okJson = JSON.parse(ok.stdout);
      expect(okJson.valid).to.equal(true);
      expect(okJson.mrenclave).to.equal("0x" + lcp.manifest.mrenclave_off112);

      const rejected = cli(["anonify:verify-report", "--report", lcpReport, "--signature", lcpSignature, "--allow-status", "OK,GROUP_OUT_OF_DATE"]);
      expect(rejected.status).to.equal(1);
      const rejectedJson = JSON.parse(rejected.stdout);
      expect(rejectedJson.valid).to.equal(false);
      expect(rejectedJson.error.code).to.equal("DebugEnclaveNotAllowed");
    });

    it("with --onchain, in the anonify scope form too, prints gas and agreement", function () {
      const r = cli(["anonify", "verify-report", "--report", lcpReport, "--signature", path.join(lcp.dir, "signature.bin"), "--allow-status", "GROUP_OUT_OF_DATE", "--allow-debug", "--onchain"]);
      expect(r.status, r.stderr).to.equal(0);
      const j = JSON.parse(r.stdout);
      expect(j.onchainAgrees).to.equal(true);
      expect(j.gasUsed.execution).to.be.a("number").greaterThan(0);
      expect(j.gasUsed.total).to.be.a("number").greaterThan(j.gasUsed.execution);
    });

    it("exits 1 with a plugin error message on bad arguments", function () {
      const r = cli(["anonify:verify-report", "--report", lcpReport, "--signature", lcpSignature, "--allow-status", "FINE"]);
      expect(r.status).to.equal(1);
      expect(r.stdout + r.stderr).to.match(/Error in plugin hardhat-anonify: --allow-status: unknown quote status "FINE"/);
    });
  });
});
