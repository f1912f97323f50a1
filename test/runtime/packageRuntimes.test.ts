/**
 * Issue 14 item 7: the records and auction runtimes end to end, through real TEE nodes (enclave processes in
 * simulation, the in-process chain): a group deployed with `runtime` names it on chain, its nodes' enclaves bind to
 * it, and `RuntimeClient<RecordsRuntimeTypes>` / `RuntimeClient<AuctionRuntimeTypes>` send commands and read state
 * back through two nodes. Each runtime's refusals (pre-check), read authorization and malformed input are checked
 * here as users meet them; the rules in full are the C++ tests' (runtime_records_test, runtime_auction_test).
 */
import { expect } from "chai";
import { createHash } from "node:crypto";
import fs from "node:fs";
import { ethers } from "hardhat";
import type { Signer } from "ethers";
import { CommandRefusedError, ReadRefusedError, RuntimeClient, RuntimeMismatchError, WireFormatError } from "../../src/client";
import { AnonifyNode, MemoryLogger, callState } from "../../src/node";
import type { MlsGroupPolicyParams } from "../../src/enclave/protocol";
import {
  AUCTION_CODEC,
  AUCTION_PADDED_COMMAND_SIZE,
  AUCTION_RUNTIME,
  RECORDS_RUNTIME,
  TOKEN_RUNTIME,
  type AuctionRuntimeTypes,
  type RecordsRuntimeTypes,
} from "../../src/runtimes";
import { AnonifyPluginError } from "../../src/errors";
import { runTaskCapturing } from "../helpers/tasks";
import { deployGroup, enclaveBinary, startNode, tempDir, type Deployment, type TestNode } from "../node/helpers";

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail("expected a rejection"),
    (error: unknown) => error,
  );
}

function stopAll(nodes: Array<TestNode | undefined>): Promise<void[]> {
  return Promise.all(
    nodes.map(async (n) => {
      await n?.node.stop();
      if (n !== undefined) fs.rmSync(n.dataDir, { recursive: true, force: true });
    }),
  );
}

const sha256 = (text: string) => "0x" + createHash("sha256").update(text, "utf8").digest("hex");

describe("package runtimes through nodes: confidential records", function () {
  this.timeout(240_000);
  let deployment: Deployment;
  let a: TestNode;
  let b: TestNode;
  let alice: Signer;
  let bob: Signer;
  let carol: Signer;
  let [aliceAddress, bobAddress, carolAddress] = ["", "", ""];
  const records = (signer: Signer, node: TestNode = a) =>
    new RuntimeClient<RecordsRuntimeTypes>({ nodeUrl: node.node.url!, signer, group: deployment.group, pollIntervalMs: 50 });

  before(async function () {
    deployment = await deployGroup(RECORDS_RUNTIME);
    a = await startNode(deployment, 18);
    b = await startNode(deployment, 19);
    const signers = await ethers.getSigners();
    [alice, bob, carol] = [signers[5], signers[6], signers[7]];
    [aliceAddress, bobAddress, carolAddress] = (await Promise.all([alice, bob, carol].map((s) => s.getAddress()))).map((x) => x.toLowerCase());
  });
  after(() => stopAll([a, b]));

  it("the group names the runtime on chain, and both nodes' enclaves run it", async function () {
    expect(await (await ethers.getContractAt("AnonifyGroup", deployment.group)).runtime()).to.equal(RECORDS_RUNTIME);
    expect(await records(alice).groupRuntime()).to.equal(RECORDS_RUNTIME);
    for (const n of [a, b]) expect((await callState(n.node.enclave, "state_status", {})).runtime).to.equal(RECORDS_RUNTIME);
  });

  it("put, grant, read through the other node, revoke; history names who changed what", async function () {
    const content = "delivery terms: 30 days net";
    await (await records(alice).send({ op: "put", id: "contract-42", content })).wait();
    // Not granted: bob learns nothing, not even that the record exists (one message for both).
    const denied = (await rejection(records(bob, b).query({ op: "get", id: "contract-42" }))) as ReadRefusedError;
    const absent = (await rejection(records(bob, b).query({ op: "get", id: "no-such-record" }))) as ReadRefusedError;
    expect(denied).to.be.instanceOf(ReadRefusedError).and.include({ code: "not_authorized" });
    expect(absent.message).to.equal(denied.message);
    expect(await records(bob).query({ op: "list" })).to.deep.equal({ records: [] });

    await (await records(alice).send({ op: "grant", id: "contract-42", account: bobAddress, access: "read" })).wait();
    await b.node.catchUp();
    expect(await records(bob, b).query({ op: "get", id: "contract-42" })).to.deep.equal({
      id: "contract-42",
      owner: aliceAddress,
      access: "read",
      version: "1",
      deleted: false,
      content,
    });
    expect(await records(bob, b).query({ op: "list" })).to.deep.equal({ records: [{ id: "contract-42", access: "read", version: "1", deleted: false }] });
    // A reader cannot change the record, nor see its grants; carol still sees nothing.
    const write = (await rejection(records(bob, b).send({ op: "put", id: "contract-42", content: "net 90" }))) as CommandRefusedError;
    expect(write).to.be.instanceOf(CommandRefusedError).and.include({ reason: "not authorized" });
    expect(await rejection(records(bob).query({ op: "grants", id: "contract-42" }))).to.be.instanceOf(ReadRefusedError).and.include({ code: "not_authorized" });
    expect(await rejection(records(carol).query({ op: "get", id: "contract-42" }))).to.be.instanceOf(ReadRefusedError).and.include({ code: "not_authorized" });
    expect(await records(alice).query({ op: "grants", id: "contract-42" })).to.deep.equal({ id: "contract-42", grants: [{ account: bobAddress, access: "read" }] });

    await (await records(alice).send({ op: "grant", id: "contract-42", account: carolAddress, access: "write" })).wait();
    await (await records(carol, b).send({ op: "put", id: "contract-42", content: "net 60" })).wait();
    await (await records(alice).send({ op: "revoke", id: "contract-42", account: bobAddress })).wait();
    await b.node.catchUp();
    expect(await rejection(records(bob, b).query({ op: "get", id: "contract-42" }))).to.be.instanceOf(ReadRefusedError).and.include({ code: "not_authorized" });

    const history = await records(alice).query({ op: "history", id: "contract-42" });
    expect(history).to.deep.equal({
      id: "contract-42",
      version: "2",
      truncated: false,
      entries: [
        { action: "put", version: "1", author: aliceAddress, contentHash: sha256(content) },
        { action: "grant", version: "1", author: aliceAddress, account: bobAddress, access: "read" },
        { action: "grant", version: "1", author: aliceAddress, account: carolAddress, access: "write" },
        { action: "put", version: "2", author: carolAddress, contentHash: sha256("net 60") },
        { action: "revoke", version: "2", author: aliceAddress, account: bobAddress },
      ],
    });
    // A writer sees the content history, not the grants.
    expect((await records(carol).query({ op: "history", id: "contract-42" })).entries.map((e) => e.action)).to.deep.equal(["put", "put"]);
  });

  it("malformed commands and queries are refused with the runtime's reason; nothing is posted", async function () {
    const counter = await records(alice).chainStateCounter();
    const untyped = new RuntimeClient({ nodeUrl: a.node.url!, signer: alice, group: deployment.group });
    const cases: Array<[Record<string, unknown> & { op: string }, string]> = [
      [{ op: "put", id: "r1" }, 'malformed command: missing "content"'],
      [{ op: "put", id: "r1", content: "x", extra: "y" }, 'malformed command: unexpected member "extra"'],
      [{ op: "put", id: "bad id!", content: "x" }, "malformed command: "],
      [{ op: "grant", id: "contract-42", account: "0x1234", access: "read" }, 'malformed command: "account" is not an address'],
      [{ op: "grant", id: "contract-42", account: bobAddress, access: "admin" }, 'malformed command: "access" must be "read" or "write"'],
      // A token command sent to a records group (its "transfer" is the records' own op, which needs an id).
      [{ op: "approve", spender: bobAddress, amount: "1" }, 'malformed command: unknown op "approve"'],
      [{ op: "transfer", to: bobAddress, amount: "1" }, 'malformed command: missing "id"'],
    ];
    for (const [command, reason] of cases) {
      const error = (await rejection(untyped.send(command))) as CommandRefusedError;
      expect(error, JSON.stringify(command)).to.be.instanceOf(CommandRefusedError);
      expect(error.reason, JSON.stringify(command)).to.satisfy((r: string) => r.startsWith(reason));
    }
    for (const query of [{ op: "get" }, { op: "get", id: "contract-42", verbose: "yes" }, { op: "balanceOf", account: aliceAddress }]) {
      expect(await rejection(untyped.query(query)), JSON.stringify(query)).to.be.instanceOf(ReadRefusedError).and.include({ code: "malformed_query" });
    }
    expect(await records(alice).chainStateCounter()).to.equal(counter);
  });
});

describe("package runtimes through nodes: sealed-bid auction", function () {
  this.timeout(240_000);
  let deployment: Deployment;
  let a: TestNode;
  let b: TestNode;
  let seller: Signer;
  let bob: Signer;
  let carol: Signer;
  let [sellerAddress, carolAddress] = ["", ""];
  const auction = (signer: Signer, node: TestNode = a) =>
    new RuntimeClient<AuctionRuntimeTypes>({ nodeUrl: node.node.url!, signer, group: deployment.group, pollIntervalMs: 50, codec: AUCTION_CODEC });

  before(async function () {
    deployment = await deployGroup(AUCTION_RUNTIME);
    a = await startNode(deployment, 18);
    b = await startNode(deployment, 19);
    const signers = await ethers.getSigners();
    [seller, bob, carol] = [signers[5], signers[6], signers[7]];
    [sellerAddress, carolAddress] = (await Promise.all([seller, carol].map((s) => s.getAddress()))).map((x) => x.toLowerCase());
  });
  after(() => stopAll([a, b]));

  it("the codec pads bid, withdraw and close to one size whatever the amount; refuses amounts the runtime would", function () {
    const sizes = [1n, 10n ** 20n, (1n << 128n) - 1n].map((amount) => AUCTION_CODEC.encodeCommand({ op: "bid", id: "lot-1", amount }).length);
    expect(new Set(sizes)).to.deep.equal(new Set([AUCTION_PADDED_COMMAND_SIZE]));
    expect(AUCTION_CODEC.encodeCommand({ op: "close", id: "lot-1" }).length).to.equal(AUCTION_PADDED_COMMAND_SIZE);
    expect(new TextDecoder().decode(AUCTION_CODEC.encodeCommand({ op: "bid", id: "lot-1", amount: 7 })).trimEnd()).to.equal('{"op":"bid","id":"lot-1","amount":"7"}');
    for (const amount of [-1n, 1n << 128n, 1.5, "01", "1e3"]) {
      expect(() => AUCTION_CODEC.encodeCommand({ op: "bid", id: "lot-1", amount }), String(amount)).to.throw(WireFormatError);
    }
  });

  it("open, hidden bids through two nodes, close: everyone learns winner and price; losing bids are never shown", async function () {
    await (await auction(seller).send({ op: "open", id: "lot-1", item: "a 1962 Gibson", reservePrice: 100n })).wait();
    await (await auction(bob).send({ op: "bid", id: "lot-1", amount: 150n })).wait();
    await b.node.catchUp();
    await (await auction(carol, b).send({ op: "bid", id: "lot-1", amount: 200n })).wait();
    await a.node.catchUp();
    // Each bidder sees only their own bid; the seller sees none while open.
    expect(await auction(bob).query({ op: "myBid", id: "lot-1" })).to.equal("150");
    expect(await auction(carol, b).query({ op: "myBid", id: "lot-1" })).to.equal("200");
    expect(await auction(seller).query({ op: "myBid", id: "lot-1" })).to.equal(null);
    expect(await auction(bob).query({ op: "auction", id: "lot-1" })).to.deep.equal({
      id: "lot-1",
      seller: sellerAddress,
      item: "a 1962 Gibson",
      reservePrice: "100",
      status: "open",
    });
    // The pre-check's refusals, each with its reason; nothing is posted.
    const refusals: Array<[Signer, AuctionRuntimeTypes["command"], string]> = [
      [seller, { op: "bid", id: "lot-1", amount: 500n }, "seller cannot bid"],
      [bob, { op: "bid", id: "lot-1", amount: 120n }, "bid not higher"],
      [bob, { op: "bid", id: "lot-2", amount: 120n }, "unknown auction"],
      [carol, { op: "close", id: "lot-1" }, "not seller"],
      [seller, { op: "withdraw", id: "lot-1" }, "no bid"],
    ];
    for (const [signer, command, reason] of refusals) {
      const error = (await rejection(auction(signer).send(command))) as CommandRefusedError;
      expect(error, JSON.stringify(command, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v))).to.be.instanceOf(CommandRefusedError).and.include({ reason });
    }

    await (await auction(seller).send({ op: "close", id: "lot-1" })).wait();
    await b.node.catchUp();
    const closed = { id: "lot-1", seller: sellerAddress, item: "a 1962 Gibson", reservePrice: "100", status: "closed", winner: carolAddress, price: "200" };
    for (const [signer, node] of [[bob, a], [carol, b], [seller, b]] as const) {
      expect(await auction(signer, node).query({ op: "auction", id: "lot-1" })).to.deep.equal(closed);
    }
    // Bids are deleted at close: the loser's amount is not in any answer, his own included.
    expect(await auction(bob).query({ op: "myBid", id: "lot-1" })).to.equal(null);
    expect(await auction(bob).query({ op: "list" })).to.deep.equal([{ id: "lot-1", status: "closed" }]);
    const bidAfterClose = (await rejection(auction(bob).send({ op: "bid", id: "lot-1", amount: 300n }))) as CommandRefusedError;
    expect(bidAfterClose.reason).to.equal("auction closed");
  });

  it("anonify:send / anonify:query pick the auction's codec by the group's runtime", async function () {
    const args = { node: a.node.url!, group: deployment.group, account: "6" };
    await runTaskCapturing("anonify:send", { ...args, command: '{"op":"open","id":"lot-9","item":"a print","reservePrice":"5"}', wait: true });
    const bid = await runTaskCapturing<{ outcome?: { status: string } }>("anonify:send", { ...args, account: "7", command: '{"op":"bid","id":"lot-9","amount":6}', wait: true });
    expect(bid.stdout).to.include("applied");
    const read = await runTaskCapturing<{ result: unknown }>("anonify:query", { ...args, account: "7", query: '{"op":"myBid","id":"lot-9"}' });
    expect(read.result.result).to.equal("6");
    // The codec, not the enclave, refuses a non-canonical amount: nothing is signed or sent.
    const error = await runTaskCapturing("anonify:send", { ...args, account: "7", command: '{"op":"bid","id":"lot-9","amount":"07"}' }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(AnonifyPluginError);
    expect((error as Error).message).to.include("amount must be a non-negative integer");
  });

  it("malformed commands and queries are refused with the runtime's reason", async function () {
    const untyped = new RuntimeClient({ nodeUrl: a.node.url!, signer: bob, group: deployment.group });
    for (const command of [
      { op: "bid", id: "lot-1", amount: "01" },
      { op: "bid", id: "lot-1", amount: 5 },
      { op: "open", id: "lot-3", item: "", reservePrice: "1" },
      { op: "close" },
      { op: "mint", id: "lot-1" },
    ]) {
      const error = (await rejection(untyped.send(command))) as CommandRefusedError;
      expect(error, JSON.stringify(command)).to.be.instanceOf(CommandRefusedError);
      expect(error.reason, JSON.stringify(command)).to.match(/^malformed command: /);
    }
    for (const query of [{ op: "auction" }, { op: "myBid", id: 7 }, { op: "list", all: "yes" }, { op: "bids", id: "lot-1" }]) {
      expect(await rejection(untyped.query(query)), JSON.stringify(query)).to.be.instanceOf(ReadRefusedError).and.include({ code: "malformed_query" });
    }
  });
});

describe("package runtimes: a host that runs its group under another runtime than the contract names", function () {
  this.timeout(240_000);
  let node: AnonifyNode | undefined;
  const dataDir = tempDir();
  after(async function () {
    await node?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("the enclave cannot read the chain, so the client compares: answers of the token runtime for a records group are discarded (runtime_mismatch)", async function () {
    const deployment = await deployGroup(RECORDS_RUNTIME);
    const signers = await ethers.getSigners();
    node = new AnonifyNode({ binary: enclaveBinary(), dataDir, signer: signers[18], group: deployment.group, pollIntervalMs: 50, logger: new MemoryLogger() });
    // The hostile host: its enclave creates the MLS group with a policy naming the token, not the contract's runtime.
    const hostile = node as unknown as { groupPolicy(own: unknown): Promise<MlsGroupPolicyParams> };
    const honest = hostile.groupPolicy.bind(node);
    hostile.groupPolicy = async (own) => ({ ...(await honest(own)), runtime: TOKEN_RUNTIME });
    await node.start();
    expect((await callState(node.enclave, "state_status", {})).runtime).to.equal(TOKEN_RUNTIME);

    const alice = signers[5];
    const client = new RuntimeClient({ nodeUrl: node.url!, signer: alice, group: deployment.group });
    const error = (await rejection(client.query({ op: "nonce", account: (await alice.getAddress()).toLowerCase() }))) as RuntimeMismatchError;
    expect(error).to.be.instanceOf(RuntimeMismatchError).and.include({ code: "runtime_mismatch", expected: RECORDS_RUNTIME, actual: TOKEN_RUNTIME });
    expect(error.message).to.include(node.url!.replace(/\/$/, ""));
  });
});
