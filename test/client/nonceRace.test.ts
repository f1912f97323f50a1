/**
 * A user's next command through another node: the client reads its nonce from that node's enclave, and the node
 * may apply the user's previous command between that read and the submission (the enclave then expects the next
 * nonce and refuses with nonce_mismatch). The client seals the command again with the enclave's new nonce. The race
 * is made deterministic by a forwarding proxy in front of node B that lets B catch up just before it forwards the
 * first submission.
 */
import { expect } from "chai";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { ethers } from "hardhat";
import { AnonifyClient } from "../../src/client";
import { deployGroup, startNode, until, type Deployment, type TestNode } from "../node/helpers";

describe("client: the node's nonce moves between the client's read and its submission", function () {
  this.timeout(120_000);
  let deployment: Deployment;
  let a: TestNode;
  let b: TestNode;
  let proxy: http.Server;
  let submissions = 0;

  before(async function () {
    deployment = await deployGroup();
    a = await startNode(deployment, 12);
    // b applies the log only when told (catchUp): it lags behind a until the proxy lets it catch up.
    b = await startNode(deployment, 13, undefined, { pollIntervalMs: 3_600_000, syncOnNewBlocks: false });
    await b.node.catchUp();
    const target = new URL(b.node.url!);
    proxy = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", async () => {
        if (req.method === "POST" && req.url === "/commands" && submissions++ === 0) await b.node.catchUp();
        const forwarded = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        forwarded.end(Buffer.concat(chunks));
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  });
  after(async function () {
    proxy?.close();
    for (const n of [a, b]) {
      await n?.node.stop();
      if (n !== undefined) fs.rmSync(n.dataDir, { recursive: true, force: true });
    }
  });

  it("seals the command again with the enclave's new nonce; it is applied once", async function () {
    const [, , , , , alice, bob] = await ethers.getSigners();
    const viaA = new AnonifyClient({ nodeUrl: a.node.url!, signer: alice, group: deployment.group, pollIntervalMs: 50 });
    await (await viaA.init("Race Token", "RACE", 1000n)).wait();
    const viaB = new AnonifyClient({
      nodeUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
      signer: alice,
      group: deployment.group,
      pollIntervalMs: 50,
    });
    // b has not applied the init: the client reads nonce 0 there (a stale read, accepted here on purpose).
    expect(await viaB.nonce({ maxLag: 1 })).to.equal(0n);
    const submission = await viaB.transfer(await bob.getAddress(), 10n);
    expect(submissions, "the first submission was refused (nonce 0), the second accepted").to.equal(2);
    expect(submission.nonce).to.equal(1n);
    const applied = await until(async () => {
      await b.node.catchUp();
      const status = await submission.status();
      return status.status === "queued" || status.status === "posted" ? undefined : status;
    });
    expect(applied.status).to.equal("applied");
    await a.node.catchUp();
    expect(await viaA.balanceOf()).to.equal(990n);
    expect(await viaB.nonce()).to.equal(2n);
  });
});
