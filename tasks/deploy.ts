import { scope, task, types } from "hardhat/config";
import type { ConfigurableTaskDefinition } from "hardhat/types";
import { ANONIFY_SCOPE } from "./verify-report";
import { pluginErrors } from "./pluginErrors";
import type { DeployOptions } from "../src/node/deployment";

/**
 * `anonify:deploy` (and `anonify deploy`): a verifier + AnonifyGroup through the project's Ignition modules, by
 * evidence kind (`--attestation`): IasVerifier, or DcapVerifier with its collateral stores and linked libraries.
 */
export const DEPLOY_TASK = "anonify:deploy";

const DESCRIPTION =
  "Deploy a verifier (--attestation dcap: DcapVerifier + collateral stores on the DCAP root of anonify.mode; ias: IasVerifier on anonify.iasRootCa) and AnonifyGroup; write <dataDir>/deployment-<chainId>.json";

export interface DeployTaskArgs {
  attestation?: string;
  mrenclave?: string;
  governor?: string;
  admin?: string;
  adminDelay?: number;
  operators?: string;
  openAdmission?: number;
  dataDir?: string;
  deploymentId?: string;
  force?: boolean;
  keyEnv?: string;
  runtime?: string;
}

function define(t: ConfigurableTaskDefinition): void {
  t.addOptionalParam("attestation", 'The evidence the group admits: "dcap" (DCAP quotes) or "ias" (IAS reports) (default: anonify.attestation)')
    .addOptionalParam("mrenclave", "Comma-separated MRENCLAVEs to allow (default in simulation: the built enclave binary's)")
    .addOptionalParam("governor", "GOVERNOR_ROLE holder (default: --admin, else the deployer)")
    .addOptionalParam("admin", "Hand every role to this account: group admin and governor, verifier POLICY_ROLE and admin (the deployer keeps none)")
    .addOptionalParam("operators", "Comma-separated accounts granted OPERATOR_ROLE, the only ones whose joins are accepted (default: the deployer; none with --admin)")
    .addOptionalParam("openAdmission", "Open admission (public group): any account may join, at most this many non-operator joins per block (1..16)", undefined, types.int)
    .addOptionalParam("adminDelay", "Two-step admin transfer delay in seconds", undefined, types.int)
    .addOptionalParam("dataDir", "Where deployment-<chainId>.json is written (default: anonify.dataDir)")
    .addOptionalParam("deploymentId", "Ignition deployment id (journal name on persistent networks)")
    .addOptionalParam("runtime", "The state runtime the group runs, recorded in the contract (default: anonify.runtime, \"anonify-token/v1\"); the enclave binary must carry it")
    .addOptionalParam("keyEnv", "Environment variable holding the deployer's private key (instead of the network's accounts; never a key in a file)")
    .addFlag("force", "Replace this data dir's record of a group that still exists (the old record is kept beside it)")
    .setAction(pluginErrors(async (args: DeployTaskArgs, hre) => {
      const { deployAnonify, deploymentFile } = await import("../src/node/deployment");
      if (args.keyEnv !== undefined) {
        const { useKeyFromEnvForNetwork } = await import("./signer");
        await useKeyFromEnvForNetwork(hre, args.keyEnv);
      }
      const record = await deployAnonify(hre, {
        attestation: args.attestation as DeployOptions["attestation"],
        mrenclaves: args.mrenclave?.split(",").map((m) => m.trim()).filter((m) => m.length > 0),
        governor: args.governor,
        admin: args.admin,
        adminTransferDelay: args.adminDelay,
        operators: args.operators?.split(",").map((o) => o.trim()).filter((o) => o.length > 0),
        openAdmission: args.openAdmission,
        dataDir: args.dataDir,
        deploymentId: args.deploymentId,
        force: args.force,
        runtime: args.runtime,
      });
      const dcap = record.attestation === "dcap";
      const anchor = dcap
        ? record.trustAnchor === "simulation"
          ? "simulation (development PCS root; Intel-pinned verifiers reject it)"
          : "Intel SGX Root CA"
        : record.trustAnchor === "simulation"
          ? "simulation (development IAS CA; Intel-pinned verifiers reject it)"
          : "Intel IAS CA";
      console.log(`Anonify deployed on ${record.network} (chain ${record.chainId}), evidence: ${dcap ? "DCAP quotes" : "IAS reports"}, trust anchor: ${anchor}`);
      console.log(`  AnonifyGroup  ${record.group}  (block ${record.deploymentBlock})`);
      if (dcap) {
        console.log(`  DcapVerifier  ${record.verifier}`);
        console.log(`  collateral    ${record.dcapCollateral}  (DcapCollateral: TCB Info, QE Identity)`);
        console.log(`  CRLs          ${record.dcapCrls}  (DcapCrls: root CA and PCK CA CRLs)`);
      } else {
        console.log(`  IasVerifier   ${record.verifier}`);
      }
      console.log(`  MRENCLAVE     ${record.mrenclaves.join(", ")}`);
      const { allowedStatusesFor } = await import("../src/node/deployment");
      console.log(`  ${dcap ? "TCB statuses" : "statuses    "}  ${allowedStatusesFor(hre.config.anonify, record.attestation ?? "ias").join(", ")}${hre.config.anonify.policy.allowDebug ? "  (DEBUG enclaves allowed)" : ""}`);
      console.log(`  runtime       ${record.runtime}`);
      console.log(`  admin         ${record.admin}  (group admin, verifier POLICY_ROLE)`);
      console.log(`  governor      ${record.governor}`);
      console.log(`  operators     ${record.operators.length > 0 ? record.operators.join(", ") : "none (the admin grants OPERATOR_ROLE)"}`);
      if (record.openAdmissionMaxJoinsPerBlock > 0) {
        console.log(`  admission     open: any account may join, ${record.openAdmissionMaxJoinsPerBlock} non-operator join(s) per block`);
      }
      if (record.pendingVerifierAdmin !== undefined) {
        console.log(`  handover      the deployer renounced POLICY_ROLE and holds no group role; the verifier's admin role`);
        console.log(`                moves in two steps: ${record.pendingVerifierAdmin} calls acceptDefaultAdminTransfer() on`);
        console.log(`                ${record.verifier} after the admin delay`);
      }
      const dataDir = args.dataDir ?? hre.config.anonify.dataDir;
      console.log(`  written to    ${deploymentFile(dataDir, record.chainId)}`);
      if (dcap) {
        // The stores start empty: no enclave joins until the collateral of its platform is on chain.
        const network = hre.network.name === "hardhat" ? "" : ` --network ${hre.network.name}`;
        console.log(`  next          the stores start empty: no enclave joins until its platform's TCB Info, the QE Identity and`);
        console.log(`                the CRLs are upserted (anyone may, under Intel's signatures; a node does it before its join):`);
        console.log(`                npx hardhat${network} anonify:collateral --collateral ${record.dcapCollateral} --crls ${record.dcapCrls}${record.trustAnchor === "intel" ? " --fmspc <your platform's>" : ""}`);
      }
      if (record.deploymentId !== undefined) {
        console.log(`  deployment id ${record.deploymentId}  (Ignition journal; an interrupted deploy resumes when the same command runs again)`);
      }
      if (hre.network.name !== "hardhat" && hre.network.name !== "localhost") {
        const { verifyCommands } = await import("../src/node/deployment");
        const { commands } = verifyCommands(record, dataDir);
        console.log("  verify        on the network's explorer (hardhat-verify; an `etherscan` section in hardhat.config.ts):");
        for (const command of commands) console.log(`                ${command}`);
      }
      if (hre.network.name === "hardhat") {
        // The commonest first mistake: the contracts vanish with this process, and every later task finds nothing.
        console.log("  note          deployed on Hardhat's in-process chain, which ends with this command: for nodes and");
        console.log("                token tasks, start `npx hardhat node` and deploy with --network localhost");
      }
      return record;
    }));
}

define(task(DEPLOY_TASK, DESCRIPTION));
define(scope(ANONIFY_SCOPE).task("deploy", DESCRIPTION));
