import { expect } from "chai";
import fs from "node:fs";
import { ethers, network } from "hardhat";
import type { EventLog, Signer } from "ethers";
import { groupDomain, sealCommand } from "../../src/client/wire";
import { groupContract } from "../../src/node";
import { GROUP_INTERFACE } from "../../src/node/groupContract";
import { CommandDriver, convergedStateHashes, deployGroup, startNode, until, type Deployment, type TestNode } from "./helpers";

/**
 * Audit F-6: after a revocation the group takes no ciphertext until a removal commit takes the revoked enclave's
 * leaf out of the MLS group, and the nodes post that commit themselves. Three nodes; the governor revokes c's
 * enclave in the block right before a's post of a user's command: the post is refused (RemovalCommitPending), a and
 * b race to post the removal commit (one lands, the other drops its attempt quietly), a's submitter seals the
 * command again for the new epoch, and a and b apply it while c can no longer read it.
 */
describe("revocation: the nodes post the removal commit themselves (audit F-6; simulation, real enclaves)", function () {
  this.timeout(300_000);
  let deployment: Deployment;
  let a: TestNode;
  let b: TestNode;
  let c: TestNode;
  let owner: Signer;
  let alice: Signer;
  let driver: CommandDriver;

  before(async function () {
    deployment = await deployGroup();
    a = await startNode(deployment, 5);
    b = await startNode(deployment, 6);
    c = await startNode(deployment, 7);
    [owner, alice] = (await ethers.getSigners()).slice(8, 10);
    driver = new CommandDriver(groupDomain((await ethers.provider.getNetwork()).chainId, deployment.group));
    await driver.command(a, owner, { op: "init", name: "Revocation Token", symbol: "REV", initialSupply: "1000" });
    await convergedStateHashes(deployment, [a, b, c]);
  });
  after(async function () {
    await network.provider.send("evm_setAutomine", [true]);
    for (const n of [a, b, c]) {
      if (n === undefined) continue;
      await n.node.stop();
      fs.rmSync(n.dataDir, { recursive: true, force: true });
    }
  });

  it("a post is refused until the automatic removal commit lands; then the command is applied on a and b, and c cannot read it", async function () {
    const group = groupContract(deployment.group, deployment.governor);
    const aAccount = await ethers.getSigners().then((s) => s[5].getAddress());
    const nonce = 1; // the owner's second command (the driver sealed the first)
    const sealed = await sealCommand({
      enclaveHpkeKey: a.node.identity.hpkePublicKey,
      signer: owner,
      domain: driver.domain,
      nonce,
      payload: { op: "transfer", to: await alice.getAddress(), amount: "25" },
    });

    // a's post waits in the pool; the revocation, with a higher tip, lands before it in the same block.
    let revokedBlock: number;
    let accepted;
    await network.provider.send("evm_setAutomine", [false]);
    try {
      accepted = await a.node.submitCommand(sealed.payload);
      await until(async () => ((await network.provider.send("eth_getBlockByNumber", ["pending", false])) as { transactions: string[] }).transactions.length === 1 || undefined);
      await group.revokeEnclave(c.node.address, {
        maxPriorityFeePerGas: ethers.parseUnits("50", "gwei"),
        maxFeePerGas: ethers.parseUnits("100", "gwei"),
        gasLimit: 300_000n,
      });
      await network.provider.send("evm_mine", []);
      revokedBlock = await ethers.provider.getBlockNumber();
    } finally {
      await network.provider.send("evm_setAutomine", [true]);
    }

    // The block: the revocation, then a's post, refused because c's leaf could read it.
    const block = await ethers.provider.getBlock(revokedBlock, true);
    const txs = block!.prefetchedTransactions;
    expect(txs.map((t) => t.from)).to.deep.equal([await deployment.governor.getAddress(), aAccount]);
    const refusedPost = txs[1];
    expect((await ethers.provider.getTransactionReceipt(refusedPost.hash))!.status).to.equal(0);
    const call = GROUP_INTERFACE.parseTransaction({ data: refusedPost.data })!;
    expect(call.name).to.equal("postCiphertext");
    const reverted = await ethers.provider.call({ to: deployment.group, data: refusedPost.data, blockTag: revokedBlock }).catch((e: unknown) => e);
    const data = (reverted as { data?: string }).data ?? "";
    expect(GROUP_INTERFACE.parseError(data)?.name).to.equal("RemovalCommitPending");
    expect(GROUP_INTERFACE.parseError(data)?.args[0]).to.equal(1n);

    // The command ends applied: sealed again after the removal commit, in the epoch it created.
    const status = await until(async () => {
      const s = a.node.commandStatus(accepted!.id);
      return s === undefined || s.status === "queued" || s.status === "posted" ? undefined : s;
    }, 120_000);
    expect(status.status, `${status.reason}\n${a.logger.lines.join("\n")}\n--- b\n${b.logger.lines.join("\n")}`).to.equal("applied");

    const removals = await group.queryFilter(group.filters.EnclaveRemoved());
    expect(removals).to.have.length(1);
    const [removedEnclave, removalEpoch, committer] = (removals[0] as EventLog).args as unknown as [string, bigint, string];
    expect(removedEnclave).to.equal(c.node.address);
    expect([a.node.address, b.node.address]).to.include(committer);
    expect(removals[0].blockNumber).to.be.greaterThan(revokedBlock);
    expect(await group.pendingRemovalCount()).to.equal(0n);
    expect(await group.removalPending(c.node.address)).to.equal(false);
    const [entry] = await group.queryFilter(group.filters.CiphertextPosted(BigInt(status.stateCounter!)));
    expect((entry as EventLog).args.epoch).to.equal(removalEpoch + 1n);
    expect(entry.blockNumber).to.be.greaterThan(removals[0].blockNumber);

    // a and b applied it and agree; nobody reported an error about the removal (the race's loser dropped quietly).
    const [hashA, hashB] = await convergedStateHashes(deployment, [a, b]);
    expect(hashB).to.equal(hashA);
    for (const n of [a, b]) expect(n.logger.lines.filter((l) => /removal commit:|failed/.test(l)), n.logger.lines.join("\n")).to.deep.equal([]);
    expect(a.logger.lines.concat(b.logger.lines).filter((l) => l.includes("removal commit of revoked"))).to.have.length(1);

    // c's enclave is out of the MLS group: it cannot read the entry posted after its removal.
    await until(async () => (c.node.sync.removed ? true : (await c.node.catchUp(), undefined)));
    expect(c.node.sync.isMember).to.equal(false);
    expect(c.node.sync.lastApplied).to.be.lessThan(BigInt(status.stateCounter!));
    expect(c.logger.lines.some((l) => l.includes(`entry #${status.stateCounter} `) && l.includes("this enclave was removed from the group"))).to.equal(true);

    // Posting goes on: another command through b.
    await driver.command(b, alice, { op: "transfer", to: await owner.getAddress(), amount: "5" });
    const after = await convergedStateHashes(deployment, [a, b]);
    expect(after[0]).to.equal(after[1]);
  });
});
