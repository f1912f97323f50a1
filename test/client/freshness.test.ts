/**
 * Issue 15, item 3: reads carry their freshness. As found, a node lagging behind the chain answered balance 0 for an
 * account holding 100, silently. The lagging node here is real: node B follows the chain only when told
 * (`catchUp()`; no poll loop, no block events), so it answers from the state it last applied while node A posts and
 * applies. The client compares the counter inside the enclave's sealed reply with the group contract's counter, read
 * before the read is sent, and refuses (default) or waits.
 */
import { expect } from "chai";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { ethers } from "hardhat";
import { getAddress, type Signer } from "ethers";
import { AnonifyClient, StaleReadError, type AnonifyClientOptions } from "../../src/client";
import type { BalanceTaskResult } from "../../tasks/token";
import { expectPluginError, runTaskCapturing } from "../helpers/tasks";
import { deployGroup, startNode, until, type Deployment, type TestNode } from "../node/helpers";

describe("client: reads carry their freshness (issue 15, item 3)", function () {
  this.timeout(180_000);
  let deployment: Deployment;
  let a: TestNode;
  let b: TestNode;
  let alice: Signer;
  let bob: Signer;
  let viaA: AnonifyClient;
  const client = (node: TestNode | string, signer: Signer, extra: Partial<AnonifyClientOptions> = {}) =>
    new AnonifyClient({ nodeUrl: typeof node === "string" ? node : node.node.url!, signer, group: deployment.group, pollIntervalMs: 50, ...extra });

  before(async function () {
    deployment = await deployGroup();
    a = await startNode(deployment, 12);
    // b applies the log only when told: it lags behind the chain until catchUp().
    b = await startNode(deployment, 13, undefined, { pollIntervalMs: 3_600_000, syncOnNewBlocks: false });
    await b.node.catchUp();
    const signers = await ethers.getSigners();
    [alice, bob] = [signers[5], signers[6]];
    viaA = client(a, alice);
    await (await viaA.init("Fresh Token", "FRESH", 1000n)).wait();
    await (await viaA.transfer(await bob.getAddress(), 100n)).wait();
  });
  after(async function () {
    for (const n of [a, b]) {
      await n?.node.stop();
      if (n !== undefined) fs.rmSync(n.dataDir, { recursive: true, force: true });
    }
  });

  it("as found: the lagging node answers balance 0 for bob's 100; the client refuses it with StaleReadError", async function () {
    expect((await b.node.health()).stateCounter, "b has applied nothing").to.equal("0");
    // What the client used to return silently, now with the counters it reflects.
    const lenient = await client(b, bob, { maxReadLag: 1_000 }).readBalance();
    expect(lenient).to.deep.equal({ value: 0n, stateCounter: 0n, chainCounter: 2n, lag: 2n });

    const error = await client(b, bob).balanceOf().then(
      () => expect.fail("the stale read should be refused"),
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(StaleReadError).and.include({ code: "stale_read", stateCounter: 0n, chainCounter: 2n, lag: 2n, maxLag: 0n });
    expect((error as Error).message).to.match(/answered as of state counter 0, but the chain's log held 2 entries/).and.match(/read through another node/);
    // A bound of 1 is still exceeded.
    expect(await client(b, bob, { maxReadLag: 1 }).balanceOf().catch((e: unknown) => e)).to.be.instanceOf(StaleReadError);

    // "wait" gives up after its limit when the node does not catch up.
    const waited = await client(b, bob, { readLagPolicy: "wait", readWaitTimeoutMs: 300 }).balanceOf().catch((e: unknown) => e);
    expect(waited).to.be.instanceOf(StaleReadError);
    expect((waited as Error).message).to.match(/did not catch up within 300 ms/);

    // The CLI: refused by default as a one-line plugin error; --max-lag accepts it and prints the counters.
    const group = deployment.group;
    const cli = await runTaskCapturing("anonify:balance", { node: b.node.url, group, account: "6" }).catch((e: unknown) => e);
    const pluginError = expectPluginError(cli, "stale_read", StaleReadError);
    expect(pluginError.message.split("\n")).to.have.length(1);
    const accepted = await runTaskCapturing<BalanceTaskResult>("anonify:balance", { node: b.node.url, group, account: "6", maxLag: "5" });
    expect(accepted.result).to.deep.include({ balance: "0", stateCounter: "0", chainCounter: "2" });
    expect(accepted.stdout).to.equal(`balance of ${getAddress(await bob.getAddress())}: 0, as of state counter 0 (chain at 2)\n`);
  });

  it("with the wait policy the read returns the fresh balance once the node caught up", async function () {
    const reading = client(b, bob, { readLagPolicy: "wait", readWaitTimeoutMs: 30_000 }).readBalance();
    setTimeout(() => void b.node.catchUp(), 500);
    expect(await reading).to.deep.equal({ value: 100n, stateCounter: 2n, chainCounter: 2n, lag: 0n });
  });

  it("the CLI --wait waits for the node and prints the counters it reflects", async function () {
    await (await viaA.transfer(await bob.getAddress(), 5n)).wait(); // b is one entry behind again
    setTimeout(() => void b.node.catchUp(), 500);
    const read = await runTaskCapturing<BalanceTaskResult>("anonify:balance", { node: b.node.url, group: deployment.group, account: "6", wait: true });
    expect(read.result).to.deep.include({ balance: "105", stateCounter: "3", chainCounter: "3" });
    expect(read.stdout).to.equal(`balance of ${getAddress(await bob.getAddress())}: 105, as of state counter 3 (chain at 3)\n`);
  });

  it("fresh path: a node that applied everything answers with lag 0; an entry appended while the read is answered is no refusal", async function () {
    const fresh = await client(a, bob).readBalance();
    expect(fresh).to.deep.equal({ value: 105n, stateCounter: 3n, chainCounter: 3n, lag: 0n });
    expect((await client(a, bob).read({ op: "totalSupply" })).chainCounter).to.equal(3n);

    // A proxy in front of b: before forwarding the read it has a new entry logged (through a) that b has not applied.
    await b.node.catchUp();
    const target = new URL(b.node.url!);
    let appended = false;
    const proxy = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", async () => {
        if (req.method === "POST" && req.url === "/reads" && !appended) {
          appended = true;
          const submission = await viaA.transfer(await bob.getAddress(), 1n);
          await until(async () => ((await submission.status()).stateCounter !== undefined ? true : undefined));
        }
        const forwarded = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        forwarded.end(Buffer.concat(chunks));
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    try {
      const read = await client(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, bob).readBalance();
      expect(appended).to.equal(true);
      expect(read).to.deep.equal({ value: 105n, stateCounter: 3n, chainCounter: 3n, lag: 0n });
      expect(await viaA.chainStateCounter(), "the chain moved on while the read was answered").to.equal(4n);
    } finally {
      proxy.close();
    }
  });
});
