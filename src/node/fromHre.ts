/**
 * Nodes built from the Hardhat environment: the configured enclave binary and mode, a signer of the network,
 * the group from an option or the deployment record, the attester the mode requires. Used by the `anonify:*`
 * tasks and meant for `hre.anonify`.
 */
import path from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { Signer } from "ethers";
import type { EnclaveMode } from "../enclave/protocol";
import { ensureEnclaveBuilt } from "../enclave/build";
import { AnonifyNode } from "./AnonifyNode";
import { IntelIasAttester, type Attester } from "./attester";
import { readDeployment } from "./deployment";
import { IN_PROCESS_HINT } from "../client/deployment";
import { NodeError } from "./errors";
import type { NodeLogger } from "./logger";
import type { RateLimitOptions } from "./rateLimit";

export interface HreNodeOptions {
  /** Default `anonify.mode`. */
  mode?: EnclaveMode;
  /** The node's own directory; default `<anonify.dataDir>/node-<account>`. */
  dataDir?: string;
  /** HTTP port (0 = any free port; default 0); `false` for no HTTP API. */
  port?: number | false;
  host?: string;
  /** Commands accepted per sender at the HTTP API (HttpApiOptions.commandRateLimit; `false` = off). */
  commandRateLimit?: RateLimitOptions | false;
  /** Enclave-bound requests per client IP at the HTTP API (HttpApiOptions.requestRateLimit; `false` = off). */
  requestRateLimit?: RateLimitOptions | false;
  /** Group address; default from `deployment-<chainId>.json` in the node's data dir or `anonify.dataDir`. */
  group?: string;
  /** Default `anonify.confirmations` (the selected network's). */
  confirmations?: number;
  /** Signer index of the network's accounts (default 0) or a signer. */
  account?: number | Signer;
  checkpointInterval?: number;
  /** AnonifyNodeOptions.issuedAtWindow. */
  issuedAtWindow?: number;
  pollIntervalMs?: number;
  /** Sync on the provider's "block" event too (AnonifyNodeOptions.syncOnNewBlocks; default true). */
  syncOnNewBlocks?: boolean;
  maxBatchSize?: number;
  batchWindowMs?: number;
  /** Blocks of restore points kept for reorg rollback (AnonifyNodeOptions.reorgDepth). */
  reorgDepth?: number;
  snapshotStaggerMs?: number;
  /** Called when the node stops by itself (its enclave died). */
  onFatal?: (error: Error) => void;
  logger?: NodeLogger;
  /** Replaces the mode's attester (the development IAS in simulation, Intel IAS in sgx). */
  attester?: Attester;
}

export async function createNode(hre: HardhatRuntimeEnvironment, options: HreNodeOptions = {}): Promise<AnonifyNode> {
  const config = hre.config.anonify;
  const mode = options.mode ?? config.mode;
  if (mode !== "simulation" && mode !== "sgx") throw new NodeError("invalid_options", `--mode must be simulation or sgx, got ${String(mode)}`);
  await ensureEnclaveBuilt({ ...config, mode });
  const signers = await hre.ethers.getSigners();
  const account = options.account ?? 0;
  let signer: Signer;
  if (typeof account === "number") {
    if (!Number.isSafeInteger(account) || account < 0 || account >= signers.length) {
      throw new NodeError("invalid_options", `account ${account} is not one of the network's ${signers.length} accounts`);
    }
    signer = signers[account];
  } else {
    signer = account;
  }
  const dataDir = path.resolve(options.dataDir ?? path.join(config.dataDir, `node-${typeof account === "number" ? account : await signer.getAddress()}`));
  const { chainId } = await hre.ethers.provider.getNetwork();
  const record = readDeployment(dataDir, chainId) ?? readDeployment(config.dataDir, chainId);
  const group = options.group ?? record?.group;
  if (group === undefined) {
    throw new NodeError(
      "invalid_options",
      `no --group and no deployment-${chainId}.json in ${dataDir} or ${config.dataDir}: run anonify:deploy first` +
        (hre.network.name === "hardhat" ? IN_PROCESS_HINT : ""),
    );
  }
  let attester = options.attester;
  // sgx: an IAS group needs Intel IAS credentials, a DCAP group the PCS/PCCS (the node follows its group's verifier).
  if (attester === undefined && mode === "sgx" && config.attestation === "ias") {
    if (config.iasRootCa !== "intel") throw new NodeError("invalid_options", "sgx mode needs anonify.iasRootCa = intel");
    attester = new IntelIasAttester({ url: config.ias.url, apiKey: config.ias.apiKey ?? "" });
  }
  const fromRecord = record !== undefined && record.group.toLowerCase() === group.toLowerCase();
  if (fromRecord && !/^[0-9]+$/.test(String(record.chainId))) {
    throw new NodeError("invalid_options", `the deployment record of chain ${chainId} names no valid chainId (${String(record.chainId)}): run anonify:deploy again or fix the file`);
  }
  const url = (hre.network.config as { url?: string }).url;
  return new AnonifyNode({
    binary: config.enclave.binary,
    mode,
    dataDir,
    signer,
    group,
    fromBlock: fromRecord ? record.deploymentBlock : undefined,
    // The node's RPC must serve the chain the record was written for (a copied or hand-edited record does not).
    expectedChainId: fromRecord ? record.chainId : undefined,
    rpcName: `the chain RPC of network ${hre.network.name}${url !== undefined ? ` (${url})` : ""}`,
    confirmations: options.confirmations ?? config.confirmations,
    pollIntervalMs: options.pollIntervalMs,
    syncOnNewBlocks: options.syncOnNewBlocks,
    attester,
    dcap: { url: config.dcap.pcsUrl, apiKey: config.dcap.apiKey },
    http:
      options.port === false
        ? false
        : { port: options.port ?? 0, host: options.host, commandRateLimit: options.commandRateLimit, requestRateLimit: options.requestRateLimit },
    checkpointInterval: options.checkpointInterval,
    issuedAtWindow: options.issuedAtWindow,
    maxBatchSize: options.maxBatchSize,
    batchWindowMs: options.batchWindowMs,
    reorgDepth: options.reorgDepth,
    snapshotStaggerMs: options.snapshotStaggerMs,
    onFatal: options.onFatal,
    logger: options.logger,
  });
}

/** createNode + start. */
export async function startNode(hre: HardhatRuntimeEnvironment, options: HreNodeOptions = {}): Promise<AnonifyNode> {
  const node = await createNode(hre, options);
  await node.start();
  return node;
}
