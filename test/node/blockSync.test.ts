import { expect } from "chai";
import fs from "node:fs";
import { ethers } from "hardhat";
import { Wallet } from "ethers";
import { groupDomain, sealCommand } from "../../src/client/wire";
import { deployGroup, startNode, until, type Deployment, type TestNode } from "./helpers";

/** Longer than the test: the poll loop never runs, so only the block subscription can make a node sync. */
const NEVER_MS = 3_600_000;

/**
 * `syncOnNewBlocks`: a node subscribed to the provider's "block" event applies a posted entry without its poll loop
 * and without a catch-up call; a node without the option, otherwise identical, has not moved; stopping the node
 * removes its listener.
 */
describe("AnonifyNode syncOnNewBlocks (simulation, real enclaves)", function () {
  this.timeout(120_000);
  let deployment: Deployment;
  let subscribed: TestNode;
  let polling: TestNode;
  let listenersBefore: number;

  before(async function () {
    deployment = await deployGroup();
    listenersBefore = await ethers.provider.listenerCount("block");
    subscribed = await startNode(deployment, 19, undefined, { pollIntervalMs: NEVER_MS, syncOnNewBlocks: true, checkpointInterval: 0 });
    polling = await startNode(deployment, 11, undefined, { pollIntervalMs: NEVER_MS, syncOnNewBlocks: false, checkpointInterval: 0 });
  });
  after(async function () {
    await subscribed?.node.stop();
    await polling?.node.stop();
    for (const n of [subscribed, polling]) if (n !== undefined) fs.rmSync(n.dataDir, { recursive: true, force: true });
  });

  it("applies a posted entry on the new block alone; the node without the option stays behind until it catches up", async function () {
    // The second node's join is a handshake the subscribed node applies from the block event too.
    const members = await until(async () => {
      const group = subscribed.node.sync.mlsStatus.group;
      return group?.member === true && group.memberCount === 2 ? group.memberCount : undefined;
    });
    expect(members).to.equal(2);

    const domain = groupDomain((await ethers.provider.getNetwork()).chainId, deployment.group);
    const sealed = await sealCommand({
      enclaveHpkeKey: subscribed.node.identity.hpkePublicKey,
      signer: Wallet.createRandom(),
      domain,
      nonce: 0,
      payload: { op: "init", name: "Block Token", symbol: "BLK", initialSupply: "10" },
    });
    const accepted = await subscribed.node.submitCommand(sealed.payload);
    const status = await until(async () => {
      const s = subscribed.node.commandStatus(accepted.id);
      return s?.status === "applied" ? s : undefined;
    });
    expect(status).to.include({ status: "applied", stateCounter: "1" });
    expect(subscribed.node.sync.lastApplied).to.equal(1n);

    expect(polling.node.sync.lastApplied).to.equal(0n);
    await polling.node.catchUp();
    expect(polling.node.sync.lastApplied).to.equal(1n);
  });

  it("stop() removes the block listener", async function () {
    expect(await ethers.provider.listenerCount("block")).to.equal(listenersBefore + 1);
    await subscribed.node.stop();
    expect(await ethers.provider.listenerCount("block")).to.equal(listenersBefore);
  });
});
