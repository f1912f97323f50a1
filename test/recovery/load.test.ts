/**
 * Load with a restart: 1,000 commands from 10 users spread over 3 nodes (each user talks to one node), one node
 * stopped and restarted on its data dir midway while its users keep submitting. Every accepted command must be
 * applied exactly once (the log holds exactly one entry per command, every command's status is applied, the
 * balances are the exact sums) and all nodes converge on the same state.
 */
import { expect } from "chai";
import fs from "node:fs";
import { ethers } from "hardhat";
import type { Signer, TypedDataDomain } from "ethers";
import { groupDomain, openReadReply, sealCommand, sealRead, type CommandStatus, type TokenCommand } from "../../src/client/wire";
import { EnclaveCrashedError } from "../../src/enclave/EnclaveProcess";
import { NodeError } from "../../src/node";
import { convergedStateHashes, deployGroup, startNode, until, type Deployment, type TestNode } from "../node/helpers";

const USERS = 10;
const COMMANDS_PER_USER = 100;
const FUNDING = 10_000n;
const RESTART_AFTER = 500;

describe("load: 1,000 commands from 10 users over 3 nodes, one node restarted midway (simulation)", function () {
  this.timeout(600_000);
  let deployment: Deployment;
  let domain: TypedDataDomain;
  const nodes: TestNode[] = [];
  let users: Signer[];
  let addresses: string[];
  const balances = new Map<string, bigint>();
  let applied = 0;

  before(async function () {
    deployment = await deployGroup();
    for (const account of [12, 13, 14]) nodes.push(await startNode(deployment, account, undefined, { pollIntervalMs: 25 }));
    users = (await ethers.getSigners()).slice(5, 5 + USERS);
    addresses = await Promise.all(users.map((u) => u.getAddress()));
    domain = groupDomain((await ethers.provider.getNetwork()).chainId, deployment.group);
  });
  after(async function () {
    for (const n of nodes) {
      await n.node.stop();
      fs.rmSync(n.dataDir, { recursive: true, force: true });
    }
  });

  /** Submits through the user's node, retrying while that node restarts; waits until the command is applied. */
  async function command(user: number, nonce: number, payload: TokenCommand): Promise<CommandStatus> {
    const node = () => nodes[user % nodes.length];
    let id: string | undefined;
    while (id === undefined) {
      try {
        const sealed = await sealCommand({ enclaveHpkeKey: node().node.identity.hpkePublicKey, signer: users[user], domain, nonce, payload });
        id = (await node().node.submitCommand(sealed.payload)).id;
      } catch (error) {
        // Not accepted while the node stops (its enclave closes under the call) or starts: the user retries.
        const restarting = (error instanceof NodeError && error.code === "node_not_started") || error instanceof EnclaveCrashedError;
        if (!restarting) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    const status = await until(async () => {
      const s = nodes[user % nodes.length].node.commandStatus(id!);
      return s === undefined || s.status === "queued" || s.status === "posted" ? undefined : s;
    }, 120_000).catch((error: Error) => {
      // A stuck command is a bug to diagnose, not a slow machine: say where it stopped and what its node logged.
      const n = nodes[user % nodes.length];
      const last = n.logger.lines.slice(-40).join("\n  ");
      throw new Error(`${error.message}: command ${id} of user ${user} is ${JSON.stringify(n.node.commandStatus(id!))}; its node's last log lines:\n  ${last}`);
    });
    applied++;
    return status;
  }

  function transfer(from: number, to: number, amount: bigint, nonce: number): Promise<CommandStatus> {
    balances.set(addresses[from], (balances.get(addresses[from]) ?? 0n) - amount);
    balances.set(addresses[to], (balances.get(addresses[to]) ?? 0n) + amount);
    return command(from, nonce, { op: "transfer", to: addresses[to], amount: amount.toString() });
  }

  it("applies every accepted command exactly once and all nodes converge", async function () {
    const statuses: CommandStatus[] = [];
    const supply = FUNDING * BigInt(USERS);
    statuses.push(await command(0, 0, { op: "init", name: "Load Token", symbol: "LOAD", initialSupply: supply.toString() }));
    balances.set(addresses[0], supply);
    let nonce0 = 1;
    for (let u = 1; u < USERS; u++) statuses.push(await transfer(0, u, FUNDING, nonce0++));

    // A deterministic spread of recipients and amounts (no balance can run out: at most 10 x 100 leave a user).
    const userRun = async (u: number) => {
      for (let nonce = u === 0 ? nonce0 : 0; nonce < COMMANDS_PER_USER; nonce++) {
        const to = (u + 1 + ((nonce * 7) % (USERS - 1))) % USERS;
        statuses.push(await transfer(u, to, BigInt(1 + ((u * 31 + nonce * 17) % 10)), nonce));
      }
    };
    const restart = (async () => {
      await until(async () => (applied >= RESTART_AFTER ? true : undefined), 300_000);
      const b = nodes[1];
      await b.node.stop();
      nodes[1] = await startNode(deployment, 13, b.dataDir, { pollIntervalMs: 25 });
    })();
    await Promise.all([...users.map((_, u) => userRun(u)), restart]);

    expect(statuses).to.have.length(USERS * COMMANDS_PER_USER);
    expect(statuses.filter((s) => s.status !== "applied"), "every command applied").to.deep.equal([]);
    expect(nodes[1].logger.lines.some((l) => l.includes("unsealed"))).to.equal(true);

    // Exactly once on chain: one log entry per command, none posted twice.
    const group = await ethers.getContractAt("AnonifyGroup", deployment.group);
    const singles = await group.queryFilter(group.filters.CiphertextPosted());
    const batches = await group.queryFilter(group.filters.CiphertextBatchPosted());
    const entries = singles.length + batches.reduce((n, e) => n + e.args.ciphertexts.length, 0);
    expect(entries).to.equal(USERS * COMMANDS_PER_USER);
    expect(batches.length, "the submitters batched under load").to.be.greaterThan(0);

    const hashes = await convergedStateHashes(deployment, nodes);
    expect(new Set(hashes).size).to.equal(1);
    // Hundreds of blocks a second push the chain's time ahead of this machine's: the enclave judges issuedAt
    // against the newest block it applied, so the reads are dated by the chain (as AnonifyClient does).
    const latest = await ethers.provider.getBlock("latest");
    const issuedAt = BigInt(Math.max(Math.floor(Date.now() / 1000), latest?.timestamp ?? 0));
    for (const node of nodes) {
      for (const [u, user] of users.entries()) {
        const read = await sealRead({ enclaveHpkeKey: node.node.identity.hpkePublicKey, signer: user, domain, query: { op: "balanceOf", account: addresses[u] }, issuedAt });
        const reply = await openReadReply<string>(read.replyKeyPair, (await node.node.read(read.payload)).reply);
        expect(reply.ok && reply.result, `user ${u} on ${node.node.address}`).to.equal(balances.get(addresses[u])!.toString());
      }
    }
  });
});
