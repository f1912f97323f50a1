/**
 * Issue 14 item 6: `anonify:send --command '<json>'` and `anonify:query --query '<json>'`, the tasks of any runtime,
 * in-process. Bad arguments (not JSON, not an object, no op, values JSON cannot carry exactly, too large) fail with a
 * message naming the fix before anything is signed or sent; against a real node (token runtime) they print and
 * return what the token tasks do.
 */
import { expect } from "chai";
import fs from "node:fs";
import net from "node:net";
import hre, { ethers } from "hardhat";
import { getAddress } from "ethers";
import { CommandRefusedError, CommandRejectedError, NodeRequestError, ReadRefusedError, StaleReadError, WireFormatError } from "../../src/client";
import { AnonifyPluginError } from "../../src/errors";
import type { QueryTaskResult, SendTaskResult } from "../../tasks/send-query";
import type { BalanceTaskResult } from "../../tasks/token";
import { deployGroup, startNode, tempDir, until, type Deployment, type TestNode } from "../node/helpers";
import { expectPluginError, runTaskCapturing } from "../helpers/tasks";

async function failure(name: string, args: Record<string, unknown>): Promise<unknown> {
  return runTaskCapturing(name, args).then(
    () => expect.fail(`${name} should fail`),
    (e: unknown) => e,
  );
}

async function argumentError(name: string, args: Record<string, unknown>): Promise<AnonifyPluginError> {
  const error = await failure(name, args);
  expect(error, String(error)).to.be.instanceOf(AnonifyPluginError);
  return error as AnonifyPluginError;
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A refusal or rejection as the token tasks show it: one line without a [code] suffix, the typed error as parent. */
function expectOutcomeError(error: unknown, code: string, parent: abstract new (...args: never[]) => Error): AnonifyPluginError {
  expect(error, String(error)).to.be.instanceOf(AnonifyPluginError);
  const pluginError = error as AnonifyPluginError;
  expect(pluginError.code).to.equal(code);
  expect(pluginError.parent).to.be.instanceOf(parent);
  expect(pluginError.message.split("\n")).to.have.length(1);
  return pluginError;
}

const MANUAL_SYNC = { pollIntervalMs: 3_600_000, syncOnNewBlocks: false } as const;

describe("client: anonify:send and anonify:query (any runtime)", function () {
  this.timeout(240_000);
  let deployment: Deployment;
  let a: TestNode;
  let b: TestNode;
  let node: string;
  let group: string;
  let closed: string;
  let [alice, bob] = ["", ""];
  const savedDataDir = hre.config.anonify.dataDir;
  const savedNodeEnv = process.env.ANONIFY_NODE_URL;
  const dataDir = tempDir("anonify-runtime-tasks-");

  before(async function () {
    deployment = await deployGroup();
    a = await startNode(deployment, 18);
    b = await startNode(deployment, 19, undefined, MANUAL_SYNC);
    await b.node.catchUp();
    node = a.node.url!;
    group = deployment.group;
    closed = `http://127.0.0.1:${await closedPort()}`;
    const signers = await ethers.getSigners();
    [alice, bob] = [signers[7], signers[8]].map((s) => s.address);
    hre.config.anonify.dataDir = dataDir;
    delete process.env.ANONIFY_NODE_URL;
  });
  after(async function () {
    hre.config.anonify.dataDir = savedDataDir;
    if (savedNodeEnv !== undefined) process.env.ANONIFY_NODE_URL = savedNodeEnv;
    fs.rmSync(dataDir, { recursive: true, force: true });
    for (const n of [a, b]) {
      await n?.node.stop();
      if (n !== undefined) fs.rmSync(n.dataDir, { recursive: true, force: true });
    }
  });

  it("both are registered under anonify:<name> and the anonify scope, beside the token's", function () {
    for (const name of ["send", "query"]) {
      expect(hre.tasks[`anonify:${name}`], name).to.not.equal(undefined);
      expect(hre.scopes.anonify.tasks[name], name).to.not.equal(undefined);
    }
    expect(hre.tasks["anonify:transfer"]).to.not.equal(undefined);
  });

  it("bad --command / --query: a specific message, before a node, group or key is looked at", async function () {
    // No node, no group: the argument is judged first.
    const missing = await argumentError("anonify:send", {});
    expect(missing.message).to.equal(`--command is required: the command as one JSON object, e.g. --command '{"op":"transfer","to":"0x…","amount":"5"}'`);
    expect((await argumentError("anonify:query", { query: "  " })).message).to.match(/^--query is required: the query as one JSON object, e\.g\. --query '\{"op":"balanceOf"/);

    const notJson = await argumentError("anonify:send", { command: "{op:transfer}" });
    expect(notJson.message).to.match(/^--command is not JSON \(.+\): give one JSON object, e\.g\. --command '\{"op":"transfer"/);
    expect((await argumentError("anonify:query", { query: "balanceOf" })).message).to.match(/^--query is not JSON \(/);

    const array = await argumentError("anonify:send", { command: '[{"op":"transfer"}]' });
    expect(array.message).to.equal(
      `--command: a command must be a JSON object with an "op" string, got an array, e.g. --command '{"op":"transfer","to":"0x…","amount":"5"}'`,
    );
    expect(array.code).to.equal("command_invalid");
    expect(array.parent).to.be.instanceOf(WireFormatError);
    expect((await argumentError("anonify:query", { query: '"balanceOf"' })).message).to.match(/^--query: a query must be a JSON object with an "op" string, got a string \("balanceOf"\)/);
    expect((await argumentError("anonify:query", { query: "null" })).code).to.equal("query_invalid");

    const noOp = await argumentError("anonify:send", { command: '{"to":"0x00","amount":"5"}' });
    expect(noOp.message).to.match(/^--command: the command has no "op" member \(a string naming the runtime's command/);
    const numericOp = await argumentError("anonify:query", { query: '{"op":5}' });
    expect(numericOp.message).to.match(/^--query: the query's "op" must be a non-empty string, got a number \(5\), e\.g\. --query/);
    expect((await argumentError("anonify:send", { command: '{"op":""}' })).code).to.equal("command_invalid");

    // JSON.parse would round this integer to a double: refused rather than sent as another number.
    const rounded = await argumentError("anonify:send", { command: '{"op":"transfer","amount":12345678901234567890}' });
    expect(rounded.message).to.equal(
      "--command: command.amount is 12345678901234567168, an integer beyond 2^53 that a number cannot hold exactly: give a bigint or a decimal string",
    );
    expect(rounded.code).to.equal("json_value_invalid");
    expect((await argumentError("anonify:query", { query: '{"op":"get","key":"\\ud800"}' })).message).to.match(/^--query: query\.key holds a lone UTF-16 surrogate/);

    const large = await argumentError("anonify:send", { command: JSON.stringify({ op: "put", value: "v".repeat(4100) }) });
    expect(large.message).to.equal("--command: the command is more than 4096 bytes of JSON, the most an enclave takes");
    expect(large.code).to.equal("payload_too_large");
    expect((await argumentError("anonify:query", { query: JSON.stringify({ op: "get", key: "é".repeat(2100) }) })).message).to.equal(
      `--query: the query is ${'{"op":"get","key":""}'.length + 2 * 2100} bytes of JSON; an enclave takes at most 4096`,
    );

    // With a reachable node and a group as well: refused all the same, and nothing reached the chain.
    for (const command of ["[1]", "{}", '{"op":"transfer","amount":1e400}', JSON.stringify({ op: "x", v: "v".repeat(5000) })]) {
      expect(await argumentError("anonify:send", { node, group, account: "7", command, wait: true })).to.be.instanceOf(AnonifyPluginError);
    }
    const groupContract = await ethers.getContractAt("AnonifyGroup", group);
    expect(await groupContract.stateCounter()).to.equal(0n);
  });

  it("the token tasks' other arguments: --node, --group, --account, --max-lag, --fallback-node; an unreachable node carries the typed cause", async function () {
    const command = '{"op":"burn","amount":"1"}';
    const query = '{"op":"totalSupply"}';
    expect((await argumentError("anonify:send", { command, group })).message).to.match(/^--node <url> is required/);
    expect((await argumentError("anonify:query", { query, node: "localhost:8601", group })).message).to.equal(
      "--node localhost:8601 is not an http(s) URL: did you mean http://localhost:8601?",
    );
    expect((await argumentError("anonify:send", { command, node })).message).to.match(/no --group given and no deployment file/);
    expect((await argumentError("anonify:send", { command, node, group, account: "77" })).message).to.match(/^--account must be an account index 0\.\.19/);
    expect((await argumentError("anonify:query", { query, node, group, keyEnv: "ANONIFY_TEST_UNSET_KEY" })).message).to.match(/is not set/);
    expect((await argumentError("anonify:query", { query, node, group, maxLag: "-1" })).message).to.match(/^--max-lag must be a non-negative integer/);
    expect((await argumentError("anonify:send", { command, node, group, fallbackNode: "nowhere" })).message).to.match(/^--fallback-node nowhere is not an http\(s\) URL/);
    expect((await argumentError("anonify:send", { command, node, group: "groupy" })).message).to.match(/group/);
    const unreachable = await failure("anonify:send", { command, node: closed, group });
    expect(expectPluginError(unreachable, "node_unreachable", NodeRequestError).message.split("\n")).to.have.length(1);
    expectPluginError(await failure("anonify:query", { query, node: closed, group }), "node_unreachable", NodeRequestError);
  });

  it("against a real node: send prints the id (and with --wait the outcome), query prints the JSON and the counters", async function () {
    const init = await runTaskCapturing<SendTaskResult>("anonify:send", {
      node,
      group,
      account: "7",
      command: '{"op":"init","name":"Task Token","symbol":"TT","initialSupply":"500"}',
      wait: true,
    });
    expect(init.result.command).to.deep.equal({ op: "init", name: "Task Token", symbol: "TT", initialSupply: "500" });
    expect(init.result).to.deep.include({ sender: alice.toLowerCase(), nonce: "0" });
    expect(init.result.outcome).to.deep.include({ status: "applied", stateCounter: 1n });
    expect(init.stdout).to.match(
      new RegExp(`^init: submitted as ${init.result.id} \\(sender ${alice.toLowerCase()}, nonce 0\\)\\ninit: applied at stateCounter 1 \\(tx 0x[0-9a-f]{64}\\)\\n$`),
    );

    // Without --wait: the id, then the scope's name for the same task; op first whatever the order typed.
    const sent = await runTaskCapturing<SendTaskResult>(
      { scope: "anonify", task: "send" },
      { node, group, account: "7", command: `{"amount":"120","to":"${bob}","op":"transfer"}`, wait: false },
    );
    expect(sent.result.outcome).to.equal(undefined);
    expect(sent.result.nonce).to.equal("1");
    expect(sent.stdout).to.equal(`transfer: submitted as ${sent.result.id} (sender ${alice.toLowerCase()}, nonce 1)\n`);
    // anonify:command follows it to the log.
    await until(async () => {
      const settled = await runTaskCapturing<{ settlement: { status: string } }>("anonify:command", { node, group, id: sent.result.id });
      return settled.result.settlement.status === "applied" ? true : undefined;
    });

    const balance = await runTaskCapturing<QueryTaskResult>("anonify:query", { node, group, account: "8", query: `{"op":"balanceOf","account":"${bob}"}`, wait: true });
    expect(balance.result).to.deep.equal({ query: { op: "balanceOf", account: bob }, result: "120", stateCounter: "2", chainCounter: "2" });
    expect(balance.stdout).to.equal('"120"\nas of state counter 2 (chain at 2)\n');
    // The same answer as the token's balance task.
    const tokenBalance = await runTaskCapturing<BalanceTaskResult>("anonify:balance", { node, group, account: "8" });
    expect(tokenBalance.result).to.deep.include({ account: getAddress(bob), balance: "120", stateCounter: "2", chainCounter: "2" });

    const info = await runTaskCapturing<QueryTaskResult>({ scope: "anonify", task: "query" }, { node, group, query: '{"op":"tokenInfo"}' });
    expect(info.result.result).to.deep.equal({ initialized: true, name: "Task Token", owner: alice.toLowerCase(), symbol: "TT" });
    expect(info.stdout).to.equal(`${JSON.stringify(info.result.result)}\nas of state counter 2 (chain at 2)\n`);
    const nonce = await runTaskCapturing<QueryTaskResult>("anonify:query", { node, group, account: "7", query: `{"op":"nonce","account":"${alice}"}` });
    expect(nonce.result.result).to.equal("2");
  });

  it("refusals and rejections are the token tasks' one-line plugin errors with the typed cause", async function () {
    const refused = await failure("anonify:send", { node, group, account: "8", command: `{"op":"transfer","to":"${alice}","amount":"1000"}`, wait: true });
    const refusal = expectOutcomeError(refused, "command_refused", CommandRefusedError);
    expect(refusal.message).to.match(/^the node's enclave refused the command before posting it: insufficient balance\. Nothing was posted and nonce 0 is still unused/);
    const unknownOp = await failure("anonify:send", { node, group, account: "8", command: '{"op":"steal"}' });
    expect(expectOutcomeError(unknownOp, "command_refused", CommandRefusedError).message).to.include('malformed command: unknown op "steal"');

    const notYours = await failure("anonify:query", { node, group, account: "8", query: `{"op":"balanceOf","account":"${alice}"}` });
    expect(expectPluginError(notYours, "not_authorized", ReadRefusedError).message).to.equal(
      "read refused (not_authorized): only the account itself may read this [not_authorized]",
    );
    expectPluginError(await failure("anonify:query", { node, group, query: '{"op":"everything"}' }), "malformed_query", ReadRefusedError);

    // A rejection in the log, with --wait: b lags and pre-checks bob's transferFrom against funds alice has moved.
    await runTaskCapturing("anonify:send", { node, group, account: "7", command: `{"op":"approve","spender":"${bob}","amount":"300"}`, wait: true });
    await b.node.catchUp();
    await runTaskCapturing("anonify:send", { node, group, account: "7", command: `{"op":"burn","amount":"300"}`, wait: true });
    const rejected = await failure("anonify:send", {
      node: b.node.url!,
      group,
      account: "8",
      command: `{"op":"transferFrom","from":"${alice}","to":"${bob}","amount":"300"}`,
      wait: true,
      fallbackNode: [node],
    });
    expect(expectOutcomeError(rejected, "command_rejected", CommandRejectedError).message).to.equal("the enclaves rejected the command: insufficient balance");

    // b lags again: --max-lag and --wait as the token's read tasks.
    const stale = await failure("anonify:query", { node: b.node.url!, group, query: '{"op":"totalSupply"}' });
    expectPluginError(stale, "stale_read", StaleReadError);
    const lagging = await runTaskCapturing<QueryTaskResult>("anonify:query", { node: b.node.url!, group, query: '{"op":"totalSupply"}', maxLag: "5" });
    expect(lagging.result.result).to.equal("500");
    expect(Number(lagging.result.chainCounter)).to.be.greaterThan(Number(lagging.result.stateCounter));
    expect(lagging.stdout).to.equal(`"500"\nas of state counter ${lagging.result.stateCounter} (chain at ${lagging.result.chainCounter})\n`);
    await b.node.catchUp();
    const fresh = await runTaskCapturing<QueryTaskResult>("anonify:query", { node: b.node.url!, group, query: '{"op":"totalSupply"}', wait: true });
    expect(fresh.result.result).to.equal("200");
  });
});
