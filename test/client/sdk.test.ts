/**
 * AnonifyClient against a real TEE node (real enclave process in simulation, development-IAS join) on the
 * in-process chain: the token flow, typed results, and every SDK error path — untrusted enclave, node HTTP
 * errors, rejected commands, refused reads.
 */
import { expect } from "chai";
import fs from "node:fs";
import { ethers } from "hardhat";
import { Wallet, type Signer } from "ethers";
import {
  AnonifyClient,
  CommandRefusedError,
  EnclaveNotTrustedError,
  NodeRequestError,
  ReadRefusedError,
  sealCommand,
} from "../../src/client";
import { deployGroup, startNode, type Deployment, type TestNode } from "../node/helpers";

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail("expected a rejection"),
    (error: unknown) => error,
  );
}

describe("client SDK against a real node (simulation)", function () {
  this.timeout(180_000);
  let deployment: Deployment;
  let n: TestNode;
  let alice: Signer;
  let bob: Signer;
  let carol: Signer;
  let aliceClient: AnonifyClient;
  let bobClient: AnonifyClient;

  const clientFor = (signer: Signer) => new AnonifyClient({ nodeUrl: n.node.url!, signer, group: deployment.group, pollIntervalMs: 50 });

  before(async function () {
    deployment = await deployGroup();
    n = await startNode(deployment, 9);
    [, , , alice, bob, carol] = await ethers.getSigners();
    aliceClient = clientFor(alice);
    bobClient = clientFor(bob);
  });
  after(async function () {
    await n?.node.stop();
    if (n !== undefined) fs.rmSync(n.dataDir, { recursive: true, force: true });
  });

  it("trusts the node's attested enclave, then runs init, transfer, approve, transferFrom, mint, burn with typed results", async function () {
    const trusted = await aliceClient.verifyEnclave();
    expect(trusted.address).to.equal(n.node.address.toLowerCase());
    expect(await aliceClient.nonce()).to.equal(0n);

    const init = await aliceClient.init("Anonify Token", "ANT", 1000n);
    expect(init.nonce).to.equal(0n);
    const applied = await init.wait();
    expect(applied.status).to.equal("applied");
    expect(applied.stateCounter).to.equal(1n);
    expect(await aliceClient.tokenInfo()).to.deep.include({ name: "Anonify Token", symbol: "ANT", initialized: true });
    expect(await aliceClient.totalSupply()).to.equal(1000n);

    // Back-to-back submissions: the second waits for the first to reach the log, nonces are tracked locally.
    const t1 = await aliceClient.transfer(await bob.getAddress(), 100n);
    const t2 = await aliceClient.approve(await bob.getAddress(), 50n);
    expect([t1.nonce, t2.nonce]).to.deep.equal([1n, 2n]);
    await t1.wait();
    await t2.wait();
    expect(await aliceClient.allowance(await alice.getAddress(), await bob.getAddress())).to.equal(50n);
    await (await bobClient.transferFrom(await alice.getAddress(), await carol.getAddress(), 30n)).wait();
    await (await aliceClient.mint(await carol.getAddress(), 5n)).wait();
    await (await bobClient.burn(10n)).wait();

    expect(await aliceClient.balanceOf()).to.equal(870n);
    expect(await bobClient.balanceOf()).to.equal(90n);
    expect(await clientFor(carol).balanceOf()).to.equal(35n);
    expect(await bobClient.allowance(await alice.getAddress(), await bob.getAddress())).to.equal(20n);
    expect(await bobClient.totalSupply()).to.equal(995n);
    expect(await aliceClient.nonce()).to.equal(4n);
    expect(aliceClient.pending).to.deep.equal([]);
  });

  it("a command the token would reject is CommandRefusedError with the enclave's reason; nothing is posted, the nonce is kept", async function () {
    const before = await bobClient.nonce();
    const error = await rejection(bobClient.transfer(await carol.getAddress(), 1_000_000n));
    expect(error).to.be.instanceOf(CommandRefusedError);
    expect((error as CommandRefusedError).reason).to.equal("insufficient balance");
    expect((error as CommandRefusedError).code).to.equal("command_refused");
    expect((error as CommandRefusedError).nonce).to.equal(before);
    expect(await bobClient.nonce()).to.equal(before);
    expect(await bobClient.balanceOf()).to.equal(90n);

    const notOwner = await rejection(bobClient.mint(await bob.getAddress(), 1n));
    expect(notOwner).to.be.instanceOf(CommandRefusedError).and.include({ reason: "not owner" });
    // The nonce the refusals left unused carries the next command.
    const next = await bobClient.burn(1n);
    expect(next.nonce).to.equal(before);
    await next.wait();
    expect(await bobClient.balanceOf()).to.equal(89n);
  });

  it("reads of another user's balance are ReadRefusedError not_authorized", async function () {
    const error = await rejection(bobClient.balanceOf(await alice.getAddress()));
    expect(error).to.be.instanceOf(ReadRefusedError).and.include({ code: "not_authorized" });
    const allowance = await rejection(clientFor(carol).allowance(await alice.getAddress(), await bob.getAddress()));
    expect(allowance).to.be.instanceOf(ReadRefusedError).and.include({ code: "not_authorized" });
  });

  it("a stale nonce is NodeRequestError nonce_mismatch (409), and the client's own next command succeeds", async function () {
    const domain = await aliceClient.domain();
    const trusted = await aliceClient.verifyEnclave();
    const stale = await sealCommand({ enclaveHpkeKey: trusted.hpkePublicKey, signer: alice, domain, nonce: 0n, payload: { op: "burn", amount: 1n } });
    const error = await rejection(aliceClient.node.post("/commands", { payload: stale.payload }));
    expect(error).to.be.instanceOf(NodeRequestError);
    expect(error).to.include({ code: "nonce_mismatch", status: 409, path: "/commands" });
    expect((error as NodeRequestError).message).to.match(/expected nonce \d+, got 0/);
    await (await aliceClient.burn(1n)).wait();
  });

  it("node HTTP errors are NodeRequestError with the node's code and status", async function () {
    const unknown = await rejection(aliceClient.commandStatus(`0x${"ab".repeat(32)}`));
    expect(unknown).to.be.instanceOf(NodeRequestError).and.include({ code: "unknown_command", status: 404 });
    const garbage = await rejection(aliceClient.node.post("/commands", { payload: "0x" + "00".repeat(64) }));
    expect(garbage).to.be.instanceOf(NodeRequestError);
    expect(garbage).to.include({ code: "hpke_open_failed", status: 400 });
    const missing = await rejection(aliceClient.node.post("/reads", {}));
    expect(missing).to.be.instanceOf(NodeRequestError).and.include({ code: "payload_missing", status: 400 });
  });

  it("notifications: the subscriber learns that its state changed, and of every other entry without change", async function () {
    const subscription = await bobClient.subscribe();
    try {
      const mine = await (await aliceClient.transfer(await bob.getAddress(), 7n)).wait();
      const seen = await subscription.waitFor((x) => x.stateCounter === mine.stateCounter);
      expect(seen.changed).to.equal(true);
      const other = await (await aliceClient.transfer(await carol.getAddress(), 1n)).wait();
      const unrelated = await subscription.waitFor((x) => x.stateCounter === other.stateCounter);
      expect(unrelated.changed).to.equal(false);
    } finally {
      subscription.close();
    }
  });

  it("a client bound to another group refuses the node before sealing anything (group_mismatch)", async function () {
    const stranger = new AnonifyClient({ nodeUrl: n.node.url!, signer: alice, group: Wallet.createRandom().address, provider: ethers.provider });
    const error = await rejection(stranger.transfer(await bob.getAddress(), 1n));
    expect(error).to.be.instanceOf(EnclaveNotTrustedError).and.include({ reason: "group_mismatch" });
  });

  it("once governance revokes the node's enclave, the client refuses it (revoked) for commands, reads and subscriptions", async function () {
    const group = await ethers.getContractAt("AnonifyGroup", deployment.group);
    await (await group.connect(deployment.governor).revokeEnclave(n.node.address)).wait();
    const bobAddress = await bob.getAddress();
    for (const attempt of [() => aliceClient.transfer(bobAddress, 1n), () => aliceClient.balanceOf(), () => aliceClient.subscribe()]) {
      const error = await rejection(attempt());
      expect(error).to.be.instanceOf(EnclaveNotTrustedError).and.include({ reason: "revoked", code: "enclave_not_trusted" });
    }
  });
});
