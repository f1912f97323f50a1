/**
 * Deploying a group (IasVerifier pinned to the configured CA + AnonifyGroup, the project's Ignition module) and
 * the deployment record nodes start from: `<dataDir>/deployment-<chainId>.json`.
 */
import fs from "node:fs";
import path from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { getAddress, isAddress, isHexString } from "ethers";
import { anonifyModuleId, buildAnonifyModule, MAX_OPEN_JOINS_PER_BLOCK } from "../../deploy/modules/anonifyModule";
import { EnclaveProcess } from "../enclave/EnclaveProcess";
import { ensureEnclaveBuilt } from "../enclave/build";
import { anonifyArtifacts } from "../package/artifacts";
import { findDeploymentBlock } from "./chainReader";
import { NodeError } from "./errors";

export interface DeployOptions {
  /** MRENCLAVEs allowed to join; default (simulation): the configured enclave binary's. Required in sgx mode. */
  mrenclaves?: string[];
  /** GOVERNOR_ROLE holder; default `admin` when given, else the deployer. */
  governor?: string;
  /**
   * The account every role is handed to (audit F-3): the group's admin (and governor unless `governor` says
   * otherwise), the verifier's POLICY_ROLE (the deployer renounces its own) and the verifier's admin (a two-step
   * transfer: the new admin calls `acceptDefaultAdminTransfer` after the delay). Default: the deployer keeps them.
   */
  admin?: string;
  /**
   * Accounts granted the group's OPERATOR_ROLE (only they may submit joins: audit F-2). Default: the deployer, or
   * none with `admin` (the deployer keeps no role after a handover, so it may not be listed then).
   */
  operators?: string[];
  /** Open admission with this many joins of non-operators per block (1..16); default closed. */
  openAdmission?: number;
  /** Two-step admin transfer delay (seconds); default the module's (2 days). */
  adminTransferDelay?: number;
  /** Where the record is written; default `anonify.dataDir`. */
  dataDir?: string;
  /**
   * Ignition deployment id: networks other than the in-process one keep a journal under
   * `deploy/deployments/<id>`. Default: a new id per deployment (`anonify-<chainId>-<unix ms>`), so a restarted
   * local chain never meets the journal of a previous one.
   */
  deploymentId?: string;
  /**
   * Replace the data dir's record of a group that still exists on this chain (the old record is kept beside it as
   * `deployment-<chainId>.replaced-<unix ms>.json`). Without it such a deployment is refused before anything is paid.
   */
  force?: boolean;
}

export interface DeploymentRecord {
  chainId: string;
  network: string;
  trustAnchor: "intel" | "simulation";
  group: string;
  verifier: string;
  /** Block of the group's deployment: nodes read the log from here. */
  deploymentBlock: number;
  mrenclaves: string[];
  deployer: string;
  governor: string;
  /** Holder of the group's admin role and the verifier's POLICY_ROLE (the deployer unless handed over). */
  admin: string;
  /** The verifier's admin transfer to `admin` waiting for acceptance, when the roles were handed over. */
  pendingVerifierAdmin?: string;
  /** Holders of the group's OPERATOR_ROLE at deployment (the accounts whose joins are accepted). */
  operators: string[];
  /** Per-block join limit of open admission; 0 = closed (only operators join). */
  openAdmissionMaxJoinsPerBlock: number;
}

export function deploymentFile(dataDir: string, chainId: bigint | string): string {
  return path.join(dataDir, `deployment-${chainId}.json`);
}

/** MRENCLAVE of the configured enclave binary (simulation: SHA-256 of the executable). */
export async function configuredMrenclave(hre: HardhatRuntimeEnvironment): Promise<string> {
  await ensureEnclaveBuilt(hre.config.anonify);
  const enclave = await EnclaveProcess.start({ binary: hre.config.anonify.enclave.binary, mode: "simulation" });
  try {
    return (await enclave.status()).mrenclave;
  } finally {
    await enclave.close();
  }
}

export async function deployAnonify(hre: HardhatRuntimeEnvironment, options: DeployOptions = {}): Promise<DeploymentRecord> {
  const config = hre.config.anonify;
  let mrenclaves = options.mrenclaves ?? [];
  if (mrenclaves.length === 0) {
    if (config.mode === "sgx") throw new NodeError("invalid_options", "sgx deployments need --mrenclave (the signed enclave's measurement)");
    mrenclaves = [await configuredMrenclave(hre)];
  }
  for (const m of mrenclaves) if (!isHexString(m, 32)) throw new NodeError("invalid_options", `MRENCLAVE ${m} is not 32-byte hex`);
  const [deployer] = await hre.ethers.getSigners();
  const deployerAddress = await deployer.getAddress();
  if (options.admin !== undefined && !isAddress(options.admin)) throw new NodeError("invalid_options", `--admin ${options.admin} is not an address`);
  if (options.governor !== undefined && !isAddress(options.governor)) throw new NodeError("invalid_options", `--governor ${options.governor} is not an address`);
  const handoverTo = options.admin !== undefined && getAddress(options.admin) !== deployerAddress ? getAddress(options.admin) : undefined;
  for (const operator of options.operators ?? []) {
    if (!isAddress(operator) || BigInt(operator) === 0n) throw new NodeError("invalid_options", `--operators: ${operator} is not an address`);
    if (handoverTo !== undefined && getAddress(operator) === deployerAddress) {
      throw new NodeError("invalid_options", "--operators names the deployer, which keeps no role after --admin hands the group over");
    }
  }
  const operators = options.operators !== undefined ? [...new Set(options.operators.map((o) => getAddress(o)))] : handoverTo !== undefined ? [] : [deployerAddress];
  const openAdmission = options.openAdmission ?? 0;
  if (options.openAdmission !== undefined && (!Number.isSafeInteger(openAdmission) || openAdmission < 1 || openAdmission > MAX_OPEN_JOINS_PER_BLOCK)) {
    throw new NodeError("invalid_options", `--open-admission must be a number of joins per block in 1..${MAX_OPEN_JOINS_PER_BLOCK}, got ${options.openAdmission}`);
  }
  const moduleConfig = {
    handoverTo,
    trustAnchor: config.iasRootCa,
    allowedMrenclaves: mrenclaves,
    allowedStatuses: config.policy.allowedStatuses,
    debugAllowed: config.policy.allowDebug,
    maxReportAgeSeconds: config.policy.maxReportAgeSeconds,
    operators,
    openAdmissionMaxJoinsPerBlock: openAdmission,
    artifacts: anonifyArtifacts(hre),
  };
  const parameters: Record<string, string | number> = {};
  if (options.governor !== undefined) parameters.governor = getAddress(options.governor);
  if (options.adminTransferDelay !== undefined) parameters.adminTransferDelay = options.adminTransferDelay;
  const { chainId } = await hre.ethers.provider.getNetwork();
  const dataDir = options.dataDir ?? config.dataDir;
  const replaced = await refuseToOverwrite(hre, dataDir, chainId, options.force === true);
  const deploymentId = options.deploymentId ?? (hre.network.name === "hardhat" ? undefined : `anonify-${chainId}-${Date.now()}`);
  const deployed = await hre.ignition.deploy(buildAnonifyModule(moduleConfig), {
    parameters: { [anonifyModuleId(config.iasRootCa)]: parameters },
    deploymentId,
  });
  const group = getAddress(await deployed.group.getAddress());
  const record: DeploymentRecord = {
    chainId: chainId.toString(),
    network: hre.network.name,
    trustAnchor: config.iasRootCa,
    group,
    verifier: getAddress(await deployed.verifier.getAddress()),
    deploymentBlock: await findDeploymentBlock(hre.ethers.provider, group),
    mrenclaves: mrenclaves.map((m) => m.toLowerCase()),
    deployer: deployerAddress,
    governor: options.governor !== undefined ? getAddress(options.governor) : (handoverTo ?? deployerAddress),
    admin: handoverTo ?? deployerAddress,
    ...(handoverTo !== undefined ? { pendingVerifierAdmin: handoverTo } : {}),
    operators,
    openAdmissionMaxJoinsPerBlock: openAdmission,
  };
  fs.mkdirSync(dataDir, { recursive: true });
  if (replaced !== undefined) fs.renameSync(deploymentFile(dataDir, chainId), replaced);
  fs.writeFileSync(deploymentFile(dataDir, chainId), JSON.stringify(record, null, 2) + "\n");
  return record;
}

/**
 * A data dir's record of a group that still has code on this chain is not overwritten by accident: refused unless
 * `force`, which returns where the old record is moved. A record whose group is gone (a reset or in-process chain)
 * is simply replaced.
 */
async function refuseToOverwrite(hre: HardhatRuntimeEnvironment, dataDir: string, chainId: bigint, force: boolean): Promise<string | undefined> {
  const existing = readDeployment(dataDir, chainId.toString());
  if (existing === undefined || (await hre.ethers.provider.getCode(existing.group)) === "0x") return undefined;
  const file = deploymentFile(dataDir, chainId);
  if (!force) {
    throw new NodeError(
      "deployment_exists",
      `${file} records group ${existing.group} (deployed at block ${existing.deploymentBlock}), which still exists on chain ${chainId}: ` +
        "pass --force to deploy a new group and replace the record (the old one is kept beside it), or use another --data-dir",
    );
  }
  return file.replace(/\.json$/, `.replaced-${Date.now()}.json`);
}

/**
 * The deployment record for `chainId` in `dataDir`, or undefined when there is none. A file that is not
 * JSON or names no valid group address is an error (a half-written or hand-edited record must not be
 * mistaken for "not deployed").
 */
export function readDeployment(dataDir: string, chainId: bigint | string): DeploymentRecord | undefined {
  const file = deploymentFile(dataDir, chainId);
  if (!fs.existsSync(file)) return undefined;
  let record: DeploymentRecord;
  try {
    record = JSON.parse(fs.readFileSync(file, "utf8")) as DeploymentRecord;
  } catch (error) {
    throw new NodeError("invalid_options", `${file} is not JSON: ${(error as Error).message}`);
  }
  if (typeof record !== "object" || record === null || typeof record.group !== "string" || !isAddress(record.group)) {
    throw new NodeError("invalid_options", `${file} names no AnonifyGroup address (expected a "group" field)`);
  }
  return record;
}
