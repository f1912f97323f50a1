import { expect } from "chai";
import fs from "node:fs";
import { ethers } from "hardhat";
import { AnonifyNode, groupContract, NodeError } from "../../src/node";
import { deployGroup, enclaveBinary, startNode, type Deployment, type TestNode } from "./helpers";

/**
 * Two TEE nodes on the in-process chain, each with its own enclave process: the first creates the group (genesis
 * join), the second joins by external commit from the log; both agree on the epoch and its authenticator after
 * every handshake; a rotation and a removal go through the chain; a restarted node resumes from its sealed state.
 */
describe("AnonifyNode membership (simulation, real enclaves)", function () {
  this.timeout(180_000);
  let deployment: Deployment;
  let a: TestNode;
  let b: TestNode;
  const dirs: string[] = [];

  before(async function () {
    deployment = await deployGroup();
  });
  after(async function () {
    await a?.node.stop();
    await b?.node.stop();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  async function agree(nodes: AnonifyNode[]) {
    for (const n of nodes) await n.catchUp();
    const statuses = nodes.map((n) => n.sync.mlsStatus.group);
    for (const s of statuses) if (s?.member !== true) throw new Error("not a member");
    return statuses as { epoch: number; epochAuthenticator: string; memberCount: number; leaf: number }[];
  }

  it("genesis node and external joiner agree on epoch and epoch authenticator", async function () {
    a = await startNode(deployment, 5);
    dirs.push(a.dataDir);
    const group = groupContract(deployment.group, ethers.provider);
    expect(await group.currentEpoch()).to.equal(1n);
    expect(a.node.sync.epoch).to.equal(0);
    expect(a.logger.lines.some((l) => l.includes("joined group at epoch 0 as leaf 0"))).to.equal(true);

    b = await startNode(deployment, 6);
    dirs.push(b.dataDir);
    expect(await group.currentEpoch()).to.equal(2n);
    const [sa, sb] = await agree([a.node, b.node]);
    expect(sa.epoch).to.equal(1);
    expect(sb.epoch).to.equal(1);
    expect(sa.epochAuthenticator).to.equal(sb.epochAuthenticator);
    expect(sa.memberCount).to.equal(2);
    expect(sb.leaf).to.equal(1);
    // Both enclaves are on the roster with the keys they attested.
    for (const n of [a.node, b.node]) {
      const record = await group.enclave(n.address);
      expect(record.status).to.equal(1n);
      expect(record.hpkePublicKey).to.equal(n.identity.hpkePublicKey);
    }
    // a saw b join as leaf 1 (remembered for removals by address).
    expect(a.node.sync.leaves.get(1)).to.equal(b.node.address);
    const health = await a.node.health();
    expect(health).to.include({ status: "ok", mode: "simulation", joined: true, epoch: "1" });
  });

  it("rotates b's keys with a self-update commit posted as a handshake", async function () {
    const before = (await agree([a.node, b.node]))[0].epochAuthenticator;
    const epoch = await b.node.rotate();
    expect(epoch).to.equal(2n);
    const [sa, sb] = await agree([a.node, b.node]);
    expect([sa.epoch, sb.epoch]).to.deep.equal([2, 2]);
    expect(sa.epochAuthenticator).to.equal(sb.epochAuthenticator);
    expect(sa.epochAuthenticator).to.not.equal(before);
    expect(b.logger.lines.some((l) => l.includes("key rotation committed: epoch 2"))).to.equal(true);
  });

  it("restarts a with the same data dir and resumes without re-applying handshakes", async function () {
    const dir = a.dataDir;
    const authenticator = (await agree([a.node]))[0].epochAuthenticator;
    await a.node.stop();
    a = await startNode(deployment, 5, dir);
    expect(a.node.identity.created).to.equal(false);
    // The replay applied nothing again (no join, no epoch line before the restart's self-update); then the
    // restarted enclave retired its leaf secrets with a self-update (epoch 3) before anything else.
    expect(a.logger.lines.some((l) => l.includes("member of group at epoch 2 as leaf 0"))).to.equal(true);
    expect(a.logger.lines.filter((l) => /join posted/.test(l))).to.deep.equal([]);
    expect(a.logger.lines.some((l) => l.includes("self-update committed for epoch 3"))).to.equal(true);
    expect(a.node.sync.epoch).to.equal(3);
    const [sa, sb] = await agree([a.node, b.node]);
    expect(sa.epochAuthenticator).to.not.equal(authenticator);
    expect(sa.epochAuthenticator).to.equal(sb.epochAuthenticator);
    expect((await a.node.enclave.call("mls_status", {})).selfUpdateRequired).to.equal(false);
  });

  it("removes b by enclave address; b's node sees its removal", async function () {
    const result = await a.node.remove({ enclave: b.node.address });
    expect(result).to.deep.equal({ epoch: 4n, leaf: 1, enclave: b.node.address });
    const [sa] = await agree([a.node]);
    expect(sa.epoch).to.equal(4);
    expect(sa.memberCount).to.equal(1);
    await b.node.catchUp();
    expect(b.node.sync.removed).to.equal(true);
    expect(b.node.sync.isMember).to.equal(false);
    expect(await b.node.health()).to.include({ joined: false, removed: true });
    // A removed node cannot commit any more.
    const refused = await b.node.rotate().catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(NodeError).and.include({ code: "not_member" });
  });

  it("refuses unknown leaves and a data dir of another group", async function () {
    const unknown = await a.node.remove({ enclave: "0x000000000000000000000000000000000000dEaD" }).catch((e: unknown) => e);
    expect(unknown).to.be.instanceOf(NodeError).and.include({ code: "leaf_unknown" });
    const own = await a.node.remove({ leaf: 0 }).catch((e: unknown) => e);
    expect(own).to.include({ code: "invalid_message" }); // the enclave refuses to remove its own leaf
    await b.node.stop();
    const other = await deployGroup();
    const signers = await ethers.getSigners();
    const wrong = new AnonifyNode({ binary: enclaveBinary(), dataDir: b.dataDir, signer: signers[7], group: other.group, http: false });
    const error = await wrong.start().catch((e: unknown) => e);
    expect(error).to.be.instanceOf(NodeError).and.include({ code: "group_mismatch" });
  });

  it("a governance-revoked enclave's commits are refused, and its node refuses to start again", async function () {
    const group = groupContract(deployment.group, deployment.governor);
    await (await group.revokeEnclave(a.node.address)).wait();
    const refused = await a.node.rotate().catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(NodeError).and.include({ code: "handshake_refused" });
    expect((refused as Error).message).to.include("EnclaveWasRevoked");
    const dir = a.dataDir;
    await a.node.stop();
    const signers = await ethers.getSigners();
    const again = new AnonifyNode({ binary: enclaveBinary(), dataDir: dir, signer: signers[5], group: deployment.group, http: false });
    const error = await again.start().catch((e: unknown) => e);
    expect(error).to.be.instanceOf(NodeError).and.include({ code: "enclave_revoked" });
  });
});
