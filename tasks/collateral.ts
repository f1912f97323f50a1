import { scope, task, types } from "hardhat/config";
import type { ConfigurableTaskDefinition, HardhatRuntimeEnvironment } from "hardhat/types";
import { isAddress } from "ethers";
import { AnonifyPluginError } from "../src/errors";
import { withPluginErrors } from "../src/taskErrors";
import { PcsClient, PcsClientError } from "../src/attestation/dcap/pcsClient";
import { syncCollateral, type CollateralItemResult } from "../src/attestation/dcap/collateralSync";
import { pinRoot } from "../src/attestation/dcap/x509";
import { dcapRootDer } from "../src/attestation/dcap/roots";
import { DEV_PLATFORM } from "../src/attestation/dcap/devPki";
import { ANONIFY_SCOPE } from "./verify-report";
import { taskSigner } from "./signer";

export const COLLATERAL_TASK = "anonify:collateral";
export const COLLATERAL_SCOPED_TASK = "collateral";

const DESCRIPTION =
  "Fetch DCAP collateral (TCB Info, QE Identity, CRLs) from the PCS or PCCS and upsert what is newer into DcapCollateral / DcapCrls; print what is on chain and when it expires";

export interface CollateralTaskArgs {
  collateral: string;
  crls: string;
  fmspc?: string;
  ca?: string;
  pcsUrl?: string;
  root?: string;
  dryRun?: boolean;
  account?: string;
  keyEnv?: string;
}

const FMSPC = /^(0x)?[0-9a-fA-F]{12}$/;

function when(seconds: number | undefined): string {
  return seconds === undefined ? "-" : new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
}

function expiresIn(nextUpdate: number | undefined, now: number): string {
  if (nextUpdate === undefined) return "not stored";
  const left = nextUpdate - now;
  if (left < 0) return `EXPIRED ${Math.ceil(-left / 3600)} h ago`;
  return left >= 2 * 86_400 ? `${Math.floor(left / 86_400)} d` : `${Math.floor(left / 3600)} h`;
}

/** One line per item: what happened and what the chain holds. */
export function formatCollateralTable(results: readonly CollateralItemResult[], now: number): string {
  const rows = [["item", "id", "action", "on chain: issued", "next update", "expires in", "gas"]];
  for (const r of results) {
    rows.push([
      r.item,
      r.id,
      r.action === "refused" ? `refused: ${r.error}` : r.action,
      when(r.onChain?.issued),
      when(r.onChain?.nextUpdate),
      expiresIn(r.onChain?.nextUpdate, now),
      r.gasUsed === undefined ? "" : r.gasUsed.toLocaleString("en-US"),
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd()).join("\n");
}

async function run(args: CollateralTaskArgs, hre: HardhatRuntimeEnvironment): Promise<CollateralItemResult[]> {
  const config = hre.config.anonify;
  for (const [name, value] of [["--collateral", args.collateral], ["--crls", args.crls]] as const) {
    if (!isAddress(value)) throw new AnonifyPluginError(`${name} must be the address of the deployed contract, got ${JSON.stringify(value)}`);
  }
  for (const [name, value] of [["--collateral", args.collateral], ["--crls", args.crls]] as const) {
    if ((await hre.ethers.provider.getCode(value)) === "0x") throw new AnonifyPluginError(`${name} ${value} has no code on network ${hre.network.name}`);
  }
  const ca = args.ca ?? "platform";
  if (ca !== "platform" && ca !== "processor") throw new AnonifyPluginError(`--ca must be "platform" or "processor", got ${JSON.stringify(ca)}`);
  const rootName = args.root ?? (config.mode === "sgx" ? "intel" : "simulation");
  if (rootName !== "intel" && rootName !== "simulation") throw new AnonifyPluginError(`--root must be "intel" or "simulation", got ${JSON.stringify(rootName)}`);
  if (config.mode === "sgx" && rootName === "simulation") throw new AnonifyPluginError(`--root simulation is refused in sgx mode: a production deployment pins Intel's SGX Root CA`);
  // Simulation: the development platform's FMSPC unless told otherwise; sgx: the operator names the platform.
  const fmspc = args.fmspc ?? (rootName === "simulation" ? DEV_PLATFORM.fmspc : undefined);
  if (fmspc === undefined) throw new AnonifyPluginError("--fmspc is required with Intel's root: the platform family of your PCK certificate (12 hex digits; `anonify:verify-quote` prints it)");
  if (!FMSPC.test(fmspc)) throw new AnonifyPluginError(`--fmspc must be 12 hex digits, got ${JSON.stringify(fmspc)}`);
  const pcsUrl = args.pcsUrl ?? config.dcap.pcsUrl;
  let pcs: PcsClient;
  try {
    pcs = new PcsClient({ baseUrl: pcsUrl, apiKey: config.dcap.apiKey });
  } catch (error) {
    throw new AnonifyPluginError(`--pcs-url: ${(error as Error).message}`);
  }
  const root = pinRoot(dcapRootDer(rootName));
  const signer = await taskSigner(hre, args);
  try {
    const results = await syncCollateral({
      pcs,
      collateral: args.collateral,
      crls: args.crls,
      signer,
      root,
      fmspc: fmspc.replace(/^0x/, ""),
      ca,
      dryRun: args.dryRun,
      progress: (line) => console.error(`anonify:collateral: ${line}`),
    });
    const latest = await hre.ethers.provider.getBlock("latest");
    console.log(formatCollateralTable(results, latest?.timestamp ?? Math.floor(Date.now() / 1000)));
    if (results.some((r) => r.action === "refused")) process.exitCode = 1;
    return results;
  } catch (error) {
    if (error instanceof PcsClientError) throw new AnonifyPluginError(`the PCS at ${pcsUrl} answered badly: ${error.message} (${error.code})`);
    throw error;
  }
}

function define(t: ConfigurableTaskDefinition): void {
  t.addParam("collateral", "Address of the DcapCollateral store (TCB Info, QE Identity)")
    .addParam("crls", "Address of the DcapCrls store (root CA CRL, PCK CA CRLs)")
    .addOptionalParam("fmspc", "Platform family whose TCB Info to keep (12 hex digits; default in simulation: the development platform's)")
    .addOptionalParam("ca", 'The PCK CA of the platform: "platform" (default) or "processor"')
    .addOptionalParam("pcsUrl", "PCS or PCCS base URL (default: anonify.dcap.pcsUrl, Intel's PCS)")
    .addOptionalParam("root", 'The root the stores pin: "intel" or "simulation" (default: by anonify.mode)')
    .addFlag("dryRun", "Only report what is stale; send nothing")
    .addOptionalParam("account", "Account index of the network that sends the upserts (default 0)", undefined, types.string)
    .addOptionalParam("keyEnv", "Environment variable holding the sender's private key (instead of --account; never a key in a file)")
    .setAction((args: CollateralTaskArgs, hre) => withPluginErrors(() => run(args, hre)));
}

define(task(COLLATERAL_TASK, DESCRIPTION));
define(scope(ANONIFY_SCOPE).task(COLLATERAL_SCOPED_TASK, DESCRIPTION));
