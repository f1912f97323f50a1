import { scope, task } from "hardhat/config";
import type { ConfigurableTaskDefinition } from "hardhat/types";
import { verifyReportCommand, type VerifyReportArgs } from "../src/attestation/reportTool";

/** Task name as the issue writes it. Hardhat 2 scopes are invoked `npx hardhat anonify verify-report`; */
/** the colon form only resolves as a plain task of that name, so both are registered with one action. */
export const VERIFY_REPORT_TASK = "anonify:verify-report";
export const ANONIFY_SCOPE = "anonify";
export const VERIFY_REPORT_SCOPED_TASK = "verify-report";

const DESCRIPTION = "Verify an Intel IAS attestation report (signature, certificate, quote, policy) and print one JSON verdict";

function define(t: ConfigurableTaskDefinition): void {
  t.addParam("report", "File with the exact report body IAS signed")
    .addParam("signature", "File with the X-IASReport-Signature: base64, hex or the raw 256 bytes")
    .addOptionalParam("cert", "Signing certificate: DER, PEM, or the URL-encoded X-IASReport-Signing-Certificate header (default: Intel's leaf)")
    .addOptionalParam("ca", 'Pinned CA: "intel" (default), "simulation", or a DER/PEM file')
    .addOptionalParam("allowStatus", "Comma-separated isvEnclaveQuoteStatus values to accept (default: OK)")
    .addFlag("allowDebug", "Accept enclaves with the DEBUG attribute")
    .addOptionalParam("mrenclave", "Comma-separated MRENCLAVE allowlist (32-byte hex); no MRENCLAVE check without it")
    .addOptionalParam("maxReportAge", "Refuse reports older than this many seconds at --at (0 = off, the default)")
    .addOptionalParam("at", "Verification time: unix seconds or ISO 8601 with a zone (default: now)")
    .addFlag("onchain", "Also deploy IasVerifier on the in-process network, verify there, report gas and agreement")
    .addOptionalParam("verifier", "Also check against this IasVerifier already deployed on --network (a call: its keys, policy and block time)")
    .setAction(async (args: VerifyReportArgs, hre) => {
      const out = await verifyReportCommand(hre, args);
      console.log(JSON.stringify(out, null, 2));
      // Exit code 0 only when the report is valid under the policy (and, with --onchain or --verifier, the chain agrees).
      if (!out.valid || out.onchainAgrees === false) process.exitCode = 1;
      return out;
    });
}

define(task(VERIFY_REPORT_TASK, DESCRIPTION));
define(scope(ANONIFY_SCOPE, "Anonify: confidential state over a public chain with SGX enclaves").task(VERIFY_REPORT_SCOPED_TASK, DESCRIPTION));
