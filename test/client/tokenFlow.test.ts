/**
 * The token tasks against a real TEE node (real enclave process, simulation) on the in-process chain: init, mint,
 * transfer, approve, transfer-from and balance, with --account and --key-env, and the typed errors a refused command
 * or read becomes.
 */
import { expect } from "chai";
import fs from "node:fs";
import hre, { ethers } from "hardhat";
import { HardhatPluginError } from "hardhat/plugins";
import { Wallet } from "ethers";
import { CommandRefusedError, ReadRefusedError } from "../../src/client";
import { deployGroup, startNode, type Deployment, type TestNode } from "../node/helpers";

async function quietly<T>(work: () => Promise<T>): Promise<{ value: T; stdout: string }> {
  const write = process.stdout.write.bind(process.stdout);
  let stdout = "";
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += chunk.toString();
    return true;
  }) as typeof process.stdout.write;
  try {
    return { value: await work(), stdout };
  } finally {
    process.stdout.write = write;
  }
}

describe("client: token tasks against a real node", function () {
  this.timeout(180_000);
  let deployment: Deployment;
  let n: TestNode;
  let node: string;
  const outsider = Wallet.createRandom();

  before(async function () {
    deployment = await deployGroup();
    n = await startNode(deployment, 10);
    node = n.node.url!;
    process.env.ANONIFY_TEST_OUTSIDER_KEY = outsider.privateKey;
  });
  after(async function () {
    delete process.env.ANONIFY_TEST_OUTSIDER_KEY;
    await n?.node.stop();
    if (n !== undefined) fs.rmSync(n.dataDir, { recursive: true, force: true });
  });

  it("init-token, mint, transfer, approve, transfer-from, balance: each prints its outcome and returns it", async function () {
    const signers = await ethers.getSigners();
    const [a, b, c] = [signers[11], signers[12], signers[13]].map((s) => s.address);
    const group = deployment.group;
    const init = await quietly(() => hre.run("anonify:init-token", { node, group, account: "11", name: "Task Token", symbol: "TT", supply: "1000" }));
    expect(init.value.outcome.status).to.equal("applied");
    expect(init.stdout).to.match(/init: applied at stateCounter 1/);
    await quietly(() => hre.run("anonify:mint", { node, group, account: "11", to: "12", amount: "50" }));
    await quietly(() => hre.run("anonify:transfer", { node, group, account: "11", to: c, amount: "100" }));
    await quietly(() => hre.run("anonify:approve", { node, group, account: "11", spender: "12", amount: "40" }));
    const pulled = await quietly(() => hre.run("anonify:transfer-from", { node, group, account: "12", from: a, to: b, amount: "30" }));
    expect(pulled.stdout).to.match(/transferFrom: applied at stateCounter 5/);

    const balances: Record<string, string> = {};
    for (const [index, address] of [["11", a], ["12", b], ["13", c]]) {
      const read = await quietly(() => hre.run("anonify:balance", { node, group, account: index }));
      expect(read.value.account).to.equal(address);
      expect(read.stdout).to.contain(`balance of ${address}: ${read.value.balance}`);
      balances[index] = read.value.balance;
    }
    expect(balances).to.deep.equal({ "11": "870", "12": "80", "13": "100" });

    // The --key-env account has nothing; --no-wait returns at submission.
    const submitted = await quietly(() => hre.run("anonify:transfer", { node, group, keyEnv: "ANONIFY_TEST_OUTSIDER_KEY", to: a, amount: "0", noWait: true }));
    expect(submitted.value.sender).to.equal(outsider.address.toLowerCase());
    expect(submitted.value.outcome).to.equal(undefined);
  });

  it("a refused command and a refused read are plugin errors carrying the typed SDK error", async function () {
    const group = deployment.group;
    const rejected = await quietly(() => hre.run("anonify:transfer", { node, group, account: "13", to: "11", amount: "1000000" })).then(
      () => expect.fail("the transfer should be rejected"),
      (e: unknown) => e,
    );
    expect(rejected).to.be.instanceOf(HardhatPluginError);
    expect((rejected as HardhatPluginError).message).to.match(/refused the command before posting it: insufficient balance\. Nothing was posted/);
    expect((rejected as HardhatPluginError).parent).to.be.instanceOf(CommandRefusedError);

    const refused = await quietly(() => hre.run("anonify:balance", { node, group, account: "13", of: "11" })).then(
      () => expect.fail("the read should be refused"),
      (e: unknown) => e,
    );
    expect((refused as HardhatPluginError).parent).to.be.instanceOf(ReadRefusedError);
    expect((refused as HardhatPluginError).message).to.match(/not_authorized/);
  });
});
