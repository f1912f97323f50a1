/**
 * A real cluster for process-level tests: `hardhat node` on a free loopback port, the project's contracts deployed
 * to it (simulation trust anchor, the enclave binary's MRENCLAVE allowed), and TEE node processes
 * (test/e2e/nodeProcess.ts) that can be stopped, killed and restarted on their data dirs.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import hre from "hardhat";
import { HDNodeWallet, JsonRpcProvider, NonceManager, type Contract, type TypedDataDomain } from "ethers";
import { groupDomain, type NodeHealth } from "../../src/client";
import { binaryMrenclave } from "../node/helpers";
import { HARDHAT_MNEMONIC, type ChildHandle, deployGroupOverRpc, freePort, startHardhatNode, startNodeProcess } from "./processes";

export const ADMIN_DELAY = 3600;

export interface ClusterNode {
  label: string;
  handle: ChildHandle;
  url: string;
  address: string;
  dataDir: string;
  /** The hardhat account index paying for the node's posts. */
  account: number;
}

export interface NodeStartOptions {
  /** Extra environment for the node process (crash points, ...). */
  env?: Record<string, string>;
  checkpointInterval?: number;
}

/** Polls `condition` every 100 ms; rejects naming `what` after `timeoutMs` (a wait, never a timing assertion). */
export async function waitUntil(what: string, condition: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Mines a block every `intervalMs` until stopped; `stop` also waits for a mine already sent, so no block lands after it. */
export class IntervalMiner {
  private inFlight: Promise<unknown> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;

  constructor(provider: JsonRpcProvider, intervalMs: number) {
    this.timer = setInterval(() => {
      this.inFlight = this.inFlight.then(() => provider.send("evm_mine", []).catch(() => undefined));
    }, intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.inFlight;
  }
}

export class Cluster {
  readonly children: ChildHandle[] = [];
  /** evm_snapshot of the chain before the contracts were deployed: reverting to it is a chain reset. */
  beforeDeployment = "";
  private readonly dirs: string[] = [];

  private constructor(
    readonly rpcUrl: string,
    readonly provider: JsonRpcProvider,
    /** Deploys and governs (a NonceManager: ethers may cache the pending nonce). */
    readonly deployer: NonceManager,
    readonly binary: string,
    readonly mrenclave: string,
    readonly verifier: Contract,
    readonly group: Contract,
    readonly groupAddress: string,
    readonly fromBlock: number,
    readonly domain: TypedDataDomain,
  ) {}

  static account(i: number, provider: JsonRpcProvider): HDNodeWallet {
    return HDNodeWallet.fromPhrase(HARDHAT_MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`).connect(provider);
  }

  /** Starts the chain and deploys the project's contracts, step for step as deploy/modules/anonifyModule.ts does. */
  static async start(): Promise<Cluster> {
    const dirs: string[] = [];
    const built = hre.config.anonify.enclave.binary;
    if (!fs.existsSync(built)) throw new Error(`${built} is missing: run \`npm run enclave:build\` first`);
    // One copy for the whole run: a rebuild meanwhile would change the simulation MRENCLAVE (hash of the binary).
    const binDir = fs.mkdtempSync(path.join(os.tmpdir(), "anonify-cluster-bin-"));
    dirs.push(binDir);
    const binary = path.join(binDir, "anonify-enclave");
    fs.copyFileSync(built, binary);
    fs.chmodSync(binary, 0o755);
    const mrenclave = await binaryMrenclave(binary);

    const port = await freePort();
    const chain = await startHardhatNode(port);
    const rpcUrl = `http://127.0.0.1:${port}`;
    const provider = new JsonRpcProvider(rpcUrl, undefined, { pollingInterval: 100, cacheTimeout: -1 });
    const deployer = new NonceManager(Cluster.account(0, provider));
    const beforeDeployment = (await provider.send("evm_snapshot", [])) as string;
    const { verifier, group, groupAddress, fromBlock } = await deployGroupOverRpc(deployer, mrenclave, ADMIN_DELAY);
    const domain = groupDomain((await provider.getNetwork()).chainId, groupAddress);
    const cluster = new Cluster(rpcUrl, provider, deployer, binary, mrenclave, verifier, group, groupAddress, fromBlock, domain);
    cluster.beforeDeployment = beforeDeployment;
    cluster.children.push(chain);
    cluster.dirs.push(...dirs);
    return cluster;
  }

  tempDir(prefix: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    this.dirs.push(dir);
    return dir;
  }

  /** A node process on `dataDir` (a new one when omitted) paying with hardhat account `account`. */
  async startNode(label: string, account: number, dataDir = this.tempDir(`anonify-${label}-`), options: NodeStartOptions = {}): Promise<ClusterNode> {
    const started = await startNodeProcess({
      label,
      rpcUrl: this.rpcUrl,
      group: this.groupAddress,
      fromBlock: this.fromBlock,
      nodeKey: Cluster.account(account, this.provider).privateKey,
      dataDir,
      binary: this.binary,
      checkpointInterval: options.checkpointInterval,
      env: options.env,
    });
    this.children.push(started.handle);
    return { label, dataDir, account, ...started };
  }

  /** Stops (SIGTERM) and starts the node again on its data dir, without crash points. */
  async restart(node: ClusterNode, options: NodeStartOptions = {}): Promise<ClusterNode> {
    await node.handle.stop();
    return this.startNode(node.label, node.account, node.dataDir, options);
  }

  async health(node: ClusterNode): Promise<NodeHealth> {
    return (await (await fetch(`${node.url}/health`)).json()) as NodeHealth;
  }

  async chainCounter(): Promise<bigint> {
    return BigInt(await this.group.stateCounter());
  }

  /** Waits until every node in `nodes` has applied the whole log. */
  async allApplied(nodes: ClusterNode[]): Promise<void> {
    const target = (await this.chainCounter()).toString();
    await waitUntil(`${nodes.map((n) => n.label).join(", ")} at stateCounter ${target}`, async () =>
      (await Promise.all(nodes.map((n) => this.health(n).catch(() => undefined)))).every((h) => h?.stateCounter === target),
    );
  }

  async stop(): Promise<void> {
    for (const child of this.children.reverse()) await child.stop();
    this.provider.destroy();
    for (const dir of this.dirs) fs.rmSync(dir, { recursive: true, force: true });
  }
}
