/**
 * End-to-end latency and throughput: from a user's submit (client SDK: trust check of the node's enclave against
 * the roster, EIP-712 signature, HPKE seal, POST /commands) to every node having applied the command (each node's
 * `applied` event), for 1, 3 and 5 nodes, with automine and with 1 s blocks; then sustained commands per second
 * with batching, many users submitting concurrently. Prints the tables and writes the "End to end" section of
 * bench/RESULTS.md to bench/out/e2e.md. `npm run bench:e2e` (= `hardhat run bench/e2e.ts`); quick mode
 * (`BENCH_QUICK=1`): 1 and 3 nodes, automine only, fewer commands.
 */
import fs from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import hre from "hardhat";
import { Wallet, type HDNodeWallet } from "ethers";
import type { AnonifyClient } from "../src/client/AnonifyClient";
import { DEFAULT_POLL_INTERVAL_MS } from "../src/node";
import { Cluster, setMining, type Mining } from "./e2eCluster";
import { fmt, isQuick, markdownTable, ms, progress, quantile, textTable, verdict, writeSection, runUnlessOrchestrated, type Table } from "./shared";

const NAME = "e2e";
const SUPPLY = 10n ** 12n;
const FUNDING = 1_000_000n;
const TARGET_P50_MS = 100;
/**
 * Upper bound of the random pause before each timed command: sequential commands would otherwise lock to the
 * cycle they wait on (a command applied just after a poll or block is followed by one submitted just after it),
 * so every submission falls at a random point of the node's poll cycle (500 ms) or of the block interval.
 */
const PAUSE_MS: Record<Mining, number> = { automine: 500, "1 s blocks": 1_000 };

interface LatencyPlan {
  nodes: number;
  mining: Mining;
  commands: number;
  syncOnNewBlocks: boolean;
}

interface LatencyResult extends LatencyPlan {
  /** submit() call to 202, and submit() call to the last node's `applied`, per command (ms). */
  accepted: number[];
  everywhere: number[];
}

interface ThroughputPlan {
  nodes: number;
  mining: Mining;
  users: number;
  commandsPerUser: number;
}

interface ThroughputResult extends ThroughputPlan {
  seconds: number;
  commands: number;
  transactions: number;
  entries: number;
  gasUsed: bigint;
  /** submit() call to 202, and to the last node's `applied`, per command (ms). */
  accepted: number[];
  latencies: number[];
}

interface Plan {
  /** One cluster per entry: its latency runs (in order of mining mode), then its throughput runs. */
  clusters: Array<{ nodes: number; syncOnNewBlocks: boolean; latency: LatencyPlan[]; throughput: ThroughputPlan[] }>;
}

function plan(quick: boolean): Plan {
  const latency = (nodes: number, mining: Mining, commands: number, syncOnNewBlocks = true): LatencyPlan => ({ nodes, mining, commands, syncOnNewBlocks });
  if (quick) {
    return {
      clusters: [
        { nodes: 1, syncOnNewBlocks: true, latency: [latency(1, "automine", 10)], throughput: [] },
        {
          nodes: 3,
          syncOnNewBlocks: true,
          latency: [latency(3, "automine", 15)],
          throughput: [{ nodes: 3, mining: "automine", users: 12, commandsPerUser: 2 }],
        },
      ],
    };
  }
  const clusters: Plan["clusters"] = [1, 3, 5].map((nodes) => ({
    nodes,
    syncOnNewBlocks: true,
    latency: [latency(nodes, "automine", 100), latency(nodes, "1 s blocks", 20)],
    throughput:
      nodes === 3
        ? [
            { nodes, mining: "automine" as const, users: 48, commandsPerUser: 4 },
            { nodes, mining: "1 s blocks" as const, users: 48, commandsPerUser: 3 },
          ]
        : [],
  }));
  // The node's defaults (no block subscription, 500 ms poll), for comparison.
  clusters.push({ nodes: 3, syncOnNewBlocks: false, latency: [latency(3, "automine", 40, false)], throughput: [] });
  return { clusters };
}

const syncLabel = (syncOnNewBlocks: boolean) => (syncOnNewBlocks ? "block event" : `poll ${DEFAULT_POLL_INTERVAL_MS} ms`);

interface UserSet {
  readonly wallets: HDNodeWallet[];
  readonly clients: AnonifyClient[];
}

/**
 * Users, each bound to one node (user i to node i mod N), funded by the token's owner; each client has checked its
 * node's enclave against the chain (its first command reads the user's nonce, which later commands track locally).
 */
class Users implements UserSet {
  readonly wallets: HDNodeWallet[] = [];
  readonly clients: AnonifyClient[] = [];

  constructor(
    private readonly cluster: Cluster,
    private readonly owner: AnonifyClient,
  ) {}

  async add(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const wallet = Wallet.createRandom();
      const client = this.cluster.client(wallet, this.wallets.length % this.cluster.nodes.length);
      await settle(this.cluster, await this.owner.transfer(wallet.address, FUNDING));
      await client.verifyEnclave();
      this.wallets.push(wallet);
      this.clients.push(client);
    }
  }
}

/** Waits until every node applied the command, checks it was applied (not rejected), clears it in the client. */
async function settle(cluster: Cluster, submission: Awaited<ReturnType<AnonifyClient["transfer"]>>): Promise<number> {
  const at = await cluster.applied(submission.id);
  const outcomes = cluster.outcomes(submission.id);
  if (outcomes.length !== 1 || outcomes[0] !== "applied") throw new Error(`command ${submission.id}: ${outcomes.join(", ")}`);
  await submission.status(); // the client forgets it as pending
  return at;
}

async function runLatency(cluster: Cluster, users: UserSet, p: LatencyPlan): Promise<LatencyResult> {
  const accepted: number[] = [];
  const everywhere: number[] = [];
  const n = users.clients.length;
  // Untimed: each user's first command reads its nonce from the enclave.
  for (const [i, client] of users.clients.entries()) await settle(cluster, await client.transfer(users.wallets[(i + 1) % n].address, 1n));
  const step = Math.max(1, Math.floor(p.commands / 5));
  for (let k = 0; k < p.commands; k++) {
    const client = users.clients[k % n];
    const to = users.wallets[(k + 1) % n].address;
    await sleep(Math.random() * PAUSE_MS[p.mining]);
    const t0 = performance.now();
    const submission = await client.transfer(to, 1n);
    accepted.push(performance.now() - t0);
    everywhere.push((await settle(cluster, submission)) - t0);
    if ((k + 1) % step === 0 || k + 1 === p.commands) {
      progress(NAME, `${p.nodes} node(s), ${p.mining}, ${syncLabel(p.syncOnNewBlocks)}: ${k + 1} of ${p.commands} commands (p50 so far ${ms(quantile(everywhere, 0.5))} ms)`);
    }
  }
  return { ...p, accepted, everywhere };
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

async function runThroughput(cluster: Cluster, users: UserSet, p: ThroughputPlan): Promise<ThroughputResult> {
  const provider = hre.ethers.provider;
  const fromBlock = (await provider.getBlockNumber()) + 1;
  const latencies: number[] = [];
  const accepted: number[] = [];
  const total = p.users * p.commandsPerUser;
  let done = 0;
  const started = performance.now();
  let finished = started;
  await Promise.all(
    users.clients.slice(0, p.users).map(async (client, u) => {
      for (let k = 0; k < p.commandsPerUser; k++) {
        const t0 = performance.now();
        const submission = await client.transfer(users.wallets[(u + 1) % p.users].address, 1n);
        accepted.push(performance.now() - t0);
        const at = await settle(cluster, submission);
        latencies.push(at - t0);
        finished = Math.max(finished, at);
        if (++done % Math.max(1, Math.floor(total / 4)) === 0) progress(NAME, `throughput, ${p.nodes} nodes, ${p.mining}: ${done} of ${total} commands`);
      }
    }),
  );
  const posted = await cluster.posted(fromBlock, await provider.getBlockNumber());
  if (posted.entries !== total) throw new Error(`expected ${total} posted entries, found ${posted.entries}`);
  return { ...p, seconds: (finished - started) / 1000, commands: total, ...posted, accepted, latencies };
}

async function runPlan(quick: boolean): Promise<{ latency: LatencyResult[]; throughput: ThroughputResult[] }> {
  const latency: LatencyResult[] = [];
  const throughput: ThroughputResult[] = [];
  for (const c of plan(quick).clusters) {
    await setMining(hre, "automine");
    progress(NAME, `starting ${c.nodes} node(s) (${syncLabel(c.syncOnNewBlocks)}) on a fresh group`);
    const cluster = await Cluster.start(hre, { nodes: c.nodes, syncOnNewBlocks: c.syncOnNewBlocks });
    try {
      const owner = cluster.client(Wallet.createRandom(), 0);
      await settle(cluster, await owner.init("Bench Token", "BNT", SUPPLY));
      const users = new Users(cluster, owner);
      await users.add(Math.max(c.nodes, 2));
      const throughputUsers = Math.max(0, ...c.throughput.map((t) => t.users));
      if (throughputUsers > users.clients.length) {
        progress(NAME, `funding ${throughputUsers - users.clients.length} more users for the throughput run`);
        await users.add(throughputUsers - users.clients.length);
      }
      for (const mining of ["automine", "1 s blocks"] as const) {
        const runs = c.latency.filter((l) => l.mining === mining);
        const tputs = c.throughput.filter((t) => t.mining === mining);
        if (runs.length + tputs.length === 0) continue;
        await setMining(hre, mining);
        for (const l of runs) latency.push(await runLatency(cluster, latencyUsers(users, c.nodes), l));
        for (const t of tputs) throughput.push(await runThroughput(cluster, users, t));
      }
    } catch (error) {
      console.error(cluster.tail());
      throw error;
    } finally {
      await setMining(hre, "automine");
      await cluster.stop();
    }
  }
  return { latency, throughput };
}

/** One user per node (at least two, so a transfer has another recipient). */
function latencyUsers(users: UserSet, nodes: number): UserSet {
  const count = Math.max(nodes, 2);
  return { clients: users.clients.slice(0, count), wallets: users.wallets.slice(0, count) };
}

// ---------------------------------------------------------------- tables

function latencyTable(results: LatencyResult[]): Table {
  return {
    header: ["Nodes", "Blocks", "Node sync", "Commands", "Submit → 202 p50", "All applied: p50", "p90", "p99", "max"],
    align: ["right", "left", "left"],
    rows: results.map((r) => [
      String(r.nodes),
      r.mining,
      syncLabel(r.syncOnNewBlocks),
      String(r.commands),
      ms(quantile(r.accepted, 0.5)),
      ms(quantile(r.everywhere, 0.5)),
      ms(quantile(r.everywhere, 0.9)),
      ms(quantile(r.everywhere, 0.99)),
      ms(Math.max(...r.everywhere)),
    ]),
  };
}

function throughputTable(results: ThroughputResult[]): Table {
  return {
    header: ["Nodes", "Blocks", "Users", "Commands", "Seconds", "Commands/s", "Post txs", "Entries per tx", "Gas per command", "Submit → 202 p50", "All applied p50", "p90"],
    align: ["right", "left"],
    rows: results.map((r) => [
      String(r.nodes),
      r.mining,
      String(r.users),
      String(r.commands),
      r.seconds.toFixed(1),
      (r.commands / r.seconds).toFixed(1),
      String(r.transactions),
      (r.entries / r.transactions).toFixed(1),
      fmt(Number(r.gasUsed) / r.entries),
      ms(quantile(r.accepted, 0.5)),
      ms(quantile(r.latencies, 0.5)),
      ms(quantile(r.latencies, 0.9)),
    ]),
  };
}

function targetTable(results: LatencyResult[]): Table {
  const rows = results
    .filter((r) => r.nodes === 3 && r.mining === "automine")
    .map((r) => {
      const p50 = quantile(r.everywhere, 0.5);
      return [`automine, 3 nodes (${syncLabel(r.syncOnNewBlocks)}): p50 < ${TARGET_P50_MS} ms`, `${ms(p50)} ms`, verdict(p50 < TARGET_P50_MS)];
    });
  return { header: ["Target", "Measured", "Result"], rows };
}

function section(latency: LatencyResult[], throughput: ThroughputResult[], quick: boolean): string {
  return [
    "## End to end",
    "",
    "`npm run bench:e2e` (`bench/e2e.ts`). In-process Hardhat network; TEE nodes (`AnonifyNode`, simulation mode, each",
    "with its own enclave process) in the same process, as `anonify:demo` runs them; a fresh group per node count.",
    "Latency runs from a user's `transfer()` through the client SDK (trust check of the node's enclave against the",
    "roster, EIP-712 signature, HPKE seal, `POST /commands`) to the moment the last node applied the command (each",
    "node's own `applied` event, so no polling sits between applying and measuring); submit → 202 alone includes the",
    "node's `state_submit` and command-journal fsync. One command at a time, user i through node i, each after a random",
    `pause (0–${PAUSE_MS.automine} ms; 0–${PAUSE_MS["1 s blocks"]} ms with 1 s blocks) so submissions fall at random points of the poll and block cycles.`,
    "Node settings are the defaults (batch window 20 ms, max batch 32, checkpoint every 16 entries)",
    `except the sync trigger: "block event" = \`syncOnNewBlocks\` (a sync on the provider's "block" event, which the`,
    `in-process provider polls every 50 ms), "poll ${DEFAULT_POLL_INTERVAL_MS} ms" = the node's default alone. With 1 s blocks,`,
    "`evm_setAutomine false` + `evm_setIntervalMining 1000`." + (quick ? " Quick mode: 1 and 3 nodes, automine only, fewer commands." : ""),
    "",
    "### Latency: submit → every node applied (ms)",
    "",
    markdownTable(latencyTable(latency)),
    "",
    "### Sustained throughput with batching",
    "",
    "Every user submits its next command as soon as every node applied its previous one (the enclave accepts only a",
    "user's next nonce); users are spread over the nodes. Seconds = first submit to the last command applied on every",
    "node; gas per command = the posts' total gas (postCiphertext / postCiphertextBatch receipts) per command,",
    "checkpoints excluded.",
    "",
    markdownTable(throughputTable(throughput)),
    "",
    "### Targets",
    "",
    markdownTable(targetTable(latency)),
  ].join("\n");
}

export async function main(): Promise<void> {
  const started = Date.now();
  const quick = isQuick();
  const binary = hre.config.anonify.enclave.binary;
  if (!fs.existsSync(binary)) throw new Error(`${binary} is missing: run \`npm run enclave:build\` first`);
  progress(NAME, `${quick ? "quick" : "full"} run on network "${hre.network.name}", enclave ${path.relative(process.cwd(), binary)}`);
  const { latency, throughput } = await runPlan(quick);
  for (const [title, table] of [
    ["Latency: submit → every node applied (ms)", latencyTable(latency)],
    ["Sustained throughput with batching", throughputTable(throughput)],
    ["Targets", targetTable(latency)],
  ] as const) {
    console.log(`\n${title}\n`);
    console.log(textTable(table));
  }
  const file = writeSection(NAME, section(latency, throughput, quick));
  console.log(`\nWritten to ${file} in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
}

runUnlessOrchestrated(main);
