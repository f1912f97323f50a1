import { expect } from "chai";
import fs from "node:fs";
import hre, { ethers } from "hardhat";
import type { Provider, Signer } from "ethers";
import { classifyHealth, ProgressTracker, resolveHealthOptions, SyncErrorTracker, type HealthInputs } from "../../src/node/health";
import { NodeError } from "../../src/node";
import { CommandDriver, deployGroup, startNode, tempDir, until, type Deployment, type TestNode } from "./helpers";
import { groupDomain } from "../../src/client/wire";

/** GET /health: the HTTP status and the report. */
async function getHealth(url: string): Promise<{ status: number; json: any }> {
  const response = await fetch(`${url}/health`);
  return { status: response.status, json: await response.json() };
}

/**
 * The node's RPC as a switchable fault: `down` = every call fails as a refused connection does (a stopped RPC),
 * `logsError` = eth_getLogs answers an error (an RPC that pruned its log history, or caps what it serves): each sync
 * step fails on it again. Reads go to the in-process chain otherwise.
 */
class FaultyRpc {
  down = false;
  logsError: string | undefined;
  readonly provider: Provider;
  constructor(real: Provider) {
    this.provider = new Proxy(real, {
      get: (target, property) => {
        const value: unknown = Reflect.get(target, property, target);
        if (typeof value !== "function") return value;
        const fn = (value as (...a: unknown[]) => unknown).bind(target);
        if (property === "on" || property === "off" || property === "removeAllListeners") return fn;
        return (...args: unknown[]) => {
          if (this.down) {
            return Promise.reject(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:8545"), { code: "ECONNREFUSED" }));
          }
          if (property === "getLogs" && this.logsError !== undefined) return Promise.reject(new Error(this.logsError));
          return fn(...args);
        };
      },
    });
  }
  /** `signer` with its provider replaced by this one (the node reads through `signer.provider`; sends go on as before). */
  signer(signer: Signer): Signer {
    const provider = this.provider;
    return new Proxy(signer, {
      get(target, property) {
        if (property === "provider") return provider;
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }
}

describe("node health: status, serving / wedged / stalled, RPC state", function () {
  describe("classification (pure)", function () {
    const options = { wedgedAfterSteps: 3, stalledAfterMs: 1_000 };
    const base: HealthInputs = {
      started: true,
      enclaveAlive: true,
      member: true,
      applied: 5n,
      chainCounter: 5n,
      behindSince: undefined,
      syncError: undefined,
      rpc: "ok",
      now: 100_000,
      options,
    };

    it("a started member in step with the chain is ok", function () {
      expect(classifyHealth(base)).to.deep.equal({ status: "ok", serving: true, wedged: false, stalled: false, reasons: [] });
    });

    it("not started, enclave dead or not a member: down, not serving", function () {
      for (const change of [{ started: false }, { enclaveAlive: false }, { member: false }]) {
        const v = classifyHealth({ ...base, ...change });
        expect(v, JSON.stringify(change)).to.include({ status: "down", serving: false });
        expect(v.reasons).to.have.length(1);
      }
    });

    it("the same sync error N steps in a row is wedged (down); fewer, or an RPC outage, is not", function () {
      const error = { message: "boom", count: 3, since: 90_000, rpc: false };
      expect(classifyHealth({ ...base, syncError: error })).to.include({ status: "down", serving: true, wedged: true });
      expect(classifyHealth({ ...base, syncError: { ...error, count: 2 } })).to.include({ status: "ok", wedged: false });
      expect(classifyHealth({ ...base, syncError: { ...error, rpc: true } })).to.include({ wedged: false });
    });

    it("behind at the same counter for longer than the bound is stalled (degraded); within it, or caught up, is not", function () {
      const behind = { ...base, chainCounter: 7n };
      expect(classifyHealth({ ...behind, behindSince: 98_999 })).to.include({ status: "degraded", stalled: true });
      expect(classifyHealth({ ...behind, behindSince: 99_500 })).to.include({ status: "ok", stalled: false });
      expect(classifyHealth({ ...base, behindSince: 0 })).to.include({ status: "ok", stalled: false });
    });

    it("an unreachable RPC is degraded", function () {
      const v = classifyHealth({ ...base, rpc: "unreachable" });
      expect(v).to.include({ status: "degraded", serving: true });
      expect(v.reasons).to.deep.equal(["chain RPC unreachable"]);
    });

    it("the error tracker counts repeats of one message and says when to log; success clears it", function () {
      const t = new SyncErrorTracker();
      expect(t.failed(new Error("a"), 1)).to.equal(true);
      expect(t.failed(new Error("a"), 2)).to.equal(false);
      expect(t.last).to.deep.equal({ message: "a", count: 2, since: 1, rpc: false });
      expect(t.failed(new NodeError("chain_unreachable", "b", 503), 3)).to.equal(true);
      expect(t.last).to.deep.include({ count: 1, since: 3, rpc: true });
      t.succeeded();
      expect(t.last).to.equal(undefined);
    });

    it("the stall clock starts when a lag is first seen and restarts when the counter moves", function () {
      const p = new ProgressTracker();
      expect(p.observe(5n, 5n, 10)).to.equal(undefined); // caught up
      expect(p.observe(5n, 6n, 20)).to.equal(20);
      expect(p.observe(5n, 8n, 30)).to.equal(20);
      expect(p.observe(6n, 8n, 40)).to.equal(40); // moved: a new clock
      expect(p.observe(8n, 8n, 50)).to.equal(undefined);
    });

    it("the stall bound defaults to max(30 s, 10 poll intervals); bad options are refused", function () {
      expect(resolveHealthOptions(undefined, 500)).to.deep.equal({ wedgedAfterSteps: 5, stalledAfterMs: 30_000 });
      expect(resolveHealthOptions(undefined, 10_000).stalledAfterMs).to.equal(100_000);
      expect(() => resolveHealthOptions({ wedgedAfterSteps: 0 }, 500)).to.throw(/wedgedAfterSteps/);
      expect(() => resolveHealthOptions({ stalledAfterMs: -1 }, 500)).to.throw(/stalledAfterMs/);
    });
  });

  describe("real nodes (simulation, in-process network)", function () {
    this.timeout(120_000);
    let deployment: Deployment;
    const nodes: TestNode[] = [];
    before(async function () {
      deployment = await deployGroup();
    });
    after(async function () {
      for (const n of nodes) {
        await n.node.stop().catch(() => undefined);
        fs.rmSync(n.dataDir, { recursive: true, force: true });
      }
    });
    async function start(account: number, extra: Parameters<typeof startNode>[3] = {}): Promise<TestNode> {
      const n = await startNode(deployment, account, tempDir(), extra);
      nodes.push(n);
      return n;
    }

    it("a healthy node answers 200 with status ok, serving, counters, lags, epoch and RPC state", async function () {
      const n = await start(9);
      await n.node.catchUp();
      const { status, json } = await getHealth(n.node.url!);
      expect(status, JSON.stringify(json)).to.equal(200);
      expect(json).to.deep.include({ status: "ok", serving: true, wedged: false, stalled: false, reasons: [], joined: true, stateCounter: "0", chainStateCounter: "0", lag: "0", chain: "ok" });
      expect(json.rpc).to.deep.equal({ state: "ok" });
      expect(json.epoch).to.be.a("string");
      const head = await ethers.provider.getBlockNumber();
      expect(Number(json.headBlock)).to.be.within(head - 1, head);
      expect(Number(json.lastReadBlock)).to.be.at.most(Number(json.headBlock));
      expect(json.blockLag).to.equal(String(Number(json.headBlock) - Number(json.lastReadBlock)));
      expect(json).to.not.have.property("syncError");
    });

    it("a node whose RPC is unreachable answers 503, degraded, rpc unreachable with the failure; 200 again after", async function () {
      const faulty = new FaultyRpc(ethers.provider);
      const signer = faulty.signer((await ethers.getSigners())[10]);
      const n = await start(10, { signer, syncOnNewBlocks: false, rpc: { callTimeoutMs: 500, backoffMs: 20, maxBackoffMs: 100, retryCapMs: 400 } });
      expect((await getHealth(n.node.url!)).status).to.equal(200);
      faulty.down = true;
      const down = await until(async () => {
        const h = await getHealth(n.node.url!);
        return h.json.rpc?.state === "unreachable" ? h : undefined;
      });
      expect(down.status, JSON.stringify(down.json)).to.equal(503);
      expect(down.json).to.deep.include({ status: "degraded", serving: true, wedged: false, chain: "unreachable" });
      expect(down.json.rpc.lastError).to.equal("connection refused");
      expect(down.json.rpc.since).to.be.a("string");
      expect(down.json.reasons).to.include("chain RPC unreachable");
      // Failed sync steps of an outage (chain_unreachable) do not make the node wedged.
      await until(async () => ((n.node as any).syncErrors.last?.count >= 3 ? true : undefined));
      expect((await getHealth(n.node.url!)).json.wedged).to.equal(false);
      faulty.down = false;
      const up = await until(async () => {
        const h = await getHealth(n.node.url!);
        return h.status === 200 ? h : undefined;
      });
      expect(up.json).to.deep.include({ status: "ok", chain: "ok" });
    });

    it("a node whose sync fails on the same error step after step is wedged: 503, down, with the error and its count", async function () {
      const faulty = new FaultyRpc(ethers.provider);
      const signer = faulty.signer((await ethers.getSigners())[11]);
      const n = await start(11, { signer, syncOnNewBlocks: false, health: { wedgedAfterSteps: 3 } });
      faulty.logsError = "eth_getLogs: history before block 1 has been pruned by this RPC";
      await hre.network.provider.send("evm_mine"); // a block to read: every step asks for its logs and fails
      const wedged = await until(async () => {
        const h = await getHealth(n.node.url!);
        return h.json.wedged === true ? h : undefined;
      });
      expect(wedged.status).to.equal(503);
      expect(wedged.json).to.deep.include({ status: "down", serving: true, wedged: true, chain: "ok" });
      expect(wedged.json.syncError.message).to.include("pruned");
      expect(wedged.json.syncError.count).to.be.at.least(3);
      expect(wedged.json.reasons[0]).to.match(/^sync wedged: \d+ steps failed/);
      // Logged once, not once per step.
      expect(n.logger.lines.filter((l) => l.includes("pruned"))).to.have.length(1);
      faulty.logsError = undefined;
      const ok = await until(async () => {
        const h = await getHealth(n.node.url!);
        return h.status === 200 ? h : undefined;
      });
      expect(ok.json).to.deep.include({ status: "ok", wedged: false });
      expect(ok.json).to.not.have.property("syncError");
    });

    it("a node behind the chain whose counter does not move is stalled after the bound: 503, degraded; ok once caught up", async function () {
      // Syncs only when told (no block events, a poll interval of an hour): the chain moves on without it.
      const lagging = await start(12, { syncOnNewBlocks: false, pollIntervalMs: 3_600_000, health: { stalledAfterMs: 1_500 } });
      const writer = await start(13);
      const domain = groupDomain((await ethers.provider.getNetwork()).chainId, deployment.group);
      const owner = (await ethers.getSigners())[14];
      await new CommandDriver(domain).command(writer, owner, { op: "init", name: "Health", symbol: "HLT", initialSupply: "100" });
      const first = await getHealth(lagging.node.url!);
      expect(first.json).to.deep.include({ stateCounter: "0", chainStateCounter: "1", lag: "1", stalled: false, status: "ok" });
      expect(first.json.behindSince).to.be.a("string");
      expect(Number(first.json.blockLag)).to.be.greaterThan(0);
      const stalled = await until(async () => {
        const h = await getHealth(lagging.node.url!);
        return h.json.stalled === true ? h : undefined;
      });
      expect(stalled.status).to.equal(503);
      expect(stalled.json).to.deep.include({ status: "degraded", serving: true, wedged: false, stalled: true, lag: "1" });
      expect(stalled.json.reasons[0]).to.match(/^stalled: 1 entries behind/);
      await lagging.node.catchUp();
      const caughtUp = await getHealth(lagging.node.url!);
      expect(caughtUp.status).to.equal(200);
      expect(caughtUp.json).to.deep.include({ status: "ok", stalled: false, stateCounter: "1", lag: "0", blockLag: "0" });
      expect(caughtUp.json).to.not.have.property("behindSince");
    });
  });
});
