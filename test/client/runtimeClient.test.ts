/**
 * Issue 14 item 6: the generic client (`RuntimeClient<R>`: send, query, readQuery, subscribe) against a real TEE node
 * running the token runtime (real enclave processes, simulation, in-process chain). What it sends and reads equals
 * what the token's methods do; its refusals and rejections are the token path's typed errors; its reads are checked
 * for freshness like the token's. Node b follows the chain only when told, so it can lag.
 */
import { expect } from "chai";
import fs from "node:fs";
import hre, { ethers } from "hardhat";
import { getAddress, type Signer } from "ethers";
import {
  AnonifyClient,
  CommandRefusedError,
  CommandRejectedError,
  ReadRefusedError,
  RuntimeClient,
  StaleReadError,
  type AnonifyClientOptions,
  type TokenRuntimeTypes,
} from "../../src/client";
import { AnonifyPluginError } from "../../src/errors";
import { deployGroup, startNode, tempDir, type Deployment, type TestNode } from "../node/helpers";

const MANUAL_SYNC = { pollIntervalMs: 3_600_000, syncOnNewBlocks: false } as const;

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail("expected a rejection"),
    (error: unknown) => error,
  );
}

describe("client: RuntimeClient send/query/subscribe against the token runtime on a real node", function () {
  this.timeout(240_000);
  let deployment: Deployment;
  let a: TestNode;
  let b: TestNode;
  let alice: Signer;
  let bob: Signer;
  let carol: Signer;
  let [aliceAddress, bobAddress, carolAddress] = ["", "", ""];

  const options = (signer: Signer, node: TestNode, extra: Partial<AnonifyClientOptions>) => ({
    nodeUrl: node.node.url!,
    signer,
    group: deployment.group,
    pollIntervalMs: 50,
    ...extra,
  });
  /** The generic client typed by the token's RuntimeTypes, with the default JSON codec (not the token's encoders). */
  const generic = (signer: Signer, node = a, extra: Partial<AnonifyClientOptions> = {}) => new RuntimeClient<TokenRuntimeTypes>(options(signer, node, extra));
  const untyped = (signer: Signer, node = a) => new RuntimeClient(options(signer, node, {}));
  const token = (signer: Signer, node = a) => new AnonifyClient(options(signer, node, {}));

  before(async function () {
    deployment = await deployGroup();
    a = await startNode(deployment, 16);
    b = await startNode(deployment, 17, undefined, MANUAL_SYNC);
    await b.node.catchUp();
    const signers = await ethers.getSigners();
    [alice, bob, carol] = [signers[2], signers[3], signers[4]];
    [aliceAddress, bobAddress, carolAddress] = await Promise.all([alice, bob, carol].map((s) => s.getAddress()));
  });
  after(async function () {
    for (const n of [a, b]) {
      await n?.node.stop();
      if (n !== undefined) fs.rmSync(n.dataDir, { recursive: true, force: true });
    }
  });

  it("send and query give what the token's methods give; AnonifyClient.send is the same path", async function () {
    const aliceGeneric = generic(alice);
    const init = await aliceGeneric.send({ op: "init", name: "Generic Token", symbol: "GEN", initialSupply: 1000n });
    expect(init.command).to.deep.equal({ op: "init", name: "Generic Token", symbol: "GEN", initialSupply: 1000n });
    expect(init.nonce).to.equal(0n);
    expect(await init.wait()).to.deep.include({ status: "applied", stateCounter: 1n });
    // A checksummed address, as the JSON codec writes it: the runtime parses either case.
    const transfer = await aliceGeneric.send({ op: "transfer", to: getAddress(bobAddress), amount: 250n });
    expect(transfer.nonce, "the nonce is tracked locally").to.equal(1n);
    expect(await transfer.wait()).to.deep.include({ status: "applied", stateCounter: 2n });

    const balance = await generic(bob).query({ op: "balanceOf", account: bobAddress });
    expect(balance).to.equal("250");
    expect(BigInt(balance)).to.equal(await token(bob).balanceOf());
    expect(BigInt(await aliceGeneric.query({ op: "balanceOf", account: aliceAddress }))).to.equal(await token(alice).balanceOf()).and.equal(750n);
    expect(await aliceGeneric.query({ op: "tokenInfo" })).to.deep.equal(await token(alice).tokenInfo()).and.deep.include({ name: "Generic Token", initialized: true });
    const supply = await aliceGeneric.readQuery({ op: "totalSupply" });
    expect(supply).to.deep.equal({ value: "1000", stateCounter: 2n, chainCounter: 2n, lag: 0n });
    expect({ ...supply, value: BigInt(supply.value) }).to.deep.equal(await token(alice).readTotalSupply());
    // The ledger's nonce query, answered for every runtime.
    expect(await aliceGeneric.query({ op: "nonce", account: aliceAddress })).to.equal("2");
    expect(await aliceGeneric.nonce()).to.equal(2n).and.equal(await token(alice).nonce());

    // The token's client sends a command object through send, as its methods do.
    const approve = await token(bob).send({ op: "approve", spender: carolAddress, amount: 40n });
    await approve.wait();
    expect(await generic(carol).query({ op: "allowance", owner: bobAddress, spender: carolAddress })).to.equal("40");
    expect(await token(carol).allowance(bobAddress, carolAddress)).to.equal(40n);
    expect((await token(bob).read<string>({ op: "allowance", owner: bobAddress, spender: carolAddress })).result).to.equal("40");

    // Untyped: any JSON with an op.
    const carolUntyped = untyped(carol);
    await (await carolUntyped.send({ op: "transferFrom", from: bobAddress, to: carolAddress, amount: "15" })).wait();
    expect(await carolUntyped.query({ op: "balanceOf", account: carolAddress })).to.equal("15");
    expect(await token(carol).balanceOf()).to.equal(15n);
    expect(await token(bob).balanceOf()).to.equal(235n);
  });

  it("a command the runtime would refuse is CommandRefusedError through send, as through the token's methods; the nonce is kept", async function () {
    const bobGeneric = generic(bob);
    const before = await bobGeneric.nonce();
    const viaSend = await rejection(bobGeneric.send({ op: "transfer", to: carolAddress, amount: 1_000_000n }));
    expect(viaSend).to.be.instanceOf(CommandRefusedError).and.include({ code: "command_refused", reason: "insufficient balance", nonce: before });
    const viaMethod = await rejection(token(bob).transfer(carolAddress, 1_000_000n));
    expect(viaMethod).to.be.instanceOf(CommandRefusedError).and.include({ reason: "insufficient balance", nonce: before });
    expect((viaSend as Error).message).to.equal((viaMethod as Error).message);

    // Shapes only the runtime judges: its reason, exactly as the log would record it.
    const extra = await rejection(untyped(bob).send({ op: "transfer", to: carolAddress, amount: "1", memo: "hi" }));
    expect(extra).to.be.instanceOf(CommandRefusedError);
    expect((extra as CommandRefusedError).reason).to.match(/^malformed command: unexpected member "memo"/);
    const unknownOp = await rejection(untyped(bob).send({ op: "steal", amount: "1" }));
    expect(unknownOp).to.be.instanceOf(CommandRefusedError).and.include({ reason: 'malformed command: unknown op "steal"' });
    const notOwner = await rejection(bobGeneric.send({ op: "mint", to: bobAddress, amount: 1n }));
    expect(notOwner).to.be.instanceOf(CommandRefusedError).and.include({ reason: "not owner" });

    // Nothing was posted: the same nonce carries the next command, through the same client.
    const next = await bobGeneric.send({ op: "burn", amount: 5n });
    expect(next.nonce).to.equal(before);
    await next.wait();
    expect(await bobGeneric.query({ op: "balanceOf", account: bobAddress })).to.equal("230");
  });

  it("a command the log rejects is CommandRejectedError from wait(), as on the token path", async function () {
    // b sees alice's allowance for bob but not that alice moved her funds: its pre-check passes bob's transferFrom,
    // and the log, which applies alice's transfer first, rejects it.
    await (await generic(alice).send({ op: "approve", spender: bobAddress, amount: 700n })).wait();
    await b.node.catchUp();
    await (await generic(alice).send({ op: "transfer", to: carolAddress, amount: 600n })).wait();
    const bobViaB = generic(bob, b, { fallbackNodes: [a.node.url!] });
    const doomed = await bobViaB.send({ op: "transferFrom", from: aliceAddress, to: bobAddress, amount: 700n });
    const error = await rejection(doomed.wait({ timeoutMs: 60_000 }));
    expect(error, String(error)).to.be.instanceOf(CommandRejectedError);
    expect(error).to.include({ code: "command_rejected", commandId: doomed.id, reason: "insufficient balance" });
    expect((error as CommandRejectedError).stateCounter).to.be.a("bigint");
    // Its nonce was used; alice's funds did not move.
    expect(await generic(bob).nonce()).to.equal(doomed.nonce + 1n);
    expect(await generic(alice).query({ op: "balanceOf", account: aliceAddress })).to.equal("150");
    await b.node.catchUp();
  });

  it("a query the runtime refuses is ReadRefusedError with the enclave's code, as through the token's methods", async function () {
    const other = await rejection(generic(bob).query({ op: "balanceOf", account: aliceAddress }));
    expect(other).to.be.instanceOf(ReadRefusedError).and.include({ code: "not_authorized" });
    const viaMethod = await rejection(token(bob).balanceOf(aliceAddress));
    expect((other as Error).message).to.equal((viaMethod as Error).message);
    expect(await rejection(generic(carol).readQuery({ op: "allowance", owner: aliceAddress, spender: bobAddress }))).to.be.instanceOf(ReadRefusedError).and.include({
      code: "not_authorized",
    });
    expect(await rejection(generic(bob).query({ op: "nonce", account: aliceAddress }))).to.be.instanceOf(ReadRefusedError).and.include({ code: "not_authorized" });
    const unknownOp = await rejection(untyped(bob).query({ op: "everything" }));
    expect(unknownOp).to.be.instanceOf(ReadRefusedError).and.include({ code: "malformed_query" });
    expect((unknownOp as Error).message).to.equal('read refused (malformed_query): unknown op "everything"');
    const extra = await rejection(untyped(bob).query({ op: "totalSupply", verbose: true }));
    expect(extra).to.be.instanceOf(ReadRefusedError).and.include({ code: "malformed_query" });
  });

  it("readQuery and query honour maxReadLag, readLagPolicy and per-read options as the token's reads do", async function () {
    // b lags behind the chain from here on.
    await (await generic(alice).send({ op: "burn", amount: 1n })).wait();
    const chain = await generic(alice).chainStateCounter();
    const stale = await rejection(generic(alice, b).readQuery({ op: "totalSupply" }));
    expect(stale).to.be.instanceOf(StaleReadError).and.include({ code: "stale_read", chainCounter: chain, lag: 1n, maxLag: 0n });
    const tokenStale = await rejection(token(alice, b).readTotalSupply());
    expect((stale as Error).message).to.equal((tokenStale as Error).message);
    // Accepted with a bound, per read or per client; the answer is the lagging node's.
    expect(await generic(alice, b).readQuery({ op: "totalSupply" }, { maxLag: 1 })).to.deep.equal({ value: "995", stateCounter: chain - 1n, chainCounter: chain, lag: 1n });
    expect(await generic(alice, b, { maxReadLag: 5 }).query({ op: "totalSupply" })).to.equal("995");
    // "wait" gives up after its limit while the node does not catch up, then returns the fresh answer once it does.
    const waited = await rejection(generic(alice, b, { readLagPolicy: "wait", readWaitTimeoutMs: 300 }).query({ op: "totalSupply" }));
    expect(waited).to.be.instanceOf(StaleReadError);
    expect((waited as Error).message).to.match(/did not catch up within 300 ms/);
    const reading = generic(alice, b).readQuery({ op: "totalSupply" }, { policy: "wait", waitTimeoutMs: 30_000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await b.node.catchUp();
    expect(await reading).to.deep.equal({ value: "994", stateCounter: chain, chainCounter: chain, lag: 0n });
  });

  it("subscribe through the generic client: notified when the subscriber's state changes", async function () {
    const subscription = await untyped(carol).subscribe();
    try {
      const mine = await (await generic(alice).send({ op: "transfer", to: carolAddress, amount: 3n })).wait();
      expect((await subscription.waitFor((n) => n.stateCounter === mine.stateCounter)).changed).to.equal(true);
      const other = await (await generic(alice).send({ op: "transfer", to: bobAddress, amount: 1n })).wait();
      expect((await subscription.waitFor((n) => n.stateCounter === other.stateCounter)).changed).to.equal(false);
    } finally {
      subscription.close();
    }
  });

  it("hre.anonify.runtimeClient<R>() is a typed generic client; hre.anonify.client() is still the token's", async function () {
    const viaHre = await hre.anonify.runtimeClient<TokenRuntimeTypes>({ nodeUrl: a.node.url!, group: deployment.group, signer: carol });
    expect(viaHre).to.be.instanceOf(RuntimeClient).and.not.be.instanceOf(AnonifyClient);
    expect(await viaHre.query({ op: "balanceOf", account: carolAddress })).to.equal("618");
    const tokenViaHre = await hre.anonify.client({ nodeUrl: a.node.url!, group: deployment.group, signer: carol });
    expect(tokenViaHre).to.be.instanceOf(AnonifyClient);
    expect(await tokenViaHre.balanceOf()).to.equal(618n);
    // A codec passed through is the client's.
    const codec = { encodeCommand: () => new Uint8Array([0x7b, 0x7d]), encodeQuery: () => new TextEncoder().encode('{"op":"totalSupply"}') };
    const custom = await hre.anonify.runtimeClient({ nodeUrl: a.node.url!, group: deployment.group, signer: carol, codec });
    expect(custom.codec).to.equal(codec);
    expect(await custom.query({ op: "anything" })).to.equal("994");
    // Without a group and without a deployment record: the same message as client().
    const empty = tempDir("anonify-runtime-client-");
    try {
      const noGroup = await rejection(hre.anonify.runtimeClient({ nodeUrl: a.node.url!, dataDir: empty }));
      expect(noGroup).to.be.instanceOf(AnonifyPluginError);
      expect((noGroup as Error).message).to.equal("no group address: pass `group` or run `npx hardhat anonify:deploy` first");
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});
