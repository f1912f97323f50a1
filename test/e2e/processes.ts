/**
 * Child processes of the end-to-end test: a `hardhat node` JSON-RPC chain on a free loopback port and TEE node
 * processes (test/e2e/nodeProcess.ts). Each child is started in its own process group, so stopping it also stops
 * what it started (the enclave processes); the test stops every child it started in `after`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import hre from "hardhat";
import { Contract, ContractFactory, HDNodeWallet, hexlify, type Signer } from "ethers";
import { caDerOf, leafDerOf } from "../../src/attestation/roots";
import { dcapRootDer } from "../../src/attestation/dcap/roots";
import { EnclaveProcess } from "../../src/enclave/EnclaveProcess";
import { TOKEN_RUNTIME } from "../../src/runtimes/name";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export class ChildHandle {
  readonly output: string[] = [];
  readonly exited: Promise<number | null>;

  constructor(
    readonly label: string,
    readonly child: ChildProcess,
  ) {
    const collect = (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split(/\r?\n/)) if (line.length > 0) this.output.push(line);
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    this.exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the first output line matching `pattern`; rejects if the process exits or time runs out. */
  async waitForLine(pattern: RegExp, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.output.find((l) => pattern.test(l));
      if (line !== undefined) return line;
      if (!this.running) throw new Error(`${this.label} exited (${this.child.exitCode ?? this.child.signalCode}):\n${this.tail()}`);
      if (Date.now() > deadline) throw new Error(`${this.label}: no line matching ${pattern} within ${timeoutMs} ms:\n${this.tail()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  tail(lines = 25): string {
    return this.output.slice(-lines).join("\n");
  }

  /** SIGTERM to the process group, SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running || this.child.pid === undefined) return;
    const pid = this.child.pid;
    try {
      process.kill(-pid, "SIGTERM");
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    }, graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** `hardhat node --hostname 127.0.0.1 --port <port>` (the repository's Hardhat, as `npx hardhat node` runs it). */
export async function startHardhatNode(port: number): Promise<ChildHandle> {
  const cli = require.resolve("hardhat/internal/cli/cli.js", { paths: [REPO_ROOT] });
  const child = spawn(process.execPath, [cli, "node", "--hostname", "127.0.0.1", "--port", String(port)], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1" },
  });
  const handle = new ChildHandle(`hardhat node :${port}`, child);
  await handle.waitForLine(/Started HTTP and WebSocket JSON-RPC server/, 120_000);
  return handle;
}

export interface NodeProcessOptions {
  label: string;
  rpcUrl: string;
  group: string;
  fromBlock: number;
  nodeKey: string;
  dataDir: string;
  binary: string;
  checkpointInterval?: number;
  /** Extra environment (crash points: ANONIFY_NODE_CRASH_AT, ANONIFY_ENCLAVE_CRASH_AT). */
  env?: Record<string, string>;
}

/** Spawns a TEE node in its own process (its own process group); see startNodeProcess. */
export function spawnNodeProcess(options: NodeProcessOptions): ChildHandle {
  const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(__dirname, "nodeProcess.ts")], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      E2E_LABEL: options.label,
      E2E_RPC_URL: options.rpcUrl,
      E2E_GROUP: options.group,
      E2E_FROM_BLOCK: String(options.fromBlock),
      E2E_NODE_KEY: options.nodeKey,
      E2E_DATA_DIR: options.dataDir,
      E2E_ENCLAVE_BINARY: options.binary,
      E2E_CHECKPOINT_INTERVAL: String(options.checkpointInterval ?? 1),
      TS_NODE_PROJECT: path.join(REPO_ROOT, "tsconfig.json"),
      ...options.env,
    },
  });
  return new ChildHandle(options.label, child);
}

/** A TEE node in its own process; resolves once it serves HTTP (after joining the group). */
export async function startNodeProcess(options: NodeProcessOptions): Promise<{ handle: ChildHandle; url: string; address: string }> {
  const handle = spawnNodeProcess(options);
  const ready = await handle.waitForLine(/^E2E_READY /, 120_000);
  const { url, address } = JSON.parse(ready.slice("E2E_READY ".length)) as { url: string; address: string };
  return { handle, url, address };
}

/**
 * The built enclave copied into `dir` for a whole run, and its simulation measurement: a rebuild meanwhile would
 * change the simulation MRENCLAVE (the binary's hash) under the nodes' feet.
 */
export async function pinnedEnclaveBinary(dir: string): Promise<{ binary: string; mrenclave: string }> {
  const built = hre.config.anonify.enclave.binary;
  if (!fs.existsSync(built)) throw new Error(`${built} is missing: run \`npm run enclave:build\` first`);
  const binary = path.join(dir, "anonify-enclave");
  fs.copyFileSync(built, binary);
  fs.chmodSync(binary, 0o755);
  const probe = await EnclaveProcess.start({ binary, mode: "simulation" });
  try {
    return { binary, mrenclave: (await probe.status()).mrenclave };
  } finally {
    await probe.close();
  }
}

/** Hardhat node's default accounts. */
export const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";

export interface RpcDeployment {
  verifier: Contract;
  group: Contract;
  groupAddress: string;
  /** The block of the group's deployment (nodes read from it). */
  fromBlock: number;
}

/** How many of the mnemonic's accounts `deployGroupOverRpc` makes operators. */
export const E2E_OPERATOR_ACCOUNTS = 10;

/**
 * The project's deployment, step for step (deploy/modules/anonifyModule.ts), on a JSON-RPC chain: the verifier
 * pinned to the simulation CA with its signing certificate and `mrenclave` allowed, then the group running `runtime`;
 * `deployer` is admin and governor.
 */
export async function deployGroupOverRpc(deployer: Signer, mrenclave: string, adminDelay = 3600, runtime = TOKEN_RUNTIME): Promise<RpcDeployment> {
  // The accounts nodes pay with (HARDHAT_MNEMONIC indices 0..E2E_OPERATOR_ACCOUNTS-1) may submit joins (audit F-2).
  const operators = Array.from({ length: E2E_OPERATOR_ACCOUNTS }, (_, i) => HDNodeWallet.fromPhrase(HARDHAT_MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`).address);
  const deployerAddress = await deployer.getAddress();
  const verifierArtifact = await hre.artifacts.readArtifact("IasVerifier");
  const verifier = (await new ContractFactory(verifierArtifact.abi, verifierArtifact.bytecode, deployer).deploy(
    hexlify(caDerOf("simulation")),
    deployerAddress,
    adminDelay,
  )) as unknown as Contract;
  await verifier.waitForDeployment();
  await (await verifier.registerSigningCertificate(hexlify(leafDerOf("simulation")))).wait();
  await (await verifier.setMrenclaveAllowed(mrenclave, true)).wait();
  const groupArtifact = await hre.artifacts.readArtifact("AnonifyGroup");
  const group = (await new ContractFactory(groupArtifact.abi, groupArtifact.bytecode, deployer).deploy(
    await verifier.getAddress(),
    deployerAddress,
    adminDelay,
    deployerAddress,
    operators,
    0,
    runtime,
  )) as unknown as Contract;
  const receipt = await group.deploymentTransaction()!.wait();
  return { verifier, group, groupAddress: await group.getAddress(), fromBlock: receipt!.blockNumber };
}

/**
 * The DCAP deployment step for step (deploy/modules/anonifyDcapModule.ts) on a JSON-RPC chain: the linked parser
 * libraries, `DcapCollateral` and `DcapCrls` (empty: the first node upserts the collateral), `DcapVerifier` pinned to
 * the development PCS's SIMULATION root with `mrenclave` allowed, then the group running `runtime`.
 */
export async function deployDcapGroupOverRpc(deployer: Signer, mrenclave: string, adminDelay = 3600, runtime = TOKEN_RUNTIME): Promise<RpcDeployment> {
  const operators = Array.from({ length: E2E_OPERATOR_ACCOUNTS }, (_, i) => HDNodeWallet.fromPhrase(HARDHAT_MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`).address);
  const deployerAddress = await deployer.getAddress();
  const rootDer = hexlify(dcapRootDer("simulation"));
  const deploy = async (name: string, args: unknown[], libraries: Record<string, string> = {}) => {
    const factory = await hre.ethers.getContractFactory(name, { signer: deployer as never, libraries });
    const contract = (await factory.deploy(...args)) as unknown as Contract;
    await contract.waitForDeployment();
    return contract;
  };
  const library = async (name: string) => (await deploy(name, [])).getAddress();
  const collateral = await deploy("DcapCollateral", [rootDer], { TcbInfo: await library("TcbInfo"), QeIdentity: await library("QeIdentity") });
  const crls = await deploy("DcapCrls", [rootDer]);
  const verifier = await deploy("DcapVerifier", [rootDer, await collateral.getAddress(), await crls.getAddress(), deployerAddress, adminDelay], {
    PckChainVerification: await library("PckChainVerification"),
  });
  await (await verifier.setMrenclaveAllowed(mrenclave, true)).wait();
  const group = await deploy("AnonifyGroup", [await verifier.getAddress(), deployerAddress, adminDelay, deployerAddress, operators, 0, runtime]);
  const receipt = await group.deploymentTransaction()!.wait();
  return { verifier, group, groupAddress: await group.getAddress(), fromBlock: receipt!.blockNumber };
}
