import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import hre, { ethers } from "hardhat";
import type { Signer, TypedDataDomain } from "ethers";
import { chainIssuedAt } from "../../src/client/AnonifyClient";
import { groupDomain, openReadReply, sealRead, type TokenCommand } from "../../src/client/wire";
import { CommandDriver, binaryMrenclave, convergedStateHashes, deployGroup, enclaveBinary, startNode, tempDir, type Deployment, type TestNode } from "./helpers";

/**
 * An MRENCLAVE upgrade end to end (docs/recovery.md): governance allows the new enclave version, a node running it
 * joins and takes over the state from a snapshot, the new version removes the old members from the MLS group,
 * governance disallows the old MRENCLAVE and evicts its enclaves, and commands keep flowing with nothing lost.
 * The "new version" is the same program with bytes appended (a different executable, so a different simulation
 * MRENCLAVE, which cannot open the old version's sealed files).
 */
describe("MRENCLAVE upgrade: the new version joins, takes over the state, the old one is retired (simulation)", function () {
  this.timeout(240_000);
  let deployment: Deployment;
  let v2Binary: string;
  let v1: string;
  let v2: string;
  const nodes: TestNode[] = [];
  let owner: Signer;
  let alice: Signer;
  let domain: TypedDataDomain;
  let driver: CommandDriver;

  before(async function () {
    deployment = await deployGroup();
    const dir = tempDir("anonify-upgrade-bin-");
    v2Binary = path.join(dir, "anonify-enclave-v2");
    fs.copyFileSync(enclaveBinary(), v2Binary);
    fs.appendFileSync(v2Binary, "\nanonify enclave v2 (upgrade test)\n");
    fs.chmodSync(v2Binary, 0o755);
    v1 = await binaryMrenclave(enclaveBinary());
    v2 = await binaryMrenclave(v2Binary);
    [owner, alice] = (await ethers.getSigners()).slice(16, 18);
    domain = groupDomain((await ethers.provider.getNetwork()).chainId, deployment.group);
    driver = new CommandDriver(domain);
  });
  after(async function () {
    for (const n of nodes) {
      await n.node.stop();
      fs.rmSync(n.dataDir, { recursive: true, force: true });
    }
    fs.rmSync(path.dirname(v2Binary), { recursive: true, force: true });
  });

  const command = (node: TestNode, signer: Signer, payload: TokenCommand) => driver.command(node, signer, payload);
  async function converged(members: TestNode[]): Promise<string> {
    const hashes = await convergedStateHashes(deployment, members);
    expect(new Set(hashes).size, "same state on every member").to.equal(1);
    expect(hashes[0], "a state hash after the first entry").to.be.a("string");
    return hashes[0] as string;
  }

  it("a v2 node is refused before governance allows its MRENCLAVE", async function () {
    expect(v2).to.not.equal(v1);
    const refused = startNode(deployment, 12, undefined, { binary: v2Binary });
    await refused.then(
      () => expect.fail("the v2 node joined before its MRENCLAVE was allowed"),
      (error: Error) => expect(error.message).to.match(/MrenclaveNotAllowed/),
    );
  });

  it("v1 nodes serve; v2 is allowed, joins and adopts the state; v1 is removed, disallowed and evicted; v2 nodes carry on", async function () {
    const a = await startNode(deployment, 12, undefined, { snapshotStaggerMs: 200 });
    const b = await startNode(deployment, 13, undefined, { snapshotStaggerMs: 200 });
    nodes.push(a, b);
    await command(a, owner, { op: "init", name: "Upgrade Token", symbol: "UPG", initialSupply: "5000" });
    await command(b, owner, { op: "transfer", to: await alice.getAddress(), amount: "1200" });
    const before = await converged([a, b]);

    const [deployer] = await ethers.getSigners();
    const verifier = await hre.ethers.getContractAt("IasVerifier", deployment.verifier, deployer);
    await (await verifier.setMrenclaveAllowed(v2, true)).wait();

    const c = await startNode(deployment, 14, undefined, { binary: v2Binary, snapshotStaggerMs: 200 });
    nodes.push(c);
    expect(c.node.identity.mrenclave).to.equal(v2);
    expect(await converged([a, b, c])).to.not.equal(before); // the snapshot entry moved the counter: same state, new hash input
    await command(c, alice, { op: "transfer", to: await owner.getAddress(), amount: "200" });
    await converged([a, b, c]);

    // Retire v1: the v2 member removes the old leaves, governance disallows v1 and the group's governor evicts its
    // enclaves at once (anyone else would have to wait for the eviction grace period: audit F-1).
    await c.node.remove({ enclave: a.node.address });
    await c.node.remove({ enclave: b.node.address });
    await (await verifier.setMrenclaveAllowed(v1, false)).wait();
    const group = await hre.ethers.getContractAt("AnonifyGroup", deployment.group, deployment.governor);
    await expect(group.connect(deployer).evictEnclave(a.node.address)).to.be.revertedWithCustomError(group, "EvictionGracePeriodRunning");
    for (const old of [a, b]) await (await group.evictEnclave(old.node.address)).wait();
    expect(await group.activeEnclaveCount()).to.equal(1n);

    // A second v2 node joins and takes over the state from c alone.
    const d = await startNode(deployment, 15, undefined, { binary: v2Binary, snapshotStaggerMs: 200 });
    nodes.push(d);
    await converged([c, d]);
    await command(d, owner, { op: "transfer", to: await alice.getAddress(), amount: "1" });
    await command(c, alice, { op: "transfer", to: await owner.getAddress(), amount: "1" });
    await converged([c, d]);
    for (const old of [a, b]) expect((await old.node.health()).removed).to.equal(true);

    // Nothing lost: the balances are the exact sums of every command since genesis.
    const balances = [];
    for (const who of [owner, alice]) {
      const read = await sealRead({
        enclaveHpkeKey: d.node.identity.hpkePublicKey,
        signer: who,
        domain,
        query: { op: "balanceOf", account: await who.getAddress() },
        issuedAt: await chainIssuedAt(ethers.provider), // the in-process chain may run ahead of the wall clock
      });
      const reply = await openReadReply<string>(read.replyKeyPair, (await d.node.read(read.payload)).reply);
      expect(reply.ok).to.equal(true);
      balances.push(reply.ok ? reply.result : undefined);
    }
    expect(balances).to.deep.equal(["4000", "1000"]);
  });
});
