import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import hre from "hardhat";
import { Wallet, type HDNodeWallet } from "ethers";
import type { Hex, MlsGroupPolicyParams } from "../../src/enclave/protocol";
import type { AnonifyNode } from "../../src/node";
import { policyChangeTypedData } from "../../src/node/policyChange";
import { binaryMrenclave, deployGroup, startNode, tempDir, type Deployment, type TestNode } from "./helpers";
import { TOKEN_RUNTIME } from "../../src/runtimes/name";

/**
 * Two nodes on the in-process chain whose group pins the binary's MRENCLAVE and names 2 of 3 governance keys: an
 * MRENCLAVE-allowlist upgrade goes through AnonifyNode.changePolicy (posted as a handshake, applied by both nodes);
 * one approval short, the node refuses before anything is posted. A second change goes through the
 * `anonify:policy-change` task (via the running node's operator endpoint).
 */
describe("AnonifyNode governance policy change (simulation, real enclaves)", function () {
  this.timeout(180_000);
  let deployment: Deployment;
  let a: TestNode | undefined;
  let b: TestNode | undefined;
  const governance: HDNodeWallet[] = [Wallet.createRandom(), Wallet.createRandom(), Wallet.createRandom()];

  before(async function () {
    deployment = await deployGroup();
  });
  after(async function () {
    await a?.node.stop();
    await b?.node.stop();
    for (const n of [a, b]) if (n) fs.rmSync(n.dataDir, { recursive: true, force: true });
  });

  async function statuses(nodes: AnonifyNode[]) {
    for (const n of nodes) await n.catchUp();
    return nodes.map((n) => {
      const s = n.sync.mlsStatus.group;
      if (s?.member !== true) throw new Error("not a member");
      return s;
    });
  }

  it("upgrades the group's MRENCLAVE allowlist with k approvals; k - 1 are refused", async function () {
    const mrenclave = (await binaryMrenclave()) as Hex;
    const policy: MlsGroupPolicyParams = {
      allowedStatuses: ["OK"],
      mrenclaves: [mrenclave],
      governance: { threshold: 2, keys: governance.map((w) => w.address as Hex) },
      runtime: TOKEN_RUNTIME,
    };
    a = await startNode(deployment, 5, tempDir(), { groupPolicy: policy });
    b = await startNode(deployment, 6);
    const [before] = await statuses([a.node, b.node]);

    const upgraded: MlsGroupPolicyParams = { ...policy, mrenclaves: [mrenclave, `0x${"6b".repeat(32)}`] };
    const typed = policyChangeTypedData(a.node.domain, before.epoch, upgraded);
    const approvals = (await Promise.all(governance.map((w) => w.signTypedData(typed.domain, typed.types, typed.value)))) as Hex[];

    let refused: unknown;
    try {
      await b.node.changePolicy(upgraded, [approvals[1]]);
    } catch (e) {
      refused = e;
    }
    expect(String(refused)).to.contain("policy_refused");
    expect((await statuses([b.node]))[0].epoch).to.equal(before.epoch);

    const epoch = await b.node.changePolicy(upgraded, [approvals[1], approvals[2]]);
    expect(epoch).to.equal(BigInt(before.epoch + 1));
    const [sa, sb] = await statuses([a.node, b.node]);
    expect([sa.epoch, sb.epoch]).to.deep.equal([before.epoch + 1, before.epoch + 1]);
    expect(sa.epochAuthenticator).to.equal(sb.epochAuthenticator);
    expect(sa.memberCount).to.equal(2);
    expect(b.logger.lines.some((l) => l.includes(`policy change committed: epoch ${before.epoch + 1}`))).to.equal(true);

    // The task, through a's operator endpoint: one approval is refused, two are committed.
    const next: MlsGroupPolicyParams = { ...upgraded, mrenclaves: [mrenclave, `0x${"6c".repeat(32)}`] };
    const policyFile = path.join(a.dataDir, "next-policy.json");
    fs.writeFileSync(policyFile, JSON.stringify(next));
    const typedNext = policyChangeTypedData(a.node.domain, before.epoch + 1, next);
    const nextApprovals = (await Promise.all(governance.map((w) => w.signTypedData(typedNext.domain, typedNext.types, typedNext.value)))) as Hex[];
    const short = await hre.run("anonify:policy-change", { node: a.dataDir, policy: policyFile, approvals: nextApprovals[0] }).catch((e: unknown) => e);
    expect(String(short)).to.contain("1 distinct governance approvals");
    const viaTask = await hre.run("anonify:policy-change", { node: a.dataDir, policy: policyFile, approvals: `${nextApprovals[0]},${nextApprovals[1]}` });
    expect(viaTask).to.deep.equal({ epoch: String(before.epoch + 2) });
    const [ta, tb] = await statuses([a.node, b.node]);
    expect([ta.epoch, tb.epoch]).to.deep.equal([before.epoch + 2, before.epoch + 2]);
    expect(ta.epochAuthenticator).to.equal(tb.epochAuthenticator);
  });
});

/**
 * The genesis node's configured policy must name the runtime the group contract names: the enclave cannot read the
 * chain, so a policy naming another runtime would fix a group whose entries every other member's contract view
 * contradicts. The node refuses it before it creates the MLS group or posts its join.
 */
describe("AnonifyNode genesis policy naming another runtime than the contract's", function () {
  this.timeout(120_000);

  it("is refused with invalid_policy naming both runtimes, and nothing reaches the chain", async function () {
    const deployment = await deployGroup();
    const group = await hre.ethers.getContractAt("AnonifyGroup", deployment.group);
    const policy: MlsGroupPolicyParams = {
      allowedStatuses: ["OK"],
      mrenclaves: [(await binaryMrenclave()) as Hex],
      runtime: "anonify-records/v1",
    };
    const dataDir = tempDir();
    try {
      const refused = await startNode(deployment, 7, dataDir, { groupPolicy: policy }).then(
        (started) => started.node.stop().then(() => undefined),
        (e: unknown) => e,
      );
      expect(refused, "the node started with a policy naming another runtime").to.not.equal(undefined);
      expect((refused as { code?: string }).code).to.equal("invalid_policy");
      expect(String(refused)).to.contain(`names the runtime "anonify-records/v1", the group contract "${TOKEN_RUNTIME}"`);
      expect(await group.runtime()).to.equal(TOKEN_RUNTIME);
      expect(await group.currentEpoch()).to.equal(0n);
      expect(await group.activeEnclaveCount()).to.equal(0n);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
