import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { HardhatPluginError } from "hardhat/plugins";
import { PLUGIN_NAME } from "../../src/errors";
import type { VerifyQuoteOutput } from "../../src/attestation/dcap/quoteTool";
import { runTaskCapturing } from "../helpers/tasks";
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

  describe("command line", function () {
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
