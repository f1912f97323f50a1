/**
 * Issue 15, item 4: outcomes are reported from the chain. As found, a user's transfer through a wedged node timed
 * out after 120 s as failed, though every other node had applied it. Here node A posts the user's command and then
 * never applies it (it follows the chain only when told), and is stopped; the client's wait settles the command
 * through node B, whose index of the outcomes it applied from the log answers for commands submitted elsewhere.
 */
import { expect } from "chai";
import fs from "node:fs";
import { ethers } from "hardhat";
import { Contract, type Signer } from "ethers";
import { AnonifyClient, ClientTimeoutError, CommandFailedError, CommandSubmission, CommandRejectedError, type AnonifyClientOptions, type CommandStatus } from "../../src/client";
import { OUTCOME_INDEX_FILE } from "../../src/node/outcomeIndex";
import type { CommandTaskResult, TokenTaskResult } from "../../tasks/token";
import { sealCommand } from "../../src/client/wire";
import { runTaskCapturing } from "../helpers/tasks";
import { deployGroup, startNode, tempDir, until, type Deployment, type TestNode } from "../node/helpers";

const MANUAL_SYNC = { pollIntervalMs: 3_600_000, syncOnNewBlocks: false } as const;

async function getStatus(url: string, id: string): Promise<{ status: number; body: CommandStatus & { error?: { code: string } } }> {
  const response = await fetch(new URL(`/commands/${id}`, url));
  return { status: response.status, body: (await response.json()) as CommandStatus & { error?: { code: string } } };
}

describe("client: a command's outcome settles through any node (issue 15, item 4)", function () {
  this.timeout(240_000);
  let deployment: Deployment;
  let a: TestNode;
  let b: TestNode;
  const aDir = tempDir();
  let aUrl: string;
  let alice: Signer;
  let bob: Signer;
  let initId: string;
  const client = (nodeUrl: string, signer: Signer, extra: Partial<AnonifyClientOptions> = {}) =>
    new AnonifyClient({ nodeUrl, signer, group: deployment.group, pollIntervalMs: 50, ...extra });

  before(async function () {
    deployment = await deployGroup();
    // a posts what it accepts but applies the log only when told (a node whose sync is wedged).
    a = await startNode(deployment, 12, aDir, MANUAL_SYNC);
    b = await startNode(deployment, 13);
    await a.node.catchUp(); // b's join
    aUrl = a.node.url!;
    const signers = await ethers.getSigners();
    [alice, bob] = [signers[5], signers[6]];
  });
  after(async function () {
    for (const n of [a, b]) {
      await n?.node.stop();
      if (n !== undefined) fs.rmSync(n.dataDir, { recursive: true, force: true });
    }
  });

  it("as found: a's post landed and a stopped; the wait settles through b as applied, never failed", async function () {
    const viaA = client(aUrl, alice, { fallbackNodes: [b.node.url!] });
    const submission = await viaA.init("Settle Token", "SET", 1000n);
    initId = submission.id;
    await until(async () => (a.node.commandStatus(submission.id)?.status === "posted" ? true : undefined));
    await a.node.stop(); // a never applied it

    // Without another node the client can only time out (it never calls the command failed).
    const alone = await client(aUrl, alice).commandStatus(submission.id).catch((e: unknown) => e);
    expect(alone).to.include({ code: "node_unreachable" });
    const lonely = new AnonifyClient({ nodeUrl: aUrl, signer: alice, group: deployment.group, pollIntervalMs: 50 });
    const timedOut = await new CommandSubmission(lonely, submission.id, submission.command, submission.sender, submission.nonce)
      .wait({ timeoutMs: 500 })
      .catch((e: unknown) => e);
    expect(timedOut).to.be.instanceOf(ClientTimeoutError);

    const outcome = await submission.wait({ timeoutMs: 60_000 });
    expect(outcome).to.deep.include({ id: submission.id, status: "applied", stateCounter: 1n, node: new URL(b.node.url!).origin });

    // b answers for a command submitted elsewhere, from its log index.
    const fromB = await getStatus(b.node.url!, submission.id);
    expect(fromB.status).to.equal(200);
    expect(fromB.body).to.deep.equal({ id: submission.id, status: "applied", stateCounter: "1", submittedHere: false });
  });

  it("b's index survives its restart; an id no node knows is unknown everywhere", async function () {
    expect(fs.readFileSync(`${b.dataDir}/${OUTCOME_INDEX_FILE}`, "utf8")).to.contain(initId);
    await b.node.stop();
    b = await startNode(deployment, 13, b.dataDir);
    expect((await getStatus(b.node.url!, initId)).body).to.deep.include({ status: "applied", stateCounter: "1", submittedHere: false });

    const unknown = `0x${"cd".repeat(32)}`;
    const settlement = await client(aUrl, alice, { fallbackNodes: [b.node.url!] }).settle(unknown);
    expect(settlement.status).to.equal("unknown");
    expect(settlement.answers.map((x) => x.error)).to.deep.equal(["node_unreachable", "unknown_command"]);
  });

  it("a's own record: restarted, it reports the command applied from the log", async function () {
    a = await startNode(deployment, 12, aDir, MANUAL_SYNC);
    aUrl = a.node.url!;
    await a.node.catchUp();
    expect((await getStatus(aUrl, initId)).body).to.deep.include({ status: "applied", stateCounter: "1" });
  });

  it("a command rejected in the log, submitted through a, is seen rejected through b", async function () {
    // The submitting enclave pre-checks commands against the state it applied (item 7), so a command is rejected in
    // the log only when entries it has not applied yet change the verdict: a spends what it still sees, a spender's
    // transferFrom of alice's funds, after alice moved most of them through b.
    const carol = (await ethers.getSigners())[7];
    const aliceViaB = client(b.node.url!, alice);
    await (await aliceViaB.approve(await bob.getAddress(), 500n)).wait(); // #2
    await a.node.catchUp(); // a sees the allowance ...
    await (await aliceViaB.transfer(await carol.getAddress(), 600n)).wait(); // #3: ... but not that alice kept 400
    const rejected = await client(aUrl, bob, { fallbackNodes: [b.node.url!] }).transferFrom(await alice.getAddress(), await bob.getAddress(), 500n); // #4
    const error = await rejected.wait({ timeoutMs: 60_000 }).catch((e: unknown) => e);
    expect(error, String(error)).to.be.instanceOf(CommandRejectedError);
    expect((error as CommandRejectedError).reason).to.equal("insufficient balance");
    const settlement = await client(aUrl, bob, { fallbackNodes: [b.node.url!] }).settle(rejected.id);
    expect(settlement).to.deep.include({ status: "rejected", reason: "insufficient balance", stateCounter: 4n });
    const fromB = await getStatus(b.node.url!, rejected.id);
    expect(fromB.body).to.deep.include({ status: "rejected", stateCounter: "4", submittedHere: false });
    await a.node.catchUp();
    const fromA = (await getStatus(aUrl, rejected.id)).body;
    expect(fromA).to.deep.include({ status: "rejected", stateCounter: "4" });
    expect(fromA.submittedHere).to.equal(undefined); // a's own command, from its journal
  });

  it("CLI: a transfer through the wedged node settles through --fallback-node; anonify:command settles an id", async function () {
    const group = deployment.group;
    const transfer = await runTaskCapturing<TokenTaskResult>("anonify:transfer", {
      node: aUrl,
      group,
      account: "5",
      to: "6",
      amount: "10",
      fallbackNode: [b.node.url!],
    });
    const bOrigin = new URL(b.node.url!).origin;
    expect(transfer.result.outcome).to.deep.include({ status: "applied", stateCounter: 5n, node: bOrigin });
    expect(transfer.stdout).to.match(new RegExp(`transfer: applied at stateCounter 5 \\(tx 0x[0-9a-f]+\\) \\(reported by ${bOrigin.replace(/[.]/g, "\\.")}\\)\\n$`));

    const settled = await runTaskCapturing<CommandTaskResult>("anonify:command", { node: aUrl, group, id: transfer.result.id, fallbackNode: b.node.url! });
    expect(settled.result.settlement).to.deep.include({ status: "applied", stateCounter: 5n });
    expect(settled.stdout).to.contain(`${bOrigin}: applied (from its log index)`).and.contain(`command ${transfer.result.id}: applied at stateCounter 5`);
  });

  it("the same command sealed to both nodes: logged twice, applied once; every node reports the first entry's outcome", async function () {
    await a.node.catchUp(); // a follows the chain only when told
    const viaA = client(aUrl, alice);
    const domain = await viaA.domain();
    const nonce = await viaA.nonce();
    const payload = { op: "transfer" as const, to: await bob.getAddress(), amount: 1n };
    const toA = await sealCommand({ enclaveHpkeKey: a.node.identity.hpkePublicKey, signer: alice, domain, nonce, payload });
    const toB = await sealCommand({ enclaveHpkeKey: b.node.identity.hpkePublicKey, signer: alice, domain, nonce, payload });
    // b's entry first (#6); a, which applies nothing until told, still takes the same command and logs it (#7).
    const acceptedB = await b.node.submitCommand(toB.payload);
    await until(async () => (b.node.commandStatus(acceptedB.id)?.status !== "queued" ? true : undefined));
    const acceptedA = await a.node.submitCommand(toA.payload);
    expect(acceptedA.id, "one command, one id").to.equal(acceptedB.id);
    const head = await until(async () => {
      const counter = await viaA.chainStateCounter();
      return counter === 7n ? counter : undefined; // both entries logged
    });
    await a.node.catchUp();
    await until(async () => ((await b.node.health()).stateCounter === head.toString() ? true : undefined));
    for (const url of [aUrl, b.node.url!]) {
      expect((await getStatus(url, acceptedA.id)).body, url).to.deep.include({ status: "applied", stateCounter: "6" });
    }
    expect(await client(aUrl, alice, { fallbackNodes: [b.node.url!] }).settle(acceptedA.id)).to.deep.include({ status: "applied", stateCounter: 6n });
  });

  it("a command that really failed (its post refused: the enclave was revoked meanwhile) is still CommandFailedError", async function () {
    // c holds its posts for 3 s; governance revokes its enclave before it posts, so the group refuses the entry.
    const c = await startNode(deployment, 14, undefined, { batchWindowMs: 3_000 });
    try {
      // c joined after entries were logged: it takes the state over from a snapshot entry (b posts one now).
      await b.node.postSnapshot();
      await until(async () => {
        const [health, head] = await Promise.all([c.node.health(), client(b.node.url!, alice).chainStateCounter()]);
        return health.awaitingSnapshot === undefined && health.stateCounter === head.toString() ? true : undefined;
      }, 60_000);
      const viaC = client(c.node.url!, alice, { fallbackNodes: [b.node.url!] });
      const submission = await viaC.transfer(await bob.getAddress(), 1n);
      await (await new Contract(deployment.group, ["function revokeEnclave(address enclave)"], deployment.governor).revokeEnclave(c.node.address)).wait();
      const error = await submission.wait({ timeoutMs: 60_000 }).catch((e: unknown) => e);
      // c said failed, b never saw it, and a fresh nonce read through b (c's enclave is no longer trusted) shows the
      // command's nonce unused.
      expect(error, String(error)).to.be.instanceOf(CommandFailedError);
      expect((error as CommandFailedError).reason).to.match(/the group refused the entry/);
      expect(await client(b.node.url!, alice).nonce()).to.equal(submission.nonce);
    } finally {
      await c.node.stop();
      fs.rmSync(c.dataDir, { recursive: true, force: true });
    }
  });
});
