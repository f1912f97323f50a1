import { scope, task } from "hardhat/config";
import type { ConfigurableTaskDefinition } from "hardhat/types";
import { verifyQuoteCommand, type VerifyQuoteArgs } from "../src/attestation/dcap/quoteTool";
import { ANONIFY_SCOPE } from "./verify-report";
import { REPEATABLE_STRING } from "./repeatable";

/** Task name as the issue writes it; also `npx hardhat anonify verify-quote` (see verify-report.ts). */
export const VERIFY_QUOTE_TASK = "anonify:verify-quote";
export const VERIFY_QUOTE_SCOPED_TASK = "verify-quote";

const DESCRIPTION = "Verify an Intel SGX DCAP quote with its PCS collateral (PCK chain, TCB Info, QE Identity, CRLs, policy) and print one JSON verdict";

function define(t: ConfigurableTaskDefinition): void {
  t.addParam("quote", "File with the raw quote bytes (v3 or v4, SGX)")
    .addParam("tcbInfo", 'TCB Info as the PCS serves it: {"tcbInfo":…,"signature":…}')
    .addParam("qeIdentity", 'QE Identity as the PCS serves it: {"enclaveIdentity":…,"signature":…}')
    .addOptionalParam("tcbChain", "Issuer chain PEM (TCB Signing certificate, root) from TCB-Info-Issuer-Chain (default: the one shipped)")
    .addOptionalParam("crl", "CRL file, DER or PEM (root CA CRL, PCK CA CRL); repeat for each", undefined, REPEATABLE_STRING)
    .addOptionalParam("at", "Verification time: ISO-8601 or unix seconds (default: now); collateral must be valid then")
    .addOptionalParam("allowTcbStatus", "Comma-separated TCB statuses to accept (default: UpToDate)")
    .addFlag("allowDebug", "Accept enclaves with the DEBUG attribute")
    .addOptionalParam("mrenclave", "Comma-separated MRENCLAVE allowlist (32-byte hex); no MRENCLAVE check without it")
    .addFlag("onchain", "Also verify with the DCAP contracts on an in-process chain at --at (both CRLs needed), report gas and agreement")
    .setAction(async (args: VerifyQuoteArgs, hre) => {
      const out = await verifyQuoteCommand(hre, args);
      console.log(JSON.stringify(out, null, 2));
      // Exit code 0 only when the quote is valid under the policy (and, with --onchain, the chain agrees).
      if (!out.valid || out.onchainAgrees === false) process.exitCode = 1;
      return out;
    });
}

define(task(VERIFY_QUOTE_TASK, DESCRIPTION));
define(scope(ANONIFY_SCOPE).task(VERIFY_QUOTE_SCOPED_TASK, DESCRIPTION));
