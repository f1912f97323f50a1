/**
 * Node tests: a SIMULATION-pinned group deployed with the project's Ignition module allowing the MRENCLAVE of the
 * enclave binary under test, and TEE nodes (real enclave processes) started on the in-process network.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import hre, { ethers } from "hardhat";
import type { Signer, TypedDataDomain } from "ethers";
import { sealCommand, type CommandStatus, type TokenCommand } from "../../src/client/wire";
import { buildAnonifyModule, anonifyModuleId } from "../../deploy/modules/anonifyModule";
import { buildAnonifyDcapModule, anonifyDcapModuleId } from "../../deploy/modules/anonifyDcapModule";
import { EnclaveError, EnclaveProcess } from "../../src/enclave/EnclaveProcess";
import { AnonifyNode, MemoryLogger, callState, groupContract, type AnonifyNodeOptions } from "../../src/node";

export function enclaveBinary(): string {
  const binary = hre.config.anonify.enclave.binary;
  if (!fs.existsSync(binary)) throw new Error(`${binary} is missing: run \`npm run enclave:build\` first`);
  return binary;
}

/** MRENCLAVE of an enclave binary (simulation: SHA-256 of the executable), from its `status`. */
export async function binaryMrenclave(binary = enclaveBinary()): Promise<string> {
  const enclave = await EnclaveProcess.start({ binary, mode: "simulation" });
  try {
    return (await enclave.status()).mrenclave;
  } finally {
    await enclave.close();
  }
}

export interface Deployment {
  group: string;
  verifier: string;
  governor: Signer;
}

/** Active enclaves each test account may have joined (a node restarted on a fresh data dir joins again). */
export const TEST_OPERATOR_CAP = 4;

/**
 * Verifier (simulation CA) + group allowing the binary's MRENCLAVE; governor = signer 1. Every signer holds
 * OPERATOR_ROLE with a cap of {@link TEST_OPERATOR_CAP} (nodes pay with arbitrary signers; audit F-2).
 */
export async function deployGroup(runtime?: string): Promise<Deployment> {
  const signers = await ethers.getSigners();
  const governor = signers[1];
  const operators = await Promise.all(signers.map((s) => s.getAddress()));
  const config = { trustAnchor: "simulation" as const, allowedMrenclaves: [await binaryMrenclave()], operators, runtime };
  const deployed = await hre.ignition.deploy(buildAnonifyModule(config), {
    parameters: { [anonifyModuleId("simulation")]: { governor: await governor.getAddress(), adminTransferDelay: 3600 } },
  });
  const group = await ethers.getContractAt("AnonifyGroup", await deployed.group.getAddress(), governor);
  for (const operator of operators) await (await group.setOperatorCap(operator, TEST_OPERATOR_CAP)).wait();
  return { group: await deployed.group.getAddress(), verifier: await deployed.verifier.getAddress(), governor };
}

/**
 * The DCAP variant of {@link deployGroup}: stores, DcapVerifier pinned to the development PCS's SIMULATION root and the
 * group, through the project's DCAP Ignition module. The stores start empty: the first node upserts the collateral.
 */
export async function deployDcapGroup(runtime?: string): Promise<Deployment & { collateral: string; crls: string }> {
  const signers = await ethers.getSigners();
  const governor = signers[1];
  const operators = await Promise.all(signers.map((s) => s.getAddress()));
  const config = { root: "simulation" as const, allowedMrenclaves: [await binaryMrenclave()], operators, runtime };
  const deployed = await hre.ignition.deploy(buildAnonifyDcapModule(config), {
    parameters: { [anonifyDcapModuleId("simulation")]: { governor: await governor.getAddress(), adminTransferDelay: 3600 } },
  });
  const group = await ethers.getContractAt("AnonifyGroup", await deployed.group.getAddress(), governor);
  for (const operator of operators) await (await group.setOperatorCap(operator, TEST_OPERATOR_CAP)).wait();
  return {
    group: await deployed.group.getAddress(),
    verifier: await deployed.verifier.getAddress(),
    governor,
    collateral: await deployed.collateral.getAddress(),
    crls: await deployed.crls.getAddress(),
  };
}

export function tempDir(prefix = "anonify-node-test-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface TestNode {
  node: AnonifyNode;
  logger: MemoryLogger;
  dataDir: string;
}

/** A node on the in-process chain paying with hardhat signer `account` (not 0/1, which deploy and govern). */
export async function startNode(
  deployment: Deployment,
  account: number,
  dataDir = tempDir(),
  extra: Partial<AnonifyNodeOptions> = {},
): Promise<TestNode> {
  const signers = await ethers.getSigners();
  const logger = new MemoryLogger();
  const node = new AnonifyNode({
    binary: enclaveBinary(),
    dataDir,
    signer: signers[account],
    group: deployment.group,
    pollIntervalMs: 50,
    logger,
    ...extra,
  });
  await node.start();
  return { node, logger, dataDir };
}

/** Polls `probe` every 50 ms until it returns a value; rejects after `timeoutMs` (a wait, never a timing assertion). */
export async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Users' commands against nodes in this process: seals with each signer's next nonce (tracked here), submits to the
 * node and waits until the node applied it (status applied, or the test fails with the status).
 */
export class CommandDriver {
  private readonly nonces = new Map<string, number>();

  constructor(readonly domain: TypedDataDomain) {}

  async command(node: TestNode, signer: Signer, payload: TokenCommand): Promise<CommandStatus> {
    const sender = await signer.getAddress();
    const nonce = this.nonces.get(sender) ?? 0;
    const sealed = await sealCommand({ enclaveHpkeKey: node.node.identity.hpkePublicKey, signer, domain: this.domain, nonce, payload });
    // The enclave checks the nonce against its applied state: a node that has not applied the sender's previous
    // command yet refuses the next one (nonce_mismatch), as it would a client's; catch up and submit again.
    const accepted = await until(async () => {
      try {
        return await node.node.submitCommand(sealed.payload);
      } catch (error) {
        if (!(error instanceof EnclaveError) || error.code !== "nonce_mismatch") throw error;
        await node.node.catchUp();
        return undefined;
      }
    });
    this.nonces.set(sender, nonce + 1);
    const status = await until(async () => {
      const s = node.node.commandStatus(accepted.id);
      return s === undefined || s.status === "queued" || s.status === "posted" ? undefined : s;
    });
    if (status.status !== "applied") throw new Error(`command ${status.id}: ${status.status} (${status.reason ?? "no reason"})`);
    return status;
  }
}

/** Waits until every node applied the whole log (the head is re-read each round) and returns their state hashes. */
export async function convergedStateHashes(deployment: Deployment, nodes: TestNode[]): Promise<Array<string | null>> {
  const group = groupContract(deployment.group, ethers.provider);
  await until(async () => {
    const head = ((await group.stateCounter()) as bigint).toString();
    const healths = await Promise.all(nodes.map((n) => n.node.health()));
    return healths.every((h) => h.stateCounter === head && h.awaitingSnapshot === undefined) ? true : undefined;
  });
  return Promise.all(nodes.map(async (n) => (await callState(n.node.enclave, "state_status", {})).stateHash));
}
