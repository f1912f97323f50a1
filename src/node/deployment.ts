/**
 * Deploying a group through the project's Ignition modules, by evidence kind: IAS (IasVerifier pinned to the
 * configured CA + AnonifyGroup, deploy/modules/anonifyModule.ts) or DCAP (DcapCollateral, DcapCrls, DcapVerifier and
 * their linked libraries pinned to the DCAP root of the mode + AnonifyGroup, deploy/modules/anonifyDcapModule.ts);
 * and the deployment record nodes start from: `<dataDir>/deployment-<chainId>.json`.
 */
import fs from "node:fs";
import path from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { getAddress, hexlify, isAddress, isHexString } from "ethers";
import { anonifyModuleId, buildAnonifyModule, DEFAULT_ADMIN_TRANSFER_DELAY_SECONDS, MAX_OPEN_JOINS_PER_BLOCK } from "../../deploy/modules/anonifyModule";
import { anonifyDcapModuleId, buildAnonifyDcapModule } from "../../deploy/modules/anonifyDcapModule";
import { caDerOf } from "../attestation/roots";
import { dcapRootDer, type DcapRootName } from "../attestation/dcap/roots";
import type { TcbStatus } from "../attestation/dcap/collateral";
import type { AnonifyConfig, AttestationKind } from "../config";
import { EnclaveProcess } from "../enclave/EnclaveProcess";
import { ensureEnclaveBuilt } from "../enclave/build";
import { anonifyArtifacts } from "../package/artifacts";
import { findDeploymentBlock } from "./chainReader";
import { runtimeNameProblem } from "../runtimes/name";
import { NodeError } from "./errors";
import { crashPoint, NODE_CRASH_ENV } from "./crashPoints";

export interface DeployOptions {
  /**
   * The evidence the group admits: "dcap" (DcapVerifier and its collateral stores, pinned to the DCAP root of the
   * mode: the development PCS's SIMULATION root in simulation, Intel's SGX Root CA in sgx) or "ias" (IasVerifier
   * pinned to `anonify.iasRootCa`). Default `anonify.attestation`. The statuses allowed are
   * `anonify.policy.allowedStatuses` when this is the configured kind, else the kind's default ("UpToDate" / "OK"):
   * the two kinds' status vocabularies differ, as for a network whose mode changes the kind (src/config.ts).
   */
  attestation?: AttestationKind;
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
   * `<ignition>/deployments/<id>`. Default: `anonify-<chainId>`, or `anonify-<chainId>-<n>` (n = 2, 3, …) when a
   * deployment of that id completed already (named by a deployment record of the data dir, or a journal whose every
   * future completed): the same command after an interrupted deploy resumes its journal; `--force` (a new group
   * beside a live one) and a reset chain take the next id. Recorded in the deployment record.
   */
  deploymentId?: string;
  /**
   * Replace the data dir's record of a group that still exists on this chain (the old record is kept beside it as
   * `deployment-<chainId>.replaced-<unix ms>.json`). Without it such a deployment is refused before anything is paid.
   */
  force?: boolean;
  /**
   * The state runtime the group runs (recorded in the contract); default `anonify.runtime`. In simulation mode it must
   * be one the configured enclave binary carries; in sgx mode the measured binary's nodes refuse a group whose runtime
   * they do not carry (`runtime_unavailable`).
   */
  runtime?: string;
}

export interface DeploymentRecord {
  chainId: string;
  network: string;
  /**
   * The evidence the group's verifier admits. Absent in records written before DCAP deployments existed: those are
   * IAS groups ({@link readDeployment} fills in "ias").
   */
  attestation?: AttestationKind;
  /**
   * The root the verifier pins: with IAS the report-signing CA (`anonify.iasRootCa`: Intel's or the development
   * IAS's), with DCAP the SGX root (Intel's SGX Root CA, or the development PCS's SIMULATION root).
   */
  trustAnchor: "intel" | "simulation";
  group: string;
  /** The group's verifier: an IasVerifier or a DcapVerifier (see `attestation`). */
  verifier: string;
  /** DCAP only: the DcapCollateral store (TCB Info, QE Identity) the verifier reads; starts empty (`anonify:collateral`). */
  dcapCollateral?: string;
  /** DCAP only: the DcapCrls store (root CA and PCK CA CRLs) the verifier reads; starts empty (`anonify:collateral`). */
  dcapCrls?: string;
  /** DCAP only: the libraries the stores and the verifier link (explorer verification). */
  dcapLibraries?: { TcbInfo: string; QeIdentity: string; PckChainVerification: string };
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
  /** The state runtime the group runs (`AnonifyGroup.runtime()`). Absent in records written before it existed. */
  runtime?: string;
  /** The Ignition deployment id (its journal: `<ignition>/deployments/<id>`); absent on the in-process network. */
  deploymentId?: string;
  /**
   * Constructor arguments of the contracts as deployed (explorer verification: `npx hardhat verify`); with DCAP also
   * the stores' (the libraries take none).
   */
  constructorArgs?: { verifier: unknown[]; group: unknown[]; collateral?: unknown[]; crls?: unknown[] };
}

/** The evidence kind of a record (records written before DCAP deployments existed are IAS groups). */
export function deploymentAttestation(record: Pick<DeploymentRecord, "attestation">): AttestationKind {
  return record.attestation ?? "ias";
}

/**
 * The DCAP root a deployment pins, by mode: the development PCS's SIMULATION root in simulation (what the simulation
 * enclave compiles in and `anonify:collateral` defaults to), Intel's SGX Root CA in sgx. Not `anonify.iasRootCa`,
 * which names an IAS report-signing CA: a simulation project pinning Intel's IAS CA still produces development DCAP
 * quotes, which only the SIMULATION root accepts.
 */
export function dcapRootOf(config: Pick<AnonifyConfig, "mode">): DcapRootName {
  return config.mode === "sgx" ? "intel" : "simulation";
}

/** The statuses a deployment of `attestation` allows (see {@link DeployOptions.attestation}). */
export function allowedStatusesFor(config: Pick<AnonifyConfig, "attestation" | "policy">, attestation: AttestationKind): string[] {
  if (attestation === config.attestation) return [...config.policy.allowedStatuses];
  return [attestation === "dcap" ? "UpToDate" : "OK"];
}

export function deploymentFile(dataDir: string, chainId: bigint | string): string {
  return path.join(dataDir, `deployment-${chainId}.json`);
}

/** MRENCLAVE of the configured enclave binary (simulation: SHA-256 of the executable). */
export async function configuredMrenclave(hre: HardhatRuntimeEnvironment): Promise<string> {
  return (await configuredEnclaveStatus(hre)).mrenclave;
}

/** The configured (simulation) enclave binary's measurement and the runtimes it carries, from its `status`. */
export async function configuredEnclaveStatus(hre: HardhatRuntimeEnvironment): Promise<{ mrenclave: string; runtimes: string[] }> {
  await ensureEnclaveBuilt(hre.config.anonify);
  const enclave = await EnclaveProcess.start({ binary: hre.config.anonify.enclave.binary, mode: "simulation" });
  try {
    const status = await enclave.status();
    return { mrenclave: status.mrenclave, runtimes: status.runtimes };
  } finally {
    await enclave.close();
  }
}

export async function deployAnonify(hre: HardhatRuntimeEnvironment, options: DeployOptions = {}): Promise<DeploymentRecord> {
  const config = hre.config.anonify;
  const attestation = options.attestation ?? config.attestation;
  if (attestation !== "dcap" && attestation !== "ias") {
    throw new NodeError("invalid_options", `--attestation must be "dcap" or "ias", got ${JSON.stringify(attestation)}`);
  }
  const runtime = options.runtime ?? config.runtime;
  const runtimeProblem = runtimeNameProblem(runtime);
  if (runtimeProblem !== undefined) throw new NodeError("invalid_options", `--runtime ${runtimeProblem}`);
  let mrenclaves = options.mrenclaves ?? [];
  if (config.mode === "simulation") {
    // The simulation binary is the one the nodes will run: it must carry the group's runtime.
    const status = await configuredEnclaveStatus(hre);
    if (!status.runtimes.includes(runtime)) {
      throw new NodeError(
        "runtime_unavailable",
        `the enclave binary ${config.enclave.binary} does not carry the runtime "${runtime}" (it carries: ${status.runtimes.join(", ")}); ` +
          "choose one of those with --runtime or anonify.runtime, or add the runtime to the build (docs/runtimes.md)",
      );
    }
    if (mrenclaves.length === 0) mrenclaves = [status.mrenclave];
  } else if (mrenclaves.length === 0) {
    throw new NodeError("invalid_options", "sgx deployments need --mrenclave (the signed enclave's measurement)");
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
  const groupSettings = {
    handoverTo,
    allowedMrenclaves: mrenclaves,
    debugAllowed: config.policy.allowDebug,
    operators,
    openAdmissionMaxJoinsPerBlock: openAdmission,
    artifacts: anonifyArtifacts(hre),
    runtime,
  };
  const allowedStatuses = allowedStatusesFor(config, attestation);
  const dcapRoot = dcapRootOf(config);
  const parameters: Record<string, string | number> = {};
  if (options.governor !== undefined) parameters.governor = getAddress(options.governor);
  if (options.adminTransferDelay !== undefined) parameters.adminTransferDelay = options.adminTransferDelay;
  const { chainId } = await hre.ethers.provider.getNetwork();
  const dataDir = options.dataDir ?? config.dataDir;
  const replaced = await refuseToOverwrite(hre, dataDir, chainId, options.force === true);
  let module: ReturnType<typeof buildAnonifyModule> | ReturnType<typeof buildAnonifyDcapModule>;
  let moduleId: string;
  try {
    if (attestation === "dcap") {
      module = buildAnonifyDcapModule({ ...groupSettings, root: dcapRoot, allowedTcbStatuses: allowedStatuses as TcbStatus[] });
      moduleId = anonifyDcapModuleId(dcapRoot);
    } else {
      module = buildAnonifyModule({ ...groupSettings, trustAnchor: config.iasRootCa, allowedStatuses, maxReportAgeSeconds: config.policy.maxReportAgeSeconds });
      moduleId = anonifyModuleId(config.iasRootCa);
    }
  } catch (error) {
    // The module's own checks (e.g. a TCB status a DcapVerifier can never allow): nothing was deployed.
    throw new NodeError("invalid_options", `the ${attestation === "dcap" ? "DCAP" : "IAS"} deployment's settings: ${(error as Error).message}`);
  }
  const deploymentId = options.deploymentId ?? (hre.network.name === "hardhat" ? undefined : defaultDeploymentId(hre, dataDir, chainId, module));
  if ((process.env[NODE_CRASH_ENV] ?? "").startsWith("deploy:")) {
    // Crash tests (docs/testnet.md "An interrupted deploy"): SIGKILL when Ignition estimates the gas of the n-th
    // transaction, before it prepares (journals) and sends it: the journal ends with the futures before it.
    const provider = hre.network.provider;
    const request = provider.request.bind(provider);
    provider.request = async (args) => {
      if (args.method === "eth_estimateGas") crashPoint("deploy:send");
      return request(args);
    };
  }
  const ignitionOptions = { parameters: { [moduleId]: parameters }, deploymentId };
  const deployed = (
    attestation === "dcap"
      ? await hre.ignition.deploy(module as ReturnType<typeof buildAnonifyDcapModule>, ignitionOptions)
      : await hre.ignition.deploy(module as ReturnType<typeof buildAnonifyModule>, ignitionOptions)
  ) as Record<string, { getAddress(): Promise<string> }>;
  const addressOf = async (name: string) => getAddress(await deployed[name].getAddress());
  const group = await addressOf("group");
  const record: DeploymentRecord = {
    chainId: chainId.toString(),
    network: hre.network.name,
    attestation,
    trustAnchor: attestation === "dcap" ? dcapRoot : config.iasRootCa,
    group,
    verifier: await addressOf("verifier"),
    ...(attestation === "dcap"
      ? {
          dcapCollateral: await addressOf("collateral"),
          dcapCrls: await addressOf("crls"),
          dcapLibraries: {
            TcbInfo: await addressOf("tcbInfo"),
            QeIdentity: await addressOf("qeIdentity"),
            PckChainVerification: await addressOf("pckChainVerification"),
          },
        }
      : {}),
    deploymentBlock: await findDeploymentBlock(hre.ethers.provider, group),
    mrenclaves: mrenclaves.map((m) => m.toLowerCase()),
    deployer: deployerAddress,
    governor: options.governor !== undefined ? getAddress(options.governor) : (handoverTo ?? deployerAddress),
    admin: handoverTo ?? deployerAddress,
    ...(handoverTo !== undefined ? { pendingVerifierAdmin: handoverTo } : {}),
    operators,
    openAdmissionMaxJoinsPerBlock: openAdmission,
    runtime,
    ...(deploymentId !== undefined ? { deploymentId } : {}),
  };
  // As the modules pass them (deploy/modules/anonifyModule.ts, anonifyDcapModule.ts): what an explorer needs to
  // verify the sources.
  const delay = options.adminTransferDelay ?? DEFAULT_ADMIN_TRANSFER_DELAY_SECONDS;
  const groupArgs = [record.verifier, record.admin, delay, record.governor, operators, openAdmission, runtime];
  if (attestation === "dcap") {
    const rootDer = hexlify(dcapRootDer(dcapRoot));
    record.constructorArgs = {
      verifier: [rootDer, record.dcapCollateral, record.dcapCrls, deployerAddress, delay],
      group: groupArgs,
      collateral: [rootDer],
      crls: [rootDer],
    };
  } else {
    record.constructorArgs = { verifier: [hexlify(caDerOf(config.iasRootCa)), deployerAddress, delay], group: groupArgs };
  }
  fs.mkdirSync(dataDir, { recursive: true });
  if (replaced !== undefined) fs.renameSync(deploymentFile(dataDir, chainId), replaced);
  fs.writeFileSync(deploymentFile(dataDir, chainId), JSON.stringify(record, null, 2) + "\n");
  return record;
}

type IgnitionModuleLike = { futures: Set<{ id: string; type: string }>; submodules: Set<unknown> };

/** The futures of an Ignition module and its submodules. */
function moduleFutures(module: IgnitionModuleLike): Array<{ id: string; type: string }> {
  const futures = [...module.futures];
  for (const sub of module.submodules) futures.push(...moduleFutures(sub as IgnitionModuleLike));
  return futures;
}

/** Whether the Ignition journal of `deploymentId` completed every future of `module` (a finished deployment). */
export function ignitionJournalComplete(hre: HardhatRuntimeEnvironment, deploymentId: string, module: IgnitionModuleLike): boolean {
  const journal = path.join(hre.config.paths.ignition, "deployments", deploymentId, "journal.jsonl");
  if (!fs.existsSync(journal)) return false;
  const completed = new Set<string>();
  const initialised = new Set<string>();
  for (const line of fs.readFileSync(journal, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    let message: { type?: string; futureId?: string };
    try {
      message = JSON.parse(line) as typeof message;
    } catch {
      continue; // a line cut short by the interruption
    }
    if (message.futureId === undefined || message.type === undefined) continue;
    if (message.type.endsWith("_EXECUTION_STATE_COMPLETE") || message.type === "STATIC_CALL_COMPLETE") completed.add(message.futureId);
    if (message.type.endsWith("_EXECUTION_STATE_INITIALIZE")) initialised.add(message.futureId);
  }
  // Deployments, calls and sends complete; the other futures (contractAt, event reads, ...) are only initialised.
  return moduleFutures(module).every((f) => (/DEPLOYMENT$|^CONTRACT_CALL$|^STATIC_CALL$|^SEND_DATA$/.test(f.type) ? completed.has(f.id) : initialised.has(f.id)));
}

/** Ids named by the data dir's deployment records of this chain (the current one and those --force replaced). */
function recordedDeploymentIds(dataDir: string, chainId: bigint): Set<string> {
  const ids = new Set<string>();
  if (!fs.existsSync(dataDir)) return ids;
  for (const name of fs.readdirSync(dataDir)) {
    if (name !== `deployment-${chainId}.json` && !(name.startsWith(`deployment-${chainId}.replaced-`) && name.endsWith(".json"))) continue;
    try {
      const id = (JSON.parse(fs.readFileSync(path.join(dataDir, name), "utf8")) as { deploymentId?: unknown }).deploymentId;
      if (typeof id === "string") ids.add(id);
    } catch {
      // readDeployment reports a broken current record; a broken old one names no id
    }
  }
  return ids;
}

/**
 * The default Ignition deployment id: `anonify-<chainId>`, else the first `anonify-<chainId>-<n>` (n = 2, 3, …)
 * whose deployment has not completed. Deterministic, so re-running an interrupted deploy resumes its journal.
 */
export function defaultDeploymentId(
  hre: HardhatRuntimeEnvironment,
  dataDir: string,
  chainId: bigint,
  module: IgnitionModuleLike,
): string {
  const recorded = recordedDeploymentIds(dataDir, chainId);
  for (let n = 1; ; n++) {
    const id = n === 1 ? `anonify-${chainId}` : `anonify-${chainId}-${n}`;
    if (!recorded.has(id) && !ignitionJournalComplete(hre, id, module)) return id;
  }
}

/**
 * The `npx hardhat verify` commands of a deployment (hardhat-verify, an `etherscan` section in the config): the
 * verifier's constructor arguments inline, the group's (an array among them) in a file written beside the record.
 * A DCAP deployment adds its three libraries (no arguments), the two stores (the root inline) and, for the contracts
 * that link libraries, a `--libraries` file naming their addresses (hardhat-verify finds libraries used outside the
 * constructor by itself; the file makes the match explicit).
 */
export function verifyCommands(record: DeploymentRecord, dataDir: string): { commands: string[]; argsFile?: string; librariesFiles?: string[] } {
  if (record.constructorArgs === undefined) return { commands: [] };
  const argsFile = path.join(dataDir, `verify-args-${record.chainId}-AnonifyGroup.js`);
  fs.writeFileSync(argsFile, `// Constructor arguments of AnonifyGroup ${record.group} (anonify:deploy)\nmodule.exports = ${JSON.stringify(record.constructorArgs.group, null, 2)};\n`);
  const inline = (args: unknown[] | undefined) => (args ?? []).map((a) => String(a)).join(" ");
  const verify = (address: string, options = "") => `npx hardhat verify --network ${record.network} ${options}${address}`;
  const groupCommand = verify(record.group, `--constructor-args ${argsFile} `);
  if (deploymentAttestation(record) !== "dcap") {
    return { commands: [`${verify(record.verifier)} ${inline(record.constructorArgs.verifier)}`, groupCommand], argsFile };
  }
  const libraries = record.dcapLibraries;
  if (libraries === undefined || record.dcapCollateral === undefined || record.dcapCrls === undefined) {
    throw new NodeError("invalid_options", "the DCAP deployment record names no collateral stores or libraries (dcapCollateral, dcapCrls, dcapLibraries)");
  }
  const librariesFile = (name: string, linked: Record<string, string>) => {
    const file = path.join(dataDir, `verify-libraries-${record.chainId}-${name}.js`);
    fs.writeFileSync(file, `// Libraries linked into ${name} (anonify:deploy)\nmodule.exports = ${JSON.stringify(linked, null, 2)};\n`);
    return file;
  };
  const collateralLibraries = librariesFile("DcapCollateral", { TcbInfo: libraries.TcbInfo, QeIdentity: libraries.QeIdentity });
  const verifierLibraries = librariesFile("DcapVerifier", { PckChainVerification: libraries.PckChainVerification });
  return {
    commands: [
      verify(libraries.TcbInfo),
      verify(libraries.QeIdentity),
      verify(libraries.PckChainVerification),
      `${verify(record.dcapCollateral, `--libraries ${collateralLibraries} `)} ${inline(record.constructorArgs.collateral)}`,
      `${verify(record.dcapCrls)} ${inline(record.constructorArgs.crls)}`,
      `${verify(record.verifier, `--libraries ${verifierLibraries} `)} ${inline(record.constructorArgs.verifier)}`,
      groupCommand,
    ],
    argsFile,
    librariesFiles: [collateralLibraries, verifierLibraries],
  };
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
  if (record.attestation !== undefined && record.attestation !== "dcap" && record.attestation !== "ias") {
    throw new NodeError("invalid_options", `${file} names an unknown evidence kind ${JSON.stringify(record.attestation)} (expected "attestation": "dcap" or "ias")`);
  }
  // Records written before DCAP deployments existed are IAS groups.
  return { ...record, attestation: deploymentAttestation(record) };
}
