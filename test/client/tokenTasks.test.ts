/**
 * The token tasks' argument handling, in-process: every bad input is a HardhatPluginError naming the fix, raised
 * before anything is signed or sent.
 */
import { expect } from "chai";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import hre from "hardhat";
import { HardhatPluginError } from "hardhat/plugins";
import { Wallet } from "ethers";
import { NodeRequestError } from "../../src/client";
import { deploymentFilePath } from "../../src/client/deployment";
import { simulationGroupFixture } from "../group/helpers/fixtures";

async function taskError(name: string, args: Record<string, unknown>): Promise<HardhatPluginError> {
  const error = await hre.run(name, args).then(
    () => expect.fail(`${name} should fail`),
    (e: unknown) => e,
  );
  expect(error, String(error)).to.be.instanceOf(HardhatPluginError);
  return error as HardhatPluginError;
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("client: token tasks (arguments and errors)", function () {
  this.timeout(60_000);
  let group: string;
  let verifier: string;
  let node: string;
  let dataDir: string;
  const savedDataDir = hre.config.anonify.dataDir;
  const savedNodeEnv = process.env.ANONIFY_NODE_URL;

  before(async function () {
    const fixture = await simulationGroupFixture();
    group = await fixture.group.getAddress();
    verifier = await fixture.verifier.getAddress();
    node = `http://127.0.0.1:${await closedPort()}`;
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "anonify-token-tasks-"));
    hre.config.anonify.dataDir = dataDir;
    delete process.env.ANONIFY_NODE_URL;
  });
  after(function () {
    hre.config.anonify.dataDir = savedDataDir;
    if (savedNodeEnv !== undefined) process.env.ANONIFY_NODE_URL = savedNodeEnv;
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("every task is registered under anonify:<name> and the anonify scope", function () {
    for (const name of [
      "init-token", "mint", "transfer", "approve", "transfer-from", "burn", "balance", "allowance", "total-supply", "info", "members", "audit",
    ]) {
      expect(hre.tasks[`anonify:${name}`], name).to.not.equal(undefined);
      expect(hre.scopes.anonify.tasks[name], name).to.not.equal(undefined);
    }
  });

  it("needs --node (or ANONIFY_NODE_URL), a group (or a deployment file) and valid amounts and addresses", async function () {
    expect((await taskError("anonify:transfer", { group, to: "1", amount: "5" })).message).to.match(/--node <url> is required/);
    const noRecord = (await taskError("anonify:transfer", { node, to: "1", amount: "5" })).message;
    expect(noRecord).to.match(/no --group given and no deployment file/);
    // Issue 15, as found: on chain 31337 the likely cause is a forgotten --network localhost; the message says so.
    expect(noRecord).to.include("Without --network, a task runs on Hardhat's in-process chain").and.include("pass --network localhost");
    expect((await taskError("anonify:transfer", { node, group, to: "1", amount: "-5" })).message).to.match(/--amount must be a non-negative integer/);
    expect((await taskError("anonify:transfer", { node, group, to: "bob", amount: "5" })).message).to.match(/--to is neither an address nor an account index/);
    expect((await taskError("anonify:transfer", { node, group, to: "999", amount: "5" })).message).to.match(/--to is neither/);
    expect((await taskError("anonify:init-token", { node, group, name: "T", symbol: "T", supply: "1.5" })).message).to.match(/--supply/);
    expect((await taskError("anonify:transfer-from", { node, group, from: "x", to: "1", amount: "1" })).message).to.match(/--from/);
    expect((await taskError("anonify:approve", { node, group, spender: "0x12", amount: "1" })).message).to.match(/--spender/);
  });

  it("--account must be an index of the network, --key-env a set variable holding a private key", async function () {
    expect((await taskError("anonify:balance", { node, group, account: "77" })).message).to.match(/--account must be an account index 0\.\.19/);
    expect((await taskError("anonify:balance", { node, group, keyEnv: "ANONIFY_TEST_UNSET_KEY" })).message).to.match(/is not set/);
    process.env.ANONIFY_TEST_BAD_KEY = "0x1234";
    try {
      expect((await taskError("anonify:balance", { node, group, keyEnv: "ANONIFY_TEST_BAD_KEY" })).message).to.match(/does not hold a secp256k1 private key/);
    } finally {
      delete process.env.ANONIFY_TEST_BAD_KEY;
    }
  });

  it("the group comes from the deployment file when --group is absent; an unreachable node is a plugin error carrying the typed cause", async function () {
    const { chainId } = await hre.ethers.provider.getNetwork();
    fs.writeFileSync(deploymentFilePath(dataDir, chainId), JSON.stringify({ chainId: chainId.toString(), group, deploymentBlock: 0 }));
    process.env.ANONIFY_TEST_KEY = Wallet.createRandom().privateKey;
    try {
      const error = await taskError("anonify:mint", { node, keyEnv: "ANONIFY_TEST_KEY", to: "2", amount: "3" });
      expect(error.message).to.match(/node_unreachable/);
      expect(error.parent).to.be.instanceOf(NodeRequestError);
      const balance = await taskError("anonify:balance", { node });
      expect((balance.parent as NodeRequestError).code).to.equal("node_unreachable");
    } finally {
      delete process.env.ANONIFY_TEST_KEY;
      fs.rmSync(deploymentFilePath(dataDir, chainId));
    }
    fs.writeFileSync(deploymentFilePath(dataDir, chainId), "{not json");
    expect((await taskError("anonify:balance", { node })).message).to.match(/is not JSON/);
    fs.writeFileSync(deploymentFilePath(dataDir, chainId), JSON.stringify({ group: "nowhere" }));
    expect((await taskError("anonify:balance", { node })).message).to.match(/names no AnonifyGroup address/);
    fs.rmSync(deploymentFilePath(dataDir, chainId));
  });

  it("issue 15, as found: a node given as host:port and an address with a bad checksum get messages that say what is wrong", async function () {
    const hostPort = await taskError("anonify:transfer", { node: "localhost:8601", group, to: "1", amount: "5" });
    expect(hostPort.message).to.equal("--node localhost:8601 is not an http(s) URL: did you mean http://localhost:8601?");
    const junk = await taskError("anonify:balance", { node: "ftp://files", group });
    expect(junk.message).to.match(/--node ftp:\/\/files is not an http\(s\) URL: give the URL anonify:node prints/);
    process.env.ANONIFY_NODE_URL = "127.0.0.1:8601";
    try {
      expect((await taskError("anonify:balance", { group })).message).to.include("ANONIFY_NODE_URL 127.0.0.1:8601 is not an http(s) URL: did you mean http://127.0.0.1:8601?");
    } finally {
      delete process.env.ANONIFY_NODE_URL;
    }
    // EIP-55's example 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed with every letter's case flipped.
    const flipped = "0x5AaEB6053f3e94c9B9a09F33669435e7eF1bEaED";
    const typo = await taskError("anonify:transfer", { node, group, to: flipped, amount: "5" });
    expect(typo.message).to.equal(`--to ${flipped} has mixed case but not a valid EIP-55 checksum: check it for a typo (all lowercase skips the check)`);
  });

  it("burn, allowance, total-supply, info: bad amounts and addresses, a missing --spender or --node, before anything is sent", async function () {
    expect((await taskError("anonify:burn", { node, group, amount: "-1" })).message).to.match(/--amount must be a non-negative integer, got -1/);
    expect((await taskError("anonify:burn", { node, group, amount: "ten" })).message).to.match(/--amount must be a non-negative integer/);
    expect((await taskError("anonify:burn", { group, amount: "1" })).message).to.match(/--node <url> is required/);
    expect((await taskError("anonify:allowance", { node, group })).message).to.match(/--spender is required \(an address or an account index\)/);
    expect((await taskError("anonify:allowance", { node, group, spender: "1", owner: "0xnot" })).message).to.match(/--owner is neither an address nor an account index/);
    expect((await taskError("anonify:allowance", { node, group, spender: "99" })).message).to.match(/--spender is neither/);
    expect((await taskError("anonify:total-supply", { group })).message).to.match(/--node <url> is required/);
    expect((await taskError("anonify:info", { node })).message).to.match(/no --group given and no deployment file/);
    expect((await taskError("anonify:info", { node, group, account: "20" })).message).to.match(/--account must be an account index/);
    // An unreachable node: the typed cause with its code, one line.
    const unreachable = await taskError("anonify:total-supply", { node, group });
    expect(unreachable.message).to.match(/\[node_unreachable\]/);
    expect(unreachable.parent).to.be.instanceOf(NodeRequestError);
  });

  it("members: --group must be an address holding an AnonifyGroup, or a deployment file must exist", async function () {
    expect((await taskError("anonify:members", {})).message).to.match(/no --group given and no deployment file .*run anonify:deploy first or pass --group/);
    expect((await taskError("anonify:members", { group: "groupy" })).message).to.match(/--group is not an address: groupy/);
    expect((await taskError("anonify:members", { group: Wallet.createRandom().address })).message).to.match(/no contract at/);
    expect((await taskError("anonify:members", { group: verifier })).message).to.match(/does not answer AnonifyGroup's views .*is it the group's address/);
  });
});
