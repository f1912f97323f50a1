import { expect } from "chai";
import fs from "node:fs";
import http from "node:http";
import { ethers } from "hardhat";
import type { Signer, TypedDataDomain } from "ethers";
import {
  groupDomain,
  openNotification,
  openReadReply,
  sealCommand,
  sealRead,
  sealSubscription,
  type CommandStatus,
  type TokenCommand,
} from "../../src/client/wire";
import { chainIssuedAt } from "../../src/client/AnonifyClient";
import { callState, groupContract } from "../../src/node";
import { deployGroup, startNode, until, type Deployment, type TestNode } from "./helpers";
import { logEntriesOf, logHashChain } from "../group/helpers/logHash";

async function post(url: string, route: string, body: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(`${url}${route}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  return { status: response.status, json: await response.json() };
}

/**
 * Commands through the HTTP API of two real nodes: submitted to one, posted, applied by both with the same state
 * hash; reads and notifications; the enclave's refusals as 4xx; re-submission after an epoch change; a restart
 * that resumes without re-applying.
 */
describe("AnonifyNode commands (simulation, real enclaves with the state runtime)", function () {
  this.timeout(180_000);
  let deployment: Deployment;
  let a: TestNode;
  let b: TestNode;
  let owner: Signer;
  let alice: Signer;
  let domain: TypedDataDomain;
  let nonce = 0;

  before(async function () {
    deployment = await deployGroup();
    // a applies the log only when the test says so (catchUp), so it can be made to lag behind a handshake.
    a = await startNode(deployment, 12, undefined, { pollIntervalMs: 3_600_000, syncOnNewBlocks: false, checkpointInterval: 2 });
    b = await startNode(deployment, 13, undefined, { checkpointInterval: 2 });
    await a.node.catchUp();
    [owner, alice] = (await ethers.getSigners()).slice(14, 16);
    domain = groupDomain((await ethers.provider.getNetwork()).chainId, deployment.group);
  });
  after(async function () {
    await a?.node.stop();
    await b?.node.stop();
    for (const n of [a, b]) if (n !== undefined) fs.rmSync(n.dataDir, { recursive: true, force: true });
  });

  async function sealed(node: TestNode, payload: TokenCommand, signer = owner, useNonce = nonce) {
    return sealCommand({ enclaveHpkeKey: node.node.identity.hpkePublicKey, signer, domain, nonce: useNonce, payload });
  }

  async function applied(node: TestNode, id: string): Promise<CommandStatus> {
    return until(async () => {
      await a.node.catchUp();
      const status = (await (await fetch(`${node.node.url}/commands/${id}`)).json()) as CommandStatus;
      return status.status === "applied" || status.status === "rejected" || status.status === "failed" ? status : undefined;
    });
  }

  async function stateHashes(): Promise<Array<string | null>> {
    await a.node.catchUp();
    await b.node.catchUp();
    return Promise.all([a, b].map(async (n) => (await callState(n.node.enclave, "state_status", {})).stateHash));
  }

  it("a command submitted over HTTP is posted, applied by both nodes, and its status moves to applied", async function () {
    const init = await sealed(a, { op: "init", name: "Anonify Token", symbol: "ANT", initialSupply: "1000" });
    const accepted = await post(a.node.url!, "/commands", { payload: init.payload });
    expect(accepted.status).to.equal(202);
    expect(accepted.json.id).to.match(/^0x[0-9a-f]{64}$/);
    const status = await applied(a, accepted.json.id);
    nonce++;
    expect(status).to.include({ id: accepted.json.id, status: "applied", stateCounter: "1" });
    expect(status.txHash).to.match(/^0x[0-9a-f]{64}$/);
    const [ha, hb] = await stateHashes();
    expect(ha).to.equal(hb);
    expect(b.node.sync.lastApplied).to.equal(1n);
    expect(await b.node.health()).to.include({ stateCounter: "1", chainStateCounter: "1", lag: "0" });
    // The same command again is the same id and is not posted twice.
    const again = await post(a.node.url!, "/commands", { payload: init.payload });
    expect(again.status).to.equal(409);
    expect(again.json.error.code).to.equal("nonce_mismatch");
    expect(await groupContract(deployment.group, ethers.provider).stateCounter()).to.equal(1n);
  });

  it("serves reads and notifications; a transfer through the other node notifies the recipient", async function () {
    const subscription = await sealSubscription({ enclaveHpkeKey: a.node.identity.hpkePublicKey, signer: alice, domain, issuedAt: await chainIssuedAt(ethers.provider) });
    const events: string[] = [];
    const stream = http.get(`${a.node.url}/notifications?payload=${subscription.payload}`, (res) => {
      expect(res.statusCode).to.equal(200);
      expect(res.headers["content-type"]).to.match(/^text\/event-stream/);
      res.on("data", (chunk: Buffer) => events.push(chunk.toString("utf8")));
    });
    await until(async () => (events.join("").includes(": subscribed") ? true : undefined));

    const transfer = await sealed(b, { op: "transfer", to: await alice.getAddress(), amount: "40" });
    const accepted = await post(b.node.url!, "/commands", { payload: transfer.payload });
    expect(accepted.status).to.equal(202);
    expect(await applied(b, accepted.json.id)).to.include({ status: "applied", stateCounter: "2" });
    nonce++;
    await a.node.catchUp();
    const data = await until(async () => /event: notification\ndata: (.*)\n/.exec(events.join(""))?.[1]);
    const notification = await openNotification(subscription.replyKeyPair, (JSON.parse(data) as { payload: string }).payload);
    expect(notification).to.deep.equal({ stateCounter: 2n, changed: true });
    stream.destroy();

    const read = await sealRead({
      enclaveHpkeKey: a.node.identity.hpkePublicKey,
      signer: alice,
      domain,
      query: { op: "balanceOf", account: await alice.getAddress() },
      issuedAt: await chainIssuedAt(ethers.provider), // the in-process chain may run ahead of the wall clock
    });
    const replied = await post(a.node.url!, "/reads", { payload: read.payload });
    expect(replied.status).to.equal(200);
    const reply = await openReadReply(read.replyKeyPair, replied.json.reply);
    expect(reply).to.deep.equal({ ok: true, result: "40", stateCounter: 2n, runtime: "anonify-token/v1" });
  });

  it("passes the enclave's refusals on as specific 4xx", async function () {
    const garbage = await post(a.node.url!, "/commands", { payload: "0x" + "11".repeat(80) });
    expect(garbage.status).to.equal(400);
    expect(garbage.json.error.code).to.equal("hpke_open_failed");
    const wrongNonce = await sealed(a, { op: "burn", amount: "1" }, owner, nonce + 5);
    const refused = await post(a.node.url!, "/commands", { payload: wrongNonce.payload });
    expect(refused.status).to.equal(409);
    expect(refused.json.error.code).to.equal("nonce_mismatch");
    const forgedRead = await post(a.node.url!, "/reads", { payload: "0x" + "22".repeat(80) });
    expect(forgedRead.status).to.equal(400);
    expect(forgedRead.json.error.code).to.equal("hpke_open_failed");
    const forgedSubscription = await fetch(`${a.node.url}/notifications?payload=0x${"33".repeat(80)}`);
    expect(forgedSubscription.status).to.equal(400);
    expect(((await forgedSubscription.json()) as { error: { code: string } }).error.code).to.equal("hpke_open_failed");
  });

  it("re-submits a command whose epoch passed before it was posted", async function () {
    // b rotates; a has not seen the new handshake when it seals the entry, so the post meets EpochMismatch.
    await b.node.rotate();
    const mint = await sealed(a, { op: "mint", to: await alice.getAddress(), amount: "5" });
    const chainEpoch = (await groupContract(deployment.group, ethers.provider).currentEpoch()) as bigint;
    const status = await a.node.submitCommand(mint.payload);
    expect(status.status).to.equal("queued");
    await a.node.catchUp();
    const done = await applied(a, status.id);
    nonce++;
    expect(done).to.include({ status: "applied", stateCounter: "3" });
    expect(a.logger.lines.some((l) => l.includes(`re-submitted for epoch ${chainEpoch}`))).to.equal(true);
    const [ha, hb] = await stateHashes();
    expect(ha).to.equal(hb);
  });

  it("a restarted node resumes from its sealed state without re-applying", async function () {
    const dir = b.dataDir;
    await b.node.catchUp();
    const before = (await stateHashes())[1];
    await b.node.stop();
    b = await startNode(deployment, 13, dir, { checkpointInterval: 2 });
    expect(b.node.sync.lastApplied).to.equal(3n);
    expect(b.logger.lines.filter((l) => l.includes("applied #"))).to.deep.equal([]);
    expect((await callState(b.node.enclave, "state_status", {})).stateHash).to.equal(before);
    // More than the owner holds: the enclave's dry run refuses it before anything is posted (the nonce stays unused).
    const overdraft = await sealed(b, { op: "burn", amount: "2000" });
    const refused = await post(b.node.url!, "/commands", { payload: overdraft.payload });
    expect(refused.status).to.equal(422);
    expect(refused.json.error).to.deep.equal({ code: "command_refused", message: "insufficient balance" });
    const burn = await sealed(b, { op: "burn", amount: "1" });
    const accepted = await post(b.node.url!, "/commands", { payload: burn.payload });
    const status = await applied(b, accepted.json.id);
    nonce++;
    expect(status).to.include({ status: "applied", stateCounter: "4" });
    const [ha, hb] = await stateHashes();
    expect(ha).to.equal(hb);
  });

  it("both nodes checkpoint every 2 entries and their checkpoints agree", async function () {
    const group = groupContract(deployment.group, ethers.provider);
    const records = await until(async () => {
      const r = await Promise.all([a, b].map((n) => group.enclave(n.node.address)));
      return r.every((x) => x.checkpointStateCounter === 4n) ? r : undefined;
    });
    expect(records[0].checkpointStateHash).to.equal(records[1].checkpointStateHash);
    expect(records[0].checkpointStateHash).to.equal((await callState(a.node.enclave, "state_status", {})).stateHash);
    // Checkpoint 2 was posted by both before (the restarted node did not post it again: CheckpointNotAfterPrevious otherwise).
    const events = await group.queryFilter(group.filters.CheckpointPosted());
    const counters = events.map((e) => `${(e as unknown as { args: [string, bigint] }).args[0]}@${(e as unknown as { args: [string, bigint] }).args[1]}`);
    expect(counters.sort()).to.deep.equal(
      [`${a.node.address}@2`, `${a.node.address}@4`, `${b.node.address}@2`, `${b.node.address}@4`].sort(),
    );
    // The enclaves signed the log hash the contract computed (audit F-8): L at each counter of the log's entries.
    const chain = logHashChain(await logEntriesOf(await ethers.getContractAt("AnonifyGroup", deployment.group)));
    for (const e of events) {
      const { stateCounter, logHash } = (e as unknown as { args: { stateCounter: bigint; logHash: string } }).args;
      expect(logHash, `checkpoint at ${stateCounter}`).to.equal(chain[Number(stateCounter)]);
    }
    expect(b.logger.lines.some((l) => l.includes("refused"))).to.equal(false);
  });
});
