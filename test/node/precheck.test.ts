/**
 * Issue 15, item 7. As found: commands the token rejects (zero address, insufficient balance, not owner, amount >=
 * 2^128) were posted at the node's cost and burned the user's nonce. Now the submitting enclave's dry run refuses
 * them (422 command_refused, the runtime's reason) before anything is posted, and the node's API rate-limits per
 * sender (accepted commands) and per client IP (requests that reach the enclave): 429 rate_limited with Retry-After.
 * The clock of the limits is injected: no timed assertions. (That the log stays authoritative, a command passing the
 * dry run and losing a race at apply, is enclave/tests/runtime_methods_test.cpp's
 * SubmitRefusesWhatTheRuntimeWouldRejectAndChangesNothing.)
 */
import { expect } from "chai";
import fs from "node:fs";
import hre, { ethers } from "hardhat";
import { ZeroAddress, type Signer } from "ethers";
import { AnonifyClient, CommandRefusedError, RateLimitedError, sealCommand, type CommandStatus, type Hex, type NodeHealth } from "../../src/client";
import { createNode, groupContract, NodeHttpApi, RateLimiter, type NodeApiBackend } from "../../src/node";
import { asPluginError } from "../../src/taskErrors";
import { AnonifyPluginError } from "../../src/errors";
import { deployGroup, startNode, until, type Deployment, type TestNode } from "./helpers";

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail("expected a rejection"),
    (error: unknown) => error,
  );
}

describe("RateLimiter and the per-IP limit of the HTTP API (no enclave)", function () {
  it("a token bucket: burst at once, then one per refill interval; Retry-After in whole seconds; keys apart", function () {
    let now = 0;
    const limiter = new RateLimiter({ perMinute: 6, burst: 2 }, () => now);
    expect([limiter.take("a"), limiter.take("a")]).to.deep.equal([0, 0]);
    expect(limiter.take("a")).to.equal(10); // one token every 10 s
    expect(limiter.take("b")).to.equal(0);
    now += 4_000;
    expect(limiter.take("a")).to.equal(6);
    now += 6_000;
    expect(limiter.take("a")).to.equal(0);
    now += 3_600_000;
    expect([limiter.take("a"), limiter.take("a"), limiter.take("a")]).to.deep.equal([0, 0, 10]); // never above the burst
  });

  it("invalid limits are invalid_options before anything starts", function () {
    const backend = {} as NodeApiBackend;
    expect(() => new NodeHttpApi(backend, { commandRateLimit: { perMinute: 0, burst: 1 } })).to.throw(/commandRateLimit.perMinute/);
    expect(() => new NodeHttpApi(backend, { requestRateLimit: { perMinute: 10, burst: 0.5 } })).to.throw(/requestRateLimit.burst/);
    expect(() => new NodeHttpApi(backend, { commandRateLimit: false, requestRateLimit: false })).to.not.throw();
  });

  it("requests over the per-IP limit are 429 rate_limited with Retry-After before the enclave is called", async function () {
    let now = 0;
    let calls = 0;
    const backend: NodeApiBackend = {
      health: async () => ({ status: "ok" }) as NodeHealth,
      enclaveInfo: () => ({}) as never,
      submitCommand: async () => {
        calls++;
        return { id: `0x${"11".repeat(32)}` as Hex, status: "queued" } as CommandStatus;
      },
      commandStatus: () => undefined,
      read: async () => {
        calls++;
        return { reply: "0x00" as Hex };
      },
      subscribe: async () => {
        throw new Error("unused");
      },
    };
    const api = new NodeHttpApi(backend, { requestRateLimit: { perMinute: 60, burst: 2 }, now: () => now });
    const url = await api.listen();
    try {
      const post = (route: string) => fetch(`${url}${route}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ payload: "0x00" }) });
      expect((await post("/commands")).status).to.equal(202);
      expect((await post("/reads")).status).to.equal(200);
      const limited = await post("/commands");
      expect(limited.status).to.equal(429);
      expect(limited.headers.get("retry-after")).to.equal("1");
      expect(((await limited.json()) as { error: { code: string } }).error.code).to.equal("rate_limited");
      expect(calls).to.equal(2); // the refused request never reached the backend
      // Cheap routes are not limited.
      expect((await fetch(`${url}/health`)).status).to.equal(200);
      now += 1_000;
      expect((await post("/commands")).status).to.equal(202);
      expect(calls).to.equal(3);
    } finally {
      await api.close();
    }
  });
});

describe("command pre-check and per-sender rate limit (simulation, real enclave)", function () {
  this.timeout(240_000);
  let deployment: Deployment;
  let n: TestNode;
  /** The rate limits' clock (ms); moved by the tests only. */
  let clock = 0;
  let owner: Signer;
  let alice: Signer;
  let bob: Signer;
  let nodeAccount: string;
  const clientFor = (signer: Signer) => new AnonifyClient({ nodeUrl: n.node.url!, signer, group: deployment.group, pollIntervalMs: 50 });

  /** Enough time passes for every bucket to be full again. */
  const refill = () => {
    clock += 3_600_000;
  };

  before(async function () {
    deployment = await deployGroup();
    n = await startNode(deployment, 10, undefined, {
      // No checkpoints: the node's account sends nothing of its own while a test counts its transactions.
      checkpointInterval: 0,
      http: { commandRateLimit: { perMinute: 6, burst: 2 }, now: () => clock },
    });
    nodeAccount = await n.node.options.signer.getAddress();
    [owner, alice, bob] = (await ethers.getSigners()).slice(14, 17);
    refill();
    await (await clientFor(owner).init("Precheck Token", "PRE", 1000n)).wait();
  });
  after(async function () {
    await n?.node.stop();
    if (n !== undefined) fs.rmSync(n.dataDir, { recursive: true, force: true });
  });

  /** What a refused command must not move: the group's log counter, the node's account nonce, the user's nonce. */
  async function observed(client: AnonifyClient) {
    const group = groupContract(deployment.group, ethers.provider);
    return {
      logCounter: (await group.stateCounter()) as bigint,
      nodeTxCount: await ethers.provider.getTransactionCount(nodeAccount),
      userNonce: await client.nonce(),
    };
  }

  it("each as-found case is refused before posting (422 command_refused, the token's reason); the same nonce then carries the corrected command", async function () {
    const ownerClient = clientFor(owner);
    const aliceClient = clientFor(alice);
    const aliceAddress = await alice.getAddress();
    const cases: Array<{ client: AnonifyClient; send: () => Promise<unknown>; fix: () => Promise<{ wait(): Promise<unknown>; nonce: bigint }>; reason: string }> = [
      { client: ownerClient, send: () => ownerClient.transfer(ZeroAddress, 1n), fix: () => ownerClient.transfer(aliceAddress, 1n), reason: "zero address" },
      { client: ownerClient, send: () => ownerClient.transfer(aliceAddress, 1001n), fix: () => ownerClient.transfer(aliceAddress, 999n), reason: "insufficient balance" },
      { client: aliceClient, send: () => aliceClient.mint(aliceAddress, 5n), fix: () => aliceClient.burn(5n), reason: "not owner" },
      { client: ownerClient, send: () => ownerClient.transfer(aliceAddress, 2n ** 128n), fix: () => ownerClient.burn(0n), reason: "amount too large" },
    ];
    for (const c of cases) {
      refill();
      const before = await observed(c.client);
      const error = await rejection(c.send());
      expect(error, c.reason).to.be.instanceOf(CommandRefusedError).and.include({ code: "command_refused", reason: c.reason, nonce: before.userNonce });
      expect(await observed(c.client), c.reason).to.deep.equal(before);
      const fixed = await c.fix();
      expect(fixed.nonce, c.reason).to.equal(before.userNonce);
      await fixed.wait();
      expect(await c.client.nonce()).to.equal(before.userNonce + 1n);
    }
    expect(await clientFor(alice).balanceOf()).to.equal(995n);
  });

  it("over raw HTTP the refusal is 422 {code: command_refused, message: reason}; the task error says what to do, without a stack", async function () {
    refill();
    const client = clientFor(bob);
    const sealed = await sealCommand({
      enclaveHpkeKey: n.node.identity.hpkePublicKey,
      signer: bob,
      domain: await client.domain(),
      nonce: await client.nonce(),
      payload: { op: "burn", amount: "1" },
    });
    const response = await fetch(`${n.node.url}/commands`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ payload: sealed.payload }) });
    expect(response.status).to.equal(422);
    expect(await response.json()).to.deep.equal({ error: { code: "command_refused", message: "insufficient balance" } });
    const mapped = await asPluginError(await rejection(client.burn(1n)));
    expect(mapped).to.be.instanceOf(AnonifyPluginError);
    expect((mapped as AnonifyPluginError).message).to.match(/refused the command before posting it: insufficient balance\. Nothing was posted and nonce 0 is still unused/);
  });

  it("bad limits from createNode or anonify:node's params are invalid_options, before anything starts", async function () {
    await expect(createNode(hre, { group: deployment.group, account: 11, commandRateLimit: { perMinute: -1, burst: 1 } })).to.be.rejectedWith(
      /commandRateLimit\.perMinute must be a positive number/,
    );
    const error = await rejection(hre.run("anonify:node", { group: deployment.group, account: 11, requestBurst: 0 }));
    expect(error).to.be.instanceOf(AnonifyPluginError);
    expect((error as AnonifyPluginError).message).to.match(/requestRateLimit\.burst must be an integer >= 1.*\[invalid_options\]/);
  });

  it("a burst over the per-sender limit is 429 rate_limited with Retry-After; other senders pass; after the window the sender submits again", async function () {
    refill();
    const aliceClient = clientFor(alice);
    const bobClient = clientFor(bob);
    const ownerClient = clientFor(owner);
    await (await aliceClient.transfer(await bob.getAddress(), 1n)).wait();
    await (await aliceClient.transfer(await bob.getAddress(), 1n)).wait(); // the burst of 2 is used
    const before = await observed(aliceClient);
    const limited = await rejection(aliceClient.transfer(await bob.getAddress(), 1n));
    expect(limited).to.be.instanceOf(RateLimitedError).and.include({ code: "rate_limited", status: 429, retryAfterSeconds: 10 });
    // The raw reply carries Retry-After.
    const sealed = await sealCommand({
      enclaveHpkeKey: n.node.identity.hpkePublicKey,
      signer: alice,
      domain: await aliceClient.domain(),
      nonce: before.userNonce,
      payload: { op: "transfer", to: await bob.getAddress(), amount: "1" },
    });
    const raw = await fetch(`${n.node.url}/commands`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ payload: sealed.payload }) });
    expect(raw.status).to.equal(429);
    expect(raw.headers.get("retry-after")).to.equal("10");
    expect(((await raw.json()) as { error: { code: string } }).error.code).to.equal("rate_limited");
    expect(await observed(aliceClient)).to.deep.equal(before); // nothing queued, posted or used
    const mapped = await asPluginError(limited);
    expect((mapped as AnonifyPluginError).message).to.match(/rate limiting.*run the task again in 10 s/);

    // Other senders are not held up.
    await (await bobClient.transfer(await alice.getAddress(), 1n)).wait();
    await (await ownerClient.burn(0n)).wait();

    // After the window alice submits again, with the nonce the limited attempt left unused.
    clock += 10_000;
    const again = await aliceClient.transfer(await bob.getAddress(), 1n);
    expect(again.nonce).to.equal(before.userNonce);
    await again.wait();
    await until(async () => ((await aliceClient.nonce()) === before.userNonce + 1n ? true : undefined));
  });
});

describe("a lagging node catches up before it refuses (simulation, real enclaves)", function () {
  this.timeout(240_000);
  let deployment: Deployment;
  let x: TestNode;
  let y: TestNode;

  before(async function () {
    deployment = await deployGroup();
    x = await startNode(deployment, 12, undefined, { checkpointInterval: 0 });
    // y applies the log only when asked (a node that lags behind the chain).
    y = await startNode(deployment, 13, undefined, { pollIntervalMs: 3_600_000, syncOnNewBlocks: false, checkpointInterval: 0 });
  });
  after(async function () {
    for (const n of [x, y]) {
      if (n === undefined) continue;
      await n.node.stop();
      fs.rmSync(n.dataDir, { recursive: true, force: true });
    }
  });

  it("funds received through another node can be spent at once through a node that has not applied them yet", async function () {
    const [owner, alice] = (await ethers.getSigners()).slice(14, 16);
    const domain = await clientFor(x, owner).domain();
    const applied = async (n: TestNode, id: string) =>
      until(async () => {
        await n.node.catchUp();
        const status = n.node.commandStatus(id);
        return status !== undefined && status.status !== "queued" && status.status !== "posted" ? status : undefined;
      });
    const send = async (n: TestNode, signer: Signer, nonce: number, payload: Parameters<typeof sealCommand>[0]["payload"]) =>
      n.node.submitCommand((await sealCommand({ enclaveHpkeKey: n.node.identity.hpkePublicKey, signer, domain, nonce, payload })).payload);
    expect((await applied(x, (await send(x, owner, 0, { op: "init", name: "Lag", symbol: "LAG", initialSupply: "100" })).id)).status).to.equal("applied");
    const funding = await send(x, owner, 1, { op: "transfer", to: await alice.getAddress(), amount: "40" });
    expect((await applied(x, funding.id)).status).to.equal("applied");
    // y has not applied the funding (nor the init): its dry run would say "not initialized" before catching up.
    expect(y.node.sync.lastApplied).to.be.lessThan(2n);
    const spend = await send(y, alice, 0, { op: "transfer", to: await owner.getAddress(), amount: "25" });
    expect((await applied(y, spend.id)).status).to.equal("applied");
  });

  function clientFor(n: TestNode, signer: Signer): AnonifyClient {
    return new AnonifyClient({ nodeUrl: n.node.url!, signer, group: deployment.group, pollIntervalMs: 50 });
  }
});
