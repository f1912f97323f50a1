import { scope, task } from "hardhat/config";
import type { ConfigurableTaskDefinition, HardhatRuntimeEnvironment } from "hardhat/types";
import { auditGroup, formatAuditReport, type AuditReport } from "../src/client/audit";
import { resolveGroupForTask } from "../src/client/deployment";
import { AnonifyPluginError } from "../src/errors";

export const AUDIT_TASK = "anonify:audit";
const DESCRIPTION =
  "Replay an AnonifyGroup's log from the chain: re-verify every join's IAS report, recover every signature against the roster, check epochs, stateCounter and checkpoint agreement; exit 1 on any finding";

export interface AuditTaskArgs {
  group?: string;
  fromBlock?: string;
  json: boolean;
  quiet: boolean;
}

export async function runAuditTask(args: AuditTaskArgs, hre: HardhatRuntimeEnvironment): Promise<AuditReport> {
  const provider = hre.ethers.provider;
  let deployment;
  try {
    deployment = await resolveGroupForTask(provider, hre.config.anonify.dataDir, args.group);
  } catch (error) {
    throw new AnonifyPluginError((error as Error).message);
  }
  if (args.fromBlock !== undefined && !/^[0-9]+$/.test(args.fromBlock)) throw new AnonifyPluginError(`--from-block must be a block number, got ${args.fromBlock}`);
  const fromBlock = args.fromBlock === undefined ? 0 : Number(args.fromBlock);
  const report = await auditGroup(provider, deployment.group, { fromBlock });
  if (!args.quiet) {
    console.log(args.json ? JSON.stringify(report, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2) : formatAuditReport(report));
  }
  // Exit code 1 on any finding, as CI jobs expect from an audit.
  if (report.findings.length > 0) process.exitCode = 1;
  return report;
}

function define(t: ConfigurableTaskDefinition): void {
  t.addOptionalParam("group", "AnonifyGroup address (default: the deployment file of anonify:deploy for this chain)")
    .addOptionalParam("fromBlock", "First block to read (default 0: the whole chain, which also checks the contract's head)")
    .addFlag("json", "Print the report as JSON")
    .addFlag("quiet", "Print nothing (exit code only)")
    .setAction((args: AuditTaskArgs, hre) => runAuditTask(args, hre));
}

define(task(AUDIT_TASK, DESCRIPTION));
define(scope("anonify", "Anonify: confidential state over a public chain with SGX enclaves").task("audit", DESCRIPTION));
