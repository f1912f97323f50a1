import { expect } from "chai";
import fs from "node:fs";
import { ethers } from "hardhat";
import { groupDomain } from "../../src/client/wire";
import { NodeRequestError } from "../../src/client/errors";
import { NodeError } from "../../src/node";
import { freePort } from "../e2e/processes";
import { expectPluginError, runTaskCapturing } from "../helpers/tasks";
import { CommandDriver, deployGroup, startNode, tempDir, until, type Deployment, type TestNode } from "./helpers";

describe("anonify:status (a running in-process node)", function () {
  this.timeout(120_000);
  let deployment: Deployment;
  let n: TestNode;
  const nodes: TestNode[] = [];

  before(async function () {
    deployment = await deployGroup();
    n = await startNode(deployment, 15);
    nodes.push(n);
    await n.node.catchUp();
  });
  after(async function () {
    for (const x of nodes) {
      await x.node.stop().catch(() => undefined);
      fs.rmSync(x.dataDir, { recursive: true, force: true });
    }
  });

  it("prints a readable block for a healthy node by URL, exit code 0", async function () {
    const { stdout, exitCode, result } = await runTaskCapturing<{ status: string }>("anonify:status", { node: n.node.url!, json: false });
    expect(exitCode).to.equal(0);
    expect(result.status).to.equal("ok");
    expect(stdout).to.include(`node ${n.node.url}: OK`);
    expect(stdout).to.include("serving yes, wedged no, stalled no");
    expect(stdout).to.match(/applied 0 of chain 0: lag 0 entries, \d+ block\(s\) \(head \d+, read up to \d+\)/);
    expect(stdout).to.match(/epoch \d+ \(member\), enclave 0x[0-9a-f]{40} \(simulation\)/);
    expect(stdout).to.include("rpc ok");
  });

  it("resolves a data dir to its node's URL; --json prints the /health report; `anonify status` is the same task", async function () {
    const { stdout, exitCode } = await runTaskCapturing("anonify:status", { node: n.dataDir, json: true });
    expect(exitCode).to.equal(0);
    const report = JSON.parse(stdout);
    expect(report).to.deep.include({ status: "ok", serving: true, wedged: false, stalled: false, address: n.node.address.toLowerCase() });
    expect(report.rpc).to.deep.equal({ state: "ok" });
    const scoped = await runTaskCapturing<{ status: string }>({ scope: "anonify", task: "status" }, { node: n.node.url!, json: true });
    expect(scoped.result.status).to.equal("ok");
    expect(JSON.parse(scoped.stdout).status).to.equal("ok");
  });

  it("a node that is not ok: its report, and exit code 1", async function () {
    const lagging = await startNode(deployment, 16, tempDir(), { syncOnNewBlocks: false, pollIntervalMs: 3_600_000, health: { stalledAfterMs: 500 } });
    nodes.push(lagging);
    const domain = groupDomain((await ethers.provider.getNetwork()).chainId, deployment.group);
    await new CommandDriver(domain).command(n, (await ethers.getSigners())[17], { op: "init", name: "Status", symbol: "STS", initialSupply: "1" });
    await until(async () => ((await lagging.node.health()).stalled === true ? true : undefined));
    const { stdout, exitCode } = await runTaskCapturing("anonify:status", { node: lagging.node.url!, json: false });
    expect(exitCode).to.equal(1);
    expect(stdout).to.match(/: DEGRADED \(stalled: 1 entries behind for \d+ s\)/);
    expect(stdout).to.include("serving yes, wedged no, stalled yes (behind since ");
    expect(stdout).to.include("applied 0 of chain 1: lag 1 entry");
    const json = await runTaskCapturing("anonify:status", { node: lagging.node.url!, json: true });
    expect(json.exitCode).to.equal(1);
    expect(JSON.parse(json.stdout)).to.deep.include({ status: "degraded", stalled: true });
  });

  it("a node that does not answer: a one-line plugin error naming its URL", async function () {
    const url = `http://127.0.0.1:${await freePort()}`;
    const error = await runTaskCapturing("anonify:status", { node: url, json: false }).catch((e: unknown) => e);
    const pluginError = expectPluginError(error, "node_unreachable", NodeRequestError);
    expect(pluginError.message).to.include(url);
  });

  it("a data dir without a running node, or neither URL nor dir: a plugin error saying so", async function () {
    const empty = tempDir("anonify-status-");
    try {
      const error = await runTaskCapturing("anonify:status", { node: empty, json: false }).catch((e: unknown) => e);
      expect(expectPluginError(error, "node_not_started", NodeError).message).to.include("node.url");
      const other = await runTaskCapturing("anonify:status", { node: "localhost:8601", json: false }).catch((e: unknown) => e);
      expect(expectPluginError(other, "invalid_options", NodeError).message).to.include("neither a URL");
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});
