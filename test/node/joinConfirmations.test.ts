/**
 * Joins with `confirmations` (issue 15 item 6), on the in-process chain (automine: a block only per transaction,
 * or per `evm_mine`). As found: a node with confirmations 2 failed at once with "the followed log is at epoch null
 * but the chain is at 1" when the last handshake was less than 2 blocks deep, and then waited for its own join with
 * no progress line (on an automine chain, until the timeout). Now the join builds on the chain's current epoch (the
 * join reads handshakes to the head), and the wait for the join to be 2 blocks deep prints progress lines and says
 * so when no new block comes.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { AnonifyNode, MemoryLogger } from "../../src/node";
import { deployGroup, enclaveBinary, startNode, tempDir, until, type Deployment, type TestNode } from "./helpers";

describe("joins with confirmations", function () {
  this.timeout(120_000);
  let deployment: Deployment;
  const started: AnonifyNode[] = [];

  before(async function () {
    deployment = await deployGroup();
  });
  after(async function () {
    for (const node of started) await node.stop();
  });

  /** Starts a node with confirmations 2 without waiting for start(): the test mines the blocks it waits for. */
  async function startConfirmed(account: number): Promise<{ node: AnonifyNode; logger: MemoryLogger; started: Promise<void> }> {
    const signers = await ethers.getSigners();
    const logger = new MemoryLogger();
    const node = new AnonifyNode({
      binary: enclaveBinary(),
      dataDir: tempDir(),
      signer: signers[account],
      group: deployment.group,
      pollIntervalMs: 50,
      confirmations: 2,
      http: false,
      joinWait: { progressIntervalMs: 200, noBlockWarnMs: 500 },
      logger,
    });
    started.push(node);
    return { node, logger, started: node.start() };
  }

  const waiting = (logger: MemoryLogger, depth: string) => logger.lines.filter((l) => / waiting for join tx 0x[0-9a-f]{64} to be 2 blocks deep: /.test(l) && l.includes(`: ${depth} (block `));
  const mine = () => ethers.provider.send("evm_mine", []);

  async function joinsAfterTwoBlocks(joiner: { node: AnonifyNode; logger: MemoryLogger; started: Promise<void> }, members: number): Promise<void> {
    const failed = joiner.started.then(
      () => undefined,
      (error: Error) => error,
    );
    // Posted for the chain's current epoch (no "followed log is at epoch null"), then waiting 0/2 deep.
    await until(async () => (waiting(joiner.logger, "0/2").length > 0 ? true : (await Promise.race([failed, Promise.resolve(undefined)])) === undefined ? undefined : true));
    const early = await Promise.race([failed, Promise.resolve(undefined)]);
    expect(early, `${early?.message}\n${joiner.logger.lines.join("\n")}`).to.equal(undefined);
    // No block comes on an automine chain: the progress line says so.
    await until(async () => (joiner.logger.lines.some((l) => l.includes("no new block for") && l.includes("on an automine chain mine blocks or use --confirmations 0")) ? true : undefined));
    await mine();
    await until(async () => (waiting(joiner.logger, "1/2").length > 0 ? true : undefined));
    await mine();
    expect(await failed, joiner.logger.lines.join("\n")).to.equal(undefined);
    expect(joiner.node.sync.isMember).to.equal(true);
    expect(joiner.logger.lines.some((l) => l.includes(`joined group at epoch`) && l.includes(`(${members} members)`))).to.equal(true);
  }

  it("joins when the last handshake is 0 blocks deep, with progress lines while its join gets 2 blocks deep", async function () {
    const a: TestNode = await startNode(deployment, 5, undefined, { http: false });
    started.push(a.node);
    // a's genesis handshake is in the head block: 0 deep.
    const b = await startConfirmed(6);
    await joinsAfterTwoBlocks(b, 2);
  });

  it("joins when the last handshake is 1 block deep", async function () {
    await until(async () => (started.every((n) => n.sync.isMember) ? true : undefined));
    // b's join is now 2 deep; a third node with confirmations 0 joins (epoch 2), and one block is mined after it.
    const c: TestNode = await startNode(deployment, 7, undefined, { http: false });
    started.push(c.node);
    await mine();
    const d = await startConfirmed(8);
    await joinsAfterTwoBlocks(d, 4);
  });

  it("a member with confirmations 2 rotates its keys (the self-update a restart needs too): it waits for its commit to be 2 blocks deep", async function () {
    // As found (the rehearsal's node restart): "the update commit for epoch n was posted but not applied".
    const d = started[started.length - 1];
    const logger = (d.options.logger as MemoryLogger);
    const rotated = d.rotate();
    await until(async () => (logger.lines.some((l) => /waiting for update commit tx 0x[0-9a-f]{64} to be 2 blocks deep: 0\/2/.test(l)) ? true : undefined));
    await mine();
    await mine();
    const epoch = await rotated;
    expect(d.sync.epoch).to.equal(Number(epoch));
    expect(logger.lines.some((l) => l.includes(`key rotation committed: epoch ${epoch}`))).to.equal(true);
  });
});
