import { expect } from "chai";
import fs from "node:fs";
import { ethers } from "hardhat";
import type { Log } from "ethers";
import { groupDomain, sealCommand, type CommandStatus } from "../../src/client/wire";
import { groupContract, GROUP_INTERFACE } from "../../src/node";
import { CommandDriver, TEST_OPERATOR_CAP, convergedStateHashes, deployGroup, startNode, until, type Deployment, type TestNode } from "./helpers";

/** Rethrows `error` with the nodes' latest log lines, so a failure says where the nodes stopped. */
function withLogs(error: Error, nodes: TestNode[]): never {
  const tails = nodes.map((n, i) => `node ${i}:\n  ${n.logger.lines.slice(-20).join("\n  ")}`);
  throw new Error(`${error.message}\n${tails.join("\n")}`);
}

/**
 * Audit F-2: every join moves the epoch and voids the signed posts waiting for the old one. Operators (with raised
 * caps) still may join several enclaves at once; a node whose commands are pending while they join must re-submit
 * each of them, and each must land on chain exactly once.
 */
describe("a join storm voids pending posts; the node re-submits each exactly once (audit F-2, simulation, real enclaves)", function () {
  this.timeout(300_000);
  let deployment: Deployment;
  let a: TestNode;
  let b: TestNode;
  const joiners: TestNode[] = [];

  before(async function () {
    deployment = await deployGroup();
    // a applies the log only when it must (its own re-submissions catch up), so the joins void what it signed.
    a = await startNode(deployment, 12, undefined, { pollIntervalMs: 3_600_000, syncOnNewBlocks: false, checkpointInterval: 0 });
    b = await startNode(deployment, 13, undefined, { checkpointInterval: 0 });
    await a.node.catchUp();
  });
  after(async function () {
    for (const n of [a, b, ...joiners]) {
      if (n === undefined) continue;
      await n.node.stop();
      fs.rmSync(n.dataDir, { recursive: true, force: true });
    }
  });

  it("three enclaves join while three commands wait on the lagging node: all three applied once, every member agrees", async function () {
    const signers = await ethers.getSigners();
    const [owner, ...users] = signers.slice(14, 17);
    const group = groupContract(deployment.group, ethers.provider);
    const domain = groupDomain((await ethers.provider.getNetwork()).chainId, deployment.group);
    await new CommandDriver(domain).command(b, owner, { op: "init", name: "Storm Token", symbol: "STM", initialSupply: "1000" });
    await a.node.catchUp();
    const startCounter = (await group.stateCounter()) as bigint;
    const joinerAccounts = [17, 18, 19];
    for (const account of joinerAccounts) {
      const [, , cap] = (await group.operatorInfo(signers[account].address)) as [boolean, bigint, bigint];
      expect(cap).to.equal(BigInt(TEST_OPERATOR_CAP));
    }

    // The first join lands before a seals anything: a's first post names an epoch that is gone.
    joiners.push(await startNode(deployment, joinerAccounts[0], undefined, { checkpointInterval: 0 }));
    const chainEpochBefore = (await group.currentEpoch()) as bigint;
    expect(a.node.sync.epoch).to.be.a("number");
    expect(a.node.sync.epoch!).to.be.lessThan(Number(chainEpochBefore));

    // Three users' commands (approvals need no balance) wait on a while two more enclaves join at once.
    const accepted: CommandStatus[] = [];
    const storm = Promise.all(joinerAccounts.slice(1).map((account) => startNode(deployment, account, undefined, { checkpointInterval: 0 })));
    for (const [i, user] of [owner, ...users].entries()) {
      const sealed = await sealCommand({
        enclaveHpkeKey: a.node.identity.hpkePublicKey,
        signer: user,
        domain,
        nonce: user === owner ? 1 : 0,
        payload: { op: "approve", spender: signers[5 + i].address, amount: String(10 + i) },
      });
      accepted.push(await a.node.submitCommand(sealed.payload));
    }
    joiners.push(...(await storm));
    expect(await group.activeEnclaveCount()).to.equal(5n);

    const final = await until(async () => {
      await a.node.catchUp();
      const statuses = accepted.map((s) => a.node.commandStatus(s.id));
      return statuses.every((s) => s !== undefined && s.status !== "queued" && s.status !== "posted") ? (statuses as CommandStatus[]) : undefined;
    }, 120_000).catch((e: Error) => withLogs(e, [a]));
    expect(final.map((s) => s.status)).to.deep.equal(["applied", "applied", "applied"]);
    const counters = final.map((s) => BigInt(s.stateCounter!));
    expect(new Set(counters).size).to.equal(3);
    expect(a.logger.lines.filter((l) => l.includes("re-submitted for epoch")).length).to.be.greaterThan(0);

    // Exactly once: every entry after the init is one of the three commands or a snapshot a member logged posting.
    const nodes = [a, b, ...joiners];
    // a syncs only when asked: keep it catching up (it is leaf 0, the member that posts snapshots for joiners).
    const catchingUp = setInterval(() => void a.node.catchUp().catch(() => undefined), 200);
    const hashes = await convergedStateHashes(deployment, nodes)
      .catch((e: Error) => withLogs(e, nodes))
      .finally(() => clearInterval(catchingUp));
    expect(new Set(hashes).size).to.equal(1);
    const snapshots = nodes.flatMap((n) => n.logger.lines.filter((l) => /snapshot of state #\d+ posted/.test(l))).length;
    const endCounter = (await group.stateCounter()) as bigint;
    expect(endCounter - startCounter).to.equal(3n + BigInt(snapshots));
    const logs: Log[] = await ethers.provider.getLogs({ address: deployment.group, fromBlock: 0 });
    const aEntries = logs
      .map((l) => GROUP_INTERFACE.parseLog(l))
      .filter((e) => e !== null && (e.name === "CiphertextPosted" || e.name === "CiphertextBatchPosted") && e.args.sender === a.node.address)
      .reduce((n, e) => n + (e!.name === "CiphertextBatchPosted" ? (e!.args.ciphertexts as unknown[]).length : 1), 0);
    const aSnapshots = a.logger.lines.filter((l) => /snapshot of state #\d+ posted/.test(l)).length;
    expect(aEntries).to.equal(3 + aSnapshots);
  });
});
