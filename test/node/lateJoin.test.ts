import { expect } from "chai";
import fs from "node:fs";
import { ethers } from "hardhat";
import type { Signer } from "ethers";
import { groupDomain, type TokenCommand } from "../../src/client/wire";
import { CommandDriver, convergedStateHashes, deployGroup, startNode, tempDir, type Deployment, type TestNode } from "./helpers";

const STAGGER_MS = 300;

/**
 * State handover to late joiners (src/node/snapshots.ts): a node that joins after commands were logged cannot read
 * them; the member with the lowest leaf posts a snapshot entry, the newcomer adopts it and every other member checks
 * it against its own state. The same path serves a node restarted on a new machine without its sealed data.
 */
describe("late joiners take over the state from a snapshot entry (simulation, real enclaves)", function () {
  this.timeout(240_000);
  let deployment: Deployment;
  let a: TestNode;
  let b: TestNode;
  const late: TestNode[] = [];
  let owner: Signer;
  let alice: Signer;
  let driver: CommandDriver;

  before(async function () {
    deployment = await deployGroup();
    a = await startNode(deployment, 12, undefined, { snapshotStaggerMs: STAGGER_MS });
    b = await startNode(deployment, 13, undefined, { snapshotStaggerMs: STAGGER_MS });
    [owner, alice] = (await ethers.getSigners()).slice(14, 16);
    driver = new CommandDriver(groupDomain((await ethers.provider.getNetwork()).chainId, deployment.group));
    await command(a, owner, { op: "init", name: "Late Token", symbol: "LATE", initialSupply: "1000" });
    await command(b, owner, { op: "transfer", to: await alice.getAddress(), amount: "100" });
    await command(a, alice, { op: "transfer", to: await owner.getAddress(), amount: "7" });
  });
  after(async function () {
    for (const n of [a, b, ...late]) {
      if (n === undefined) continue;
      await n.node.stop();
      fs.rmSync(n.dataDir, { recursive: true, force: true });
    }
  });

  const command = (node: TestNode, signer: Signer, payload: TokenCommand) => driver.command(node, signer, payload);
  const convergedHashes = (nodes: TestNode[]) => convergedStateHashes(deployment, nodes);

  function snapshotPosts(node: TestNode): string[] {
    return node.logger.lines.filter((l) => /snapshot of state #\d+ posted/.test(l));
  }

  it("a node joining after commands were logged adopts the lowest leaf's snapshot, then applies new entries like the others", async function () {
    const n = await startNode(deployment, 16, undefined, { snapshotStaggerMs: STAGGER_MS });
    late.push(n);
    expect(n.node.sync.isMember).to.equal(true);
    expect(n.logger.lines.filter((l) => l.includes("cannot be applied: posted before this enclave joined"))).to.have.length(3);

    const [hashA, hashB, hashLate] = await convergedHashes([a, b, n]);
    expect(hashLate).to.equal(hashA);
    expect(hashB).to.equal(hashA);
    // Leaf 0 (a) posted entry #4; b, staggered behind it, saw it checked and posted nothing.
    expect(snapshotPosts(a)).to.have.length(1);
    expect(snapshotPosts(a)[0]).to.match(/snapshot of state #3 posted/);
    expect(snapshotPosts(b)).to.deep.equal([]);
    expect(n.logger.lines.some((l) => /applied #4 \(snapshot adopted, applied\)/.test(l))).to.equal(true);
    for (const member of [a, b]) expect(member.logger.lines.some((l) => /applied #4 \(snapshot checked, applied\)/.test(l))).to.equal(true);

    // The newcomer now serves commands: its entry is applied everywhere with the same state.
    await command(n, alice, { op: "transfer", to: await owner.getAddress(), amount: "3" });
    const hashes = await convergedHashes([a, b, n]);
    expect(new Set(hashes).size).to.equal(1);
  });

  it("restarted on a new machine without its sealed data, a node joins as a new enclave, takes over the state, and its old leaf is removed", async function () {
    const old = late[0];
    const oldAddress = old.node.address;
    await old.node.stop();
    fs.rmSync(old.dataDir, { recursive: true, force: true });

    const fresh = await startNode(deployment, 16, tempDir(), { snapshotStaggerMs: STAGGER_MS });
    late.push(fresh);
    expect(fresh.node.address).to.not.equal(oldAddress);
    const [hashA, , hashFresh] = await convergedHashes([a, b, fresh]);
    expect(hashFresh).to.equal(hashA);

    const removed = await a.node.remove({ enclave: oldAddress });
    expect(removed.enclave).to.equal(oldAddress);
    await command(fresh, owner, { op: "transfer", to: await alice.getAddress(), amount: "11" });
    const hashes = await convergedHashes([a, b, fresh]);
    expect(new Set(hashes).size).to.equal(1);
    expect(fresh.node.sync.mlsStatus.group).to.deep.include({ memberCount: 3 });
  });

  it("/admin/snapshot posts a snapshot on demand, which every member checks against its own state; without the token it is refused", async function () {
    const refused = await fetch(`${b.node.url}/admin/snapshot`, { method: "POST" });
    expect(refused.status).to.equal(401);
    const token = fs.readFileSync(`${b.dataDir}/admin.token`, "utf8").trim();
    const response = await fetch(`${b.node.url}/admin/snapshot`, { method: "POST", headers: { Authorization: `Bearer ${token}` } });
    const posted = (await response.json()) as { stateCounter: string; epoch: string; txHash: string };
    expect(response.status, JSON.stringify(posted)).to.equal(200);
    expect(posted.txHash).to.match(/^0x[0-9a-f]{64}$/);
    const counter = BigInt(posted.stateCounter) + 1n;
    const hashes = await convergedHashes([a, b, late[1]]);
    expect(new Set(hashes).size).to.equal(1);
    for (const n of [a, b, late[1]]) {
      expect(n.logger.lines.some((l) => l.includes(`applied #${counter} (snapshot checked, applied)`)), n.logger.lines.slice(-5).join("\n")).to.equal(true);
    }
  });
});
