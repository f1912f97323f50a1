/**
 * burn, allowance, total-supply, info and members against a real TEE node (real enclave process, simulation) on the
 * in-process chain: the line each prints, the typed result each returns, and the refusals (a third party's allowance
 * read, a burn above the balance) as one-line plugin errors.
 */
import { expect } from "chai";
import fs from "node:fs";
import hre, { ethers } from "hardhat";
import { HardhatPluginError } from "hardhat/plugins";
import { Contract, getAddress } from "ethers";
import { CommandRefusedError, ReadRefusedError, ROSTER_GROUP_ABI, type GroupRosterJson } from "../../src/client";
import { deploymentFilePath } from "../../src/client/deployment";
import type { AllowanceTaskResult, InfoTaskResult, TokenTaskResult, TotalSupplyTaskResult, BalanceTaskResult } from "../../tasks/token";
import { deployGroup, startNode, tempDir, type Deployment, type TestNode } from "../node/helpers";
import { expectPluginError, runTaskCapturing } from "../helpers/tasks";

async function failure(name: string, args: Record<string, unknown>): Promise<unknown> {
  return runTaskCapturing(name, args).then(
    () => expect.fail(`${name} should fail`),
    (e: unknown) => e,
  );
}

describe("client: burn, allowance, total-supply, info and members against a real node", function () {
  this.timeout(180_000);
  let deployment: Deployment;
  let n: TestNode;
  let node: string;
  let group: string;
  let a: string;
  let b: string;
  const savedDataDir = hre.config.anonify.dataDir;
  const dataDir = tempDir("anonify-read-tasks-");

  before(async function () {
    deployment = await deployGroup();
    n = await startNode(deployment, 10);
    node = n.node.url!;
    group = deployment.group;
    const signers = await ethers.getSigners();
    [a, b] = [signers[11], signers[12]].map((s) => s.address);
    hre.config.anonify.dataDir = dataDir;
  });
  after(async function () {
    hre.config.anonify.dataDir = savedDataDir;
    fs.rmSync(dataDir, { recursive: true, force: true });
    await n?.node.stop();
    if (n !== undefined) fs.rmSync(n.dataDir, { recursive: true, force: true });
  });

  it("info before and after init-token; total-supply; burn lowers balance and supply", async function () {
    const before = await runTaskCapturing<InfoTaskResult>("anonify:info", { node, group, account: "11" });
    expect(before.result).to.deep.include({ initialized: false });
    expect(before.stdout).to.equal("token: not initialized (run anonify:init-token), as of state counter 0 (chain at 0)\n");

    await runTaskCapturing("anonify:init-token", { node, group, account: "11", name: "Read Token", symbol: "RT", supply: "1000" });
    const info = await runTaskCapturing<InfoTaskResult>("anonify:info", { node, group, account: "13" });
    expect(info.result).to.deep.equal({ name: "Read Token", symbol: "RT", owner: a, initialized: true, stateCounter: "1", chainCounter: "1" });
    expect(info.stdout).to.equal(`token: Read Token (RT), owner ${a}, initialized, as of state counter 1 (chain at 1)\n`);

    const supply = await runTaskCapturing<TotalSupplyTaskResult>("anonify:total-supply", { node, group });
    expect(supply.result).to.deep.equal({ totalSupply: "1000", stateCounter: "1", chainCounter: "1" });
    expect(supply.stdout).to.equal("total supply: 1000, as of state counter 1 (chain at 1)\n");

    const burn = await runTaskCapturing<TokenTaskResult>("anonify:burn", { node, group, account: "11", amount: "150" });
    expect(burn.result.command).to.deep.equal({ op: "burn", amount: 150n });
    expect(burn.result.outcome?.status).to.equal("applied");
    expect(burn.stdout).to.match(/^burn: submitted as 0x[0-9a-f]+ \(sender 0x[0-9a-f]{40}, nonce 1\)\nburn: applied at stateCounter 2/);
    expect((await runTaskCapturing<TotalSupplyTaskResult>("anonify:total-supply", { node, group })).result.totalSupply).to.equal("850");
    expect((await runTaskCapturing<BalanceTaskResult>("anonify:balance", { node, group, account: "11" })).result.balance).to.equal("850");
  });

  it("allowance: the owner (default the signer) and the spender may read it; a third party is refused", async function () {
    await runTaskCapturing("anonify:approve", { node, group, account: "11", spender: "12", amount: "40" });
    const byOwner = await runTaskCapturing<AllowanceTaskResult>("anonify:allowance", { node, group, account: "11", spender: "12" });
    expect(byOwner.result).to.deep.equal({ owner: a, spender: b, allowance: "40", stateCounter: "3", chainCounter: "3" });
    expect(byOwner.stdout).to.equal(`allowance of ${b} from ${a}: 40, as of state counter 3 (chain at 3)\n`);
    const bySpender = await runTaskCapturing<AllowanceTaskResult>("anonify:allowance", { node, group, account: "12", owner: a, spender: "12" });
    expect(bySpender.result).to.deep.include({ owner: a, spender: b, allowance: "40" });

    const refused = expectPluginError(await failure("anonify:allowance", { node, group, account: "13", owner: "11", spender: b }), "not_authorized", ReadRefusedError);
    expect(refused.message.split("\n")).to.have.length(1);
  });

  it("burn above the balance is refused with the runtime's reason, before anything is posted", async function () {
    const error = await failure("anonify:burn", { node, group, account: "12", amount: "1" });
    expect(error, String(error)).to.be.instanceOf(HardhatPluginError);
    expect((error as HardhatPluginError).message).to.match(/insufficient balance/);
    expect((error as HardhatPluginError).message.split("\n")).to.have.length(1);
    expect((error as HardhatPluginError).message).to.match(/^the node's enclave refused the command before posting it: insufficient balance\. Nothing was posted and nonce \d+ is still unused/);
    expect((error as HardhatPluginError).parent).to.be.instanceOf(CommandRefusedError).and.include({ reason: "insufficient balance" });
    // Nothing changed.
    expect((await runTaskCapturing<TotalSupplyTaskResult>("anonify:total-supply", { node, group })).result.totalSupply).to.equal("850");
  });

  it("members: the roster from the chain, as lines or JSON, with the group from --group or the deployment file", async function () {
    const view = new Contract(group, ROSTER_GROUP_ABI, ethers.provider);
    const enclave = getAddress(n.node.address);
    const record = await view.enclave(enclave);
    const operator = (await ethers.getSigners())[10].address;

    const listed = await runTaskCapturing<GroupRosterJson>("anonify:members", { group });
    expect(listed.result.group).to.equal(getAddress(group));
    expect(listed.result.epoch).to.equal((await view.currentEpoch()).toString());
    expect(listed.result.stateCounter).to.equal((await view.stateCounter()).toString());
    expect(listed.result.activeEnclaveCount).to.equal(1);
    expect(listed.result.members).to.have.length(1);
    expect(listed.result.members[0]).to.deep.include({
      address: enclave,
      status: "active",
      mrenclave: record.mrenclave.toLowerCase(),
      joinedAtEpoch: record.joinedAtEpoch.toString(),
      operator,
      checkpointStateCounter: record.checkpointStateCounter.toString(),
    });
    const lines = listed.stdout.trimEnd().split("\n");
    expect(lines).to.have.length(2);
    expect(lines[0]).to.match(new RegExp(`^group ${getAddress(group)} at block \\d+: epoch \\d+, stateCounter ${listed.result.stateCounter}, 1 active of 1 enclaves$`));
    expect(lines[1]).to.contain(`${enclave} active`).and.contain(`mrenclave ${record.mrenclave.toLowerCase()}`).and.contain(`operator ${operator}`);

    // --json, and the group from the deployment file of this chain.
    const { chainId } = await ethers.provider.getNetwork();
    fs.writeFileSync(deploymentFilePath(dataDir, chainId), JSON.stringify({ chainId: chainId.toString(), group, deploymentBlock: 0 }));
    const asJson = await runTaskCapturing<GroupRosterJson>("anonify:members", { json: true });
    expect(JSON.parse(asJson.stdout)).to.deep.equal(asJson.result);
    expect(asJson.result.members.map((m) => m.address)).to.deep.equal([enclave]);
  });

  it("members shows a revoked enclave as revoked, with the block of its revocation", async function () {
    const governed = new Contract(group, ["function revokeEnclave(address enclave)"], deployment.governor);
    await (await governed.revokeEnclave(n.node.address)).wait();
    const { result, stdout } = await runTaskCapturing<GroupRosterJson>("anonify:members", { group });
    expect(result.activeEnclaveCount).to.equal(0);
    expect(result.members[0].status).to.equal("revoked");
    expect(result.members[0].revokedAtBlock).to.be.a("number");
    expect(stdout).to.match(/0 active of 1 enclaves/).and.match(/ revoked /);
  });
});
