import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import hre from "hardhat";
import { HardhatPluginError } from "hardhat/plugins";
import { PLUGIN_NAME } from "../../src/errors";
import type { VerifyQuoteOutput } from "../../src/attestation/dcap/quoteTool";
import { chainVerdict, type ChainRefusal } from "../../src/attestation/dcap/onchain";
import { runTaskCapturing } from "../helpers/tasks";
import { vectorDir } from "../helpers/vectors";
import { REAL_MRENCLAVE, TestPki, dcapPath, realQuote, realPckCrl, xorByte } from "./dcapVectors";

const REPO_ROOT = path.resolve(__dirname, "..", "..");

async function runTask(args: Record<string, unknown>): Promise<{ out: VerifyQuoteOutput; stdout: string; exitCode: number }> {
  const { result, stdout, exitCode } = await runTaskCapturing<VerifyQuoteOutput>("anonify:verify-quote", args);
  return { out: result, stdout, exitCode };
}

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const env = { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1" };
  const r = spawnSync("npx", ["hardhat", ...args], { cwd: REPO_ROOT, env, encoding: "utf8", timeout: 180_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("attestation: the verify-quote task", function () {
  this.timeout(300_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "anonify-verify-quote-"));
  const file = (name: string, contents: string | Uint8Array) => {
    const p = path.join(tmp, name);
    fs.writeFileSync(p, contents);
    return p;
  };
  const base = {
    quote: dcapPath("quote_v3_sgx.bin"),
    tcbInfo: dcapPath("0825_sgx_tcbinfov3_00606a000000.json"),
    qeIdentity: dcapPath("0825_sgx_qeidentity_v4.json"),
    at: "1755236700",
    allowTcbStatus: "UpToDate,SWHardeningNeeded",
  };
  const crls = [dcapPath("rootCrlDer.der"), dcapPath("0825_platform_crl.der")];

  after(function () {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe("in-process (hre.run)", function () {
    it("accepts the real Intel quote at its collateral's time and prints the verdict as one JSON object", async function () {
      const { out, stdout, exitCode } = await runTask({ ...base, crl: crls, mrenclave: REAL_MRENCLAVE });
      expect(JSON.parse(stdout)).to.deep.equal(JSON.parse(JSON.stringify(out)));
      expect(exitCode).to.equal(0);
      expect(out.valid).to.equal(true);
      expect(out.error).to.equal(undefined);
      expect(out.mrenclave).to.equal(REAL_MRENCLAVE);
      expect(out.tcbStatus).to.equal("SWHardeningNeeded");
      expect(out.advisoryIds).to.deep.equal(["INTEL-SA-00615"]);
      expect(out.fmspc).to.equal("0x00606a000000");
      expect([out.isvProdId, out.isvSvn, out.debug]).to.deep.equal([0, 0, false]);
      expect(out.reportData).to.equal("0x" + "00".repeat(64));
      expect(out.revocationChecked).to.equal(true);
      expect(out.atUtc).to.equal("2025-08-15T05:45:00.000Z");
    });

    it("reads --at as ISO-8601 or unix seconds, CRLs as DER or PEM, and says when revocation was not checked", async function () {
      const iso = await runTask({ ...base, at: "2025-08-15T07:45:00+02:00" });
      expect(iso.out.at).to.equal(1755236700);
      expect(iso.out.valid).to.equal(true);
      expect(iso.out.revocationChecked).to.equal(false);
      const pemCrl = file("platform.pem", `-----BEGIN X509 CRL-----\n${realPckCrl().toString("base64").replace(/(.{64})/g, "$1\n")}\n-----END X509 CRL-----\n`);
      const both = await runTask({ ...base, crl: [crls[0], pemCrl] });
      expect(both.out.revocationChecked).to.equal(true);
      const one = await runTask({ ...base, crl: crls[1] });
      expect([one.out.valid, one.out.revocationChecked]).to.deep.equal([true, false]);
    });

    it("exits 1 with the specific error for each kind of rejection", async function () {
      const pki = new TestPki();
      const cases: [Record<string, unknown>, string][] = [
        [{ ...base, allowTcbStatus: undefined }, "TcbStatusNotAllowed"],
        [{ ...base, mrenclave: "11".repeat(32) }, "MrenclaveNotAllowed"],
        [{ ...base, at: "2025-10-01T00:00:00Z" }, "CollateralExpired"],
        [{ ...base, quote: dcapPath("quote_v4_tdx.bin") }, "QuoteTeeTypeUnsupported"],
        [{ ...base, quote: file("flipped.bin", xorByte(realQuote(), 48 + 64)) }, "QuoteSignatureInvalid"],
        [{ ...base, tcbInfo: base.qeIdentity }, "CollateralMalformed"],
        [{ ...base, tcbChain: file("other-chain.pem", pki.tcbChainPem()) }, "RootCaNotPinned"],
        [{ ...base, quote: file("test-pki.bin", pki.quote()) }, "RootCaNotPinned"],
        [{ ...base, crl: file("test-crl.der", pki.pckCrl()) }, "CollateralSignatureInvalid"],
      ];
      for (const [args, code] of cases) {
        const { out, exitCode } = await runTask(args);
        expect(exitCode, code).to.equal(1);
        expect(out.valid, code).to.equal(false);
        expect(out.error?.code, code).to.equal(code);
        expect(out.error?.message).to.be.a("string").and.not.equal("");
      }
      // A policy refusal still shows what the verified evidence says.
      const { out } = await runTask({ ...base, allowTcbStatus: undefined });
      expect(out.mrenclave).to.equal(REAL_MRENCLAVE);
      expect(out.tcbStatus).to.equal("SWHardeningNeeded");
      expect(out.error?.details).to.deep.equal({ status: "SWHardeningNeeded" });
      // An evidence refusal shows nothing unverified.
      const tdx = await runTask({ ...base, quote: dcapPath("quote_v4_tdx.bin") });
      expect(tdx.out.mrenclave).to.equal(null);
    });

    it("refuses bad arguments as plugin errors, not verdicts", async function () {
      const bad: [Record<string, unknown>, RegExp][] = [
        [{ ...base, quote: path.join(tmp, "missing.bin") }, /cannot read --quote/],
        [{ ...base, at: "yesterday" }, /--at/],
        [{ ...base, at: "2025-08-15 05:45:00" }, /--at/],
        [{ ...base, allowTcbStatus: "Revoked" }, /--allow-tcb-status/],
        [{ ...base, allowTcbStatus: "Fine" }, /--allow-tcb-status/],
        [{ ...base, allowTcbStatus: " , " }, /--allow-tcb-status/],
        [{ ...base, mrenclave: "0x1234" }, /--mrenclave/],
        [{ ...base, crl: file("bad.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n") }, /X509 CRL/],
      ];
      for (const [args, message] of bad) {
        let error: unknown;
        try {
          await runTask(args);
        } catch (e) {
          error = e;
        }
        expect(error, String(message)).to.be.instanceOf(HardhatPluginError);
        expect((error as HardhatPluginError).pluginName).to.equal(PLUGIN_NAME);
        expect((error as Error).message).to.match(message);
      }
    });
  });

  describe("--onchain (the DCAP contracts on an in-process chain at --at)", function () {
    const onchain = { ...base, crl: crls, onchain: true };
    const gasOf = (g: unknown) => g as { execution: number; total: number };

    it("verifies the real Intel quote on the production contracts at 1755236700 and agrees, with verifyQuote's and each upsert's gas", async function () {
      const { out, stdout, exitCode } = await runTask({ ...onchain, mrenclave: REAL_MRENCLAVE });
      expect(JSON.parse(stdout)).to.deep.equal(JSON.parse(JSON.stringify(out)));
      expect([exitCode, out.valid, out.onchainAgrees, out.onchainError]).to.deep.equal([0, true, true, null]);
      expect([out.mrenclave, out.tcbStatus, out.revocationChecked]).to.deep.equal([REAL_MRENCLAVE, "SWHardeningNeeded", true]);
      // A PCK chain new to the verifier: verified and cached (docs: ~962k execution; the target is < 1,000,000).
      const gas = gasOf(out.gasUsed);
      expect(gas.execution).to.be.greaterThan(500_000).and.lessThan(1_000_000);
      expect(gas.total).to.be.greaterThan(gas.execution);
      const c = out.collateralGas!;
      expect(c.crls).to.have.length(2);
      for (const g of [c.tcbInfo, c.qeIdentity, ...c.crls]) expect(gasOf(g).execution).to.be.greaterThan(0);
      expect(out.collateralRefused).to.equal(undefined);
      // The task's own chain is untouched: no block was mined on it at --at.
      const latest = await hre.ethers.provider.getBlock("latest");
      expect(latest!.timestamp).to.be.greaterThan(Number(base.at));
    });

    it("gives the off-chain refusal on chain too, with the same error and arguments (exit 1)", async function () {
      const pki = new TestPki();
      const cases: [Record<string, unknown>, string, string][] = [
        [{ ...onchain, allowTcbStatus: undefined }, "TcbStatusNotAllowed", "verifyQuote"],
        [{ ...onchain, mrenclave: "11".repeat(32) }, "MrenclaveNotAllowed", "verifyQuote"],
        [{ ...onchain, quote: file("flipped-onchain.bin", xorByte(realQuote(), 48 + 64)) }, "QuoteSignatureInvalid", "verifyQuote"],
        [{ ...onchain, quote: dcapPath("quote_v4_tdx.bin") }, "QuoteTeeTypeUnsupported", "verifyQuote"],
        // Collateral refused at upsert: the verifier finds nothing stored, and the task names the refused upsert.
        [{ ...onchain, at: "2025-10-01T00:00:00Z" }, "CollateralExpired", "upsertCrl[1]"],
        [{ ...onchain, tcbChain: file("other-chain-onchain.pem", pki.tcbChainPem()) }, "RootCaNotPinned", "upsertTcbInfo"],
        [{ ...onchain, tcbInfo: base.qeIdentity }, "CollateralMalformed", "upsertTcbInfo"],
        [{ ...onchain, crl: [crls[0], file("test-crl-onchain.der", pki.pckCrl())] }, "CollateralSignatureInvalid", "upsertCrl[1]"],
        // Two faults: the TCB Signing chain (step 3, checked at the TCB Info upsert) comes before the CRL (step 4), as off chain.
        [{ ...onchain, tcbChain: file("other-chain-2.pem", pki.tcbChainPem()), crl: [crls[0], file("test-crl-2.der", pki.pckCrl())] }, "RootCaNotPinned", "upsertTcbInfo"],
      ];
      for (const [args, code, call] of cases) {
        const { out, exitCode } = await runTask(args);
        expect([exitCode, out.valid, out.error?.code], code).to.deep.equal([1, false, code]);
        expect(out.onchainError, code).to.deep.equal({ call, code, details: out.error!.details });
        expect(out.onchainAgrees, code).to.equal(true);
        expect(out.gasUsed, code).to.equal(null);
        if (call !== "verifyQuote") {
          expect(out.onchainRevert?.call, code).to.equal("verifyQuote");
          expect(out.onchainRevert?.code, code).to.match(/NotStored$/);
          expect(out.collateralRefused?.map((r) => r.call), code).to.include(call);
        }
      }
    });

    it("refuses the development PCS bundle under Intel's root on both sides (RootCaNotPinned), every upsert refused", async function () {
      const dev = (name: string) => path.join(vectorDir("dcap-dev"), name);
      const { out, exitCode } = await runTask({
        quote: dev("quote_v3_dev.bin"),
        tcbInfo: dev("tcb_info.json"),
        qeIdentity: dev("qe_identity.json"),
        tcbChain: dev("tcb_signing_chain.pem"),
        crl: [dev("root_ca_crl.der"), dev("pck_platform_crl.der")],
        at: "1796342400",
        onchain: true,
      });
      expect([exitCode, out.valid, out.error?.code, out.error?.details]).to.deep.equal([1, false, "RootCaNotPinned", { role: 0 }]);
      expect(out.onchainError).to.deep.equal({ call: "verifyQuote", code: "RootCaNotPinned", details: { role: 0 } });
      expect(out.onchainAgrees).to.equal(true);
      expect(out.collateralRefused!.map((r) => r.call)).to.deep.equal(["upsertTcbInfo", "upsertQeIdentity", "upsertCrl[0]", "upsertCrl[1]"]);
      expect(out.collateralGas).to.deep.equal({ tcbInfo: null, qeIdentity: null, crls: [null, null] });
    });

    it("needs both CRLs: DcapVerifier checks revocation for every quote", async function () {
      for (const crl of [undefined, crls[0], crls[1], [crls[1], crls[1]], [crls[0], crls[0]]]) {
        let error: unknown;
        try {
          await runTask({ ...base, crl, onchain: true });
        } catch (e) {
          error = e;
        }
        expect(error, String(crl)).to.be.instanceOf(HardhatPluginError);
        expect((error as Error).message).to.match(/--onchain needs both CRLs .*CrlNotStored/);
      }
    });
  });

  describe("the chain's verdict in the off-chain terms (chainVerdict)", function () {
    const r = (call: string, code: string, args: string[] = []): ChainRefusal => ({ call, code, details: {}, args });
    const stored = { fmspc: "0x00606a000000", pceId: "0x0000" };

    it("a …NotStored revert is the refusal of the upsert that would have stored it; other reverts stand", function () {
      const crlRefused = r("upsertCrl[1]", "CollateralExpired");
      const tcbRefused = r("upsertTcbInfo", "CollateralMalformed");
      expect(chainVerdict(r("verifyQuote", "CrlNotStored"), [crlRefused], stored)).to.equal(crlRefused);
      expect(chainVerdict(r("verifyQuote", "TcbInfoNotStored", ["0x00606a000000", "0x0000"]), [crlRefused, tcbRefused], null)).to.equal(tcbRefused);
      const policy = r("verifyQuote", "TcbStatusNotAllowed", ["OutOfDate"]);
      expect(chainVerdict(policy, [crlRefused], stored)).to.equal(policy);
      // Nothing refused: the revert itself (e.g. a CRL never given).
      const missing = r("verifyQuote", "CrlNotStored");
      expect(chainVerdict(missing, [], stored)).to.equal(missing);
      // The TCB Signing chain (step 3) before a CRL (step 4).
      const chainRefused = r("upsertTcbInfo", "RootCaNotPinned");
      expect(chainVerdict(r("verifyQuote", "CrlNotStored"), [chainRefused, crlRefused], null)).to.equal(chainRefused);
    });

    it("TCB Info stored for another platform is FmspcMismatch / PceIdMismatch, as off chain", function () {
      const other = chainVerdict(r("verifyQuote", "TcbInfoNotStored", ["0x00906ed50000", "0x0000"]), [], stored);
      expect([other.code, other.args, other.details]).to.deep.equal(["FmspcMismatch", ["0x00906ed50000", stored.fmspc], { expected: "0x00906ed50000", actual: stored.fmspc }]);
      const pce = chainVerdict(r("verifyQuote", "TcbInfoNotStored", [stored.fmspc, "0x0001"]), [], stored);
      expect([pce.code, pce.args]).to.deep.equal(["PceIdMismatch", ["0x0001", "0x0000"]]);
    });
  });

  describe("command line", function () {
    it("refuses --onchain on another network than the in-process one", function () {
      const r = cli(["--network", "localhost", "anonify:verify-quote", "--quote", base.quote, "--tcb-info", base.tcbInfo, "--qe-identity", base.qeIdentity, "--crl", crls[0], "--crl", crls[1], "--onchain"]);
      expect(r.status).to.equal(1);
      expect(r.stdout.trim()).to.equal("");
      expect(r.stderr).to.match(/--onchain deploys the DCAP verifier on the in-process "hardhat" network only; drop --network localhost/);
    });

    it("with --onchain prints gas and agreement and exits 0 only when valid and agreed", function () {
      const args = ["anonify:verify-quote", "--quote", base.quote, "--tcb-info", base.tcbInfo, "--qe-identity", base.qeIdentity, "--crl", crls[0], "--crl", crls[1], "--at", base.at, "--onchain"];
      const ok = cli([...args, "--allow-tcb-status", "UpToDate,SWHardeningNeeded"]);
      expect(ok.status, ok.stderr).to.equal(0);
      const out = JSON.parse(ok.stdout) as VerifyQuoteOutput;
      expect([out.valid, out.onchainAgrees]).to.deep.equal([true, true]);
      expect(out.gasUsed?.execution).to.be.a("number");
      const refused = cli(args);
      expect(refused.status).to.equal(1);
      const no = JSON.parse(refused.stdout) as VerifyQuoteOutput;
      expect([no.error?.code, no.onchainError?.code, no.onchainAgrees]).to.deep.equal(["TcbStatusNotAllowed", "TcbStatusNotAllowed", true]);
    });

    it("takes --crl more than once and exits 0 only when valid", function () {
      const args = ["anonify:verify-quote", "--quote", base.quote, "--tcb-info", base.tcbInfo, "--qe-identity", base.qeIdentity, "--at", "2025-08-15T05:45:00Z"];
      const ok = cli([...args, "--crl", crls[0], "--crl", crls[1], "--allow-tcb-status", "UpToDate,SWHardeningNeeded", "--mrenclave", REAL_MRENCLAVE]);
      expect(ok.status, ok.stderr).to.equal(0);
      const out = JSON.parse(ok.stdout) as VerifyQuoteOutput;
      expect([out.valid, out.revocationChecked, out.mrenclave]).to.deep.equal([true, true, REAL_MRENCLAVE]);
      const refused = cli(args);
      expect(refused.status).to.equal(1);
      expect((JSON.parse(refused.stdout) as VerifyQuoteOutput).error?.code).to.equal("TcbStatusNotAllowed");
    });
  });
});
