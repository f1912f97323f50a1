/**
 * The end-to-end benchmark's cluster: a fresh group (the project's Ignition module, development IAS pinned) and N TEE
 * nodes in this process (AnonifyNode, each with its own enclave process and temporary data directory), as
 * src/client/demo.ts runs them, with the time every node applied every command, taken from the nodes' own `applied`
 * events (ChainSync), so no polling sits between "applied" and the measurement.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { Signer } from "ethers";
import { AnonifyClient } from "../src/client/AnonifyClient";
import { createNode, deployAnonify, GROUP_INTERFACE, MemoryLogger, type AnonifyNode, type EntryApplied } from "../src/node";

export type Mining = "automine" | "1 s blocks";

export interface ClusterOptions {
  nodes: number;
  /** AnonifyNodeOptions.syncOnNewBlocks. */
  syncOnNewBlocks: boolean;
  /** Default: the node's default (500 ms). */
  pollIntervalMs?: number;
}

interface AppliedRecord {
  /** performance.now() at which node i applied the command. */
  at: Array<number | undefined>;
  outcomes: Set<string>;
}

interface Waiter {
  id: string;
  /** Node index, or undefined for "every node". */
  node: number | undefined;
  resolve: (time: number) => void;
}

/** Posts of user commands in a block range: the transactions and the entries they carried. */
export interface PostedEntries {
  transactions: number;
  entries: number;
  gasUsed: bigint;
}

export class Cluster {
  private readonly records = new Map<string, AppliedRecord>();
  private waiters: Waiter[] = [];

  private constructor(
    private readonly hre: HardhatRuntimeEnvironment,
    readonly nodes: AnonifyNode[],
    readonly loggers: MemoryLogger[],
    readonly group: string,
    private readonly root: string,
  ) {
    for (const [i, node] of nodes.entries()) node.sync.on("applied", (a) => this.onApplied(i, a));
  }

  /** Deploys a group and starts `nodes` nodes (signers 1..nodes pay for their posts); the first creates the group. */
  static async start(hre: HardhatRuntimeEnvironment, options: ClusterOptions): Promise<Cluster> {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "anonify-bench-e2e-"));
    const nodes: AnonifyNode[] = [];
    const loggers: MemoryLogger[] = [];
    try {
      // Signers 1..nodes are the group's operators (only operators' joins are accepted: audit F-2).
      const signers = await hre.ethers.getSigners();
      const operators = await Promise.all(signers.slice(1, options.nodes + 1).map((s) => s.getAddress()));
      const deployment = await deployAnonify(hre, { dataDir: root, operators });
      for (let i = 0; i < options.nodes; i++) {
        const logger = new MemoryLogger();
        const node = await createNode(hre, {
          account: i + 1,
          dataDir: path.join(root, `node-${i}`),
          group: deployment.group,
          port: 0,
          pollIntervalMs: options.pollIntervalMs,
          syncOnNewBlocks: options.syncOnNewBlocks,
          logger,
        });
        loggers.push(logger);
        await node.start();
        nodes.push(node);
      }
      // Every node has applied every join before the first command.
      await Promise.all(nodes.map((n) => n.catchUp()));
      return new Cluster(hre, nodes, loggers, deployment.group, root);
    } catch (error) {
      for (const node of nodes) await node.stop().catch(() => undefined);
      fs.rmSync(root, { recursive: true, force: true });
      throw error;
    }
  }

  client(user: Signer, node: number): AnonifyClient {
    return new AnonifyClient({ nodeUrl: this.nodes[node].url!, signer: user, group: this.group, provider: this.hre.ethers.provider, pollIntervalMs: 20 });
  }

  /** Resolves with the time node `node` (default: the last of every node) applied command `id`. */
  applied(id: string, node?: number): Promise<number> {
    const key = id.toLowerCase();
    const done = this.doneAt(key, node);
    if (done !== undefined) return Promise.resolve(done);
    return new Promise((resolve) => this.waiters.push({ id: key, node, resolve }));
  }

  /** The outcomes ("applied", "rejected") the nodes reported for `id`. */
  outcomes(id: string): string[] {
    return [...(this.records.get(id.toLowerCase())?.outcomes ?? [])];
  }

  /** The user-command posts (postCiphertext, postCiphertextBatch) to the group in blocks [fromBlock, toBlock]. */
  async posted(fromBlock: number, toBlock: number): Promise<PostedEntries> {
    const provider = this.hre.ethers.provider;
    const logs = await provider.getLogs({ address: this.group, fromBlock, toBlock });
    const entriesByTx = new Map<string, number>();
    for (const log of logs) {
      const parsed = GROUP_INTERFACE.parseLog({ topics: [...log.topics], data: log.data });
      if (parsed?.name === "CiphertextPosted") entriesByTx.set(log.transactionHash, (entriesByTx.get(log.transactionHash) ?? 0) + 1);
      if (parsed?.name === "CiphertextBatchPosted") {
        entriesByTx.set(log.transactionHash, (entriesByTx.get(log.transactionHash) ?? 0) + (parsed.args.ciphertexts as unknown[]).length);
      }
    }
    let gasUsed = 0n;
    for (const hash of entriesByTx.keys()) gasUsed += (await provider.getTransactionReceipt(hash))!.gasUsed;
    return { transactions: entriesByTx.size, entries: [...entriesByTx.values()].reduce((s, n) => s + n, 0), gasUsed };
  }

  /** The last log lines of every node (for a failure report). */
  tail(lines = 10): string {
    return this.loggers.map((l, i) => [`--- node-${i} ---`, ...l.lines.slice(-lines)].join("\n")).join("\n");
  }

  async stop(): Promise<void> {
    for (const node of this.nodes) await node.stop().catch(() => undefined);
    fs.rmSync(this.root, { recursive: true, force: true });
  }

  private onApplied(node: number, applied: EntryApplied): void {
    const now = performance.now();
    const id = applied.result.commandId?.toLowerCase();
    if (id === undefined) return;
    let record = this.records.get(id);
    if (record === undefined) {
      record = { at: this.nodes.map(() => undefined), outcomes: new Set() };
      this.records.set(id, record);
    }
    record.at[node] ??= now;
    record.outcomes.add(applied.result.outcome);
    const ready = this.waiters.filter((w) => w.id === id && this.doneAt(id, w.node) !== undefined);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve(this.doneAt(id, w.node)!);
  }

  private doneAt(id: string, node: number | undefined): number | undefined {
    const record = this.records.get(id);
    if (record === undefined) return undefined;
    if (node !== undefined) return record.at[node];
    if (record.at.some((t) => t === undefined)) return undefined;
    return Math.max(...(record.at as number[]));
  }
}

/** Automine (a block per transaction) or a block every second (`evm_setAutomine false` + `evm_setIntervalMining`). */
export async function setMining(hre: HardhatRuntimeEnvironment, mining: Mining): Promise<void> {
  if (mining === "automine") {
    await hre.network.provider.send("evm_setIntervalMining", [0]);
    await hre.network.provider.send("evm_setAutomine", [true]);
  } else {
    await hre.network.provider.send("evm_setAutomine", [false]);
    await hre.network.provider.send("evm_setIntervalMining", [1_000]);
  }
}
