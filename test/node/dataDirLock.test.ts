import { expect } from "chai";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import hre, { ethers } from "hardhat";
import { AnonifyNode, MemoryLogger, NodeError, groupContract } from "../../src/node";
import { deployGroup, startNode, tempDir, type Deployment, type TestNode } from "./helpers";
import { expectPluginError } from "../helpers/tasks";

// Literal file names (not the module's constants): these tests ran against the code before the lock existed.
const LOCK = "node.lock";
const URL_FILE = "node.url";

/** A PID that is certainly not running: a child process that has exited (and was reaped). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  const pid = Number(child.stdout);
  expect(pid).to.be.greaterThan(0);
  return pid;
}

function readLock(dataDir: string): { pid: number; hostname: string; startedAt: string } {
  return JSON.parse(fs.readFileSync(path.join(dataDir, LOCK), "utf8")) as { pid: number; hostname: string; startedAt: string };
}

/** Writes a deployment record of the in-process chain into `dataDir` (what anonify:deploy leaves there). */
async function writeRecord(dataDir: string, deployment: Deployment): Promise<void> {
  const { chainId } = await ethers.provider.getNetwork();
  const record = { chainId: chainId.toString(), network: "hardhat", group: deployment.group, verifier: deployment.verifier, deploymentBlock: 0 };
  fs.writeFileSync(path.join(dataDir, `deployment-${chainId}.json`), JSON.stringify(record));
}

describe("One node per data dir (<dataDir>/node.lock)", function () {
  this.timeout(180_000);
  let deployment: Deployment;
  const running: TestNode[] = [];
  const dirs: string[] = [];

  before(async function () {
    deployment = await deployGroup();
  });

  after(async function () {
    for (const n of running) await n.node.stop();
    for (const dir of [...dirs, ...running.map((n) => n.dataDir)]) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a second start on a running node's data dir, naming the holder's PID; the first keeps its node.url and serves", async function () {
    const a = await startNode(deployment, 12, undefined, { http: { port: 0 } });
    running.push(a);
    const urlFile = path.join(a.dataDir, URL_FILE);
    const url = fs.readFileSync(urlFile, "utf8").trim();
    const group = groupContract(deployment.group, ethers.provider);
    const epochBefore = (await group.currentEpoch()) as bigint;

    const logger = new MemoryLogger();
    const second = new AnonifyNode({ ...a.node.options, logger });
    const error = await second.start().catch((e: unknown) => e);
    expect(error).to.be.instanceOf(NodeError).and.include({ code: "data_dir_locked" });
    const message = (error as Error).message;
    expect(message).to.include(`PID ${process.pid}`).and.include(a.dataDir).and.include(`--node ${a.dataDir}`);
    // The refused instance started no enclave, posted nothing, and its stop leaves the running node's files alone.
    await second.stop();
    expect(fs.readFileSync(urlFile, "utf8").trim()).to.equal(url);
    expect(readLock(a.dataDir)).to.include({ pid: process.pid, hostname: os.hostname() });
    expect((await group.currentEpoch()) as bigint).to.equal(epochBefore);

    // The first node still serves, and its operator endpoint commits (it is not wedged by a second leaf copy).
    const health = (await (await fetch(`${url}/health`)).json()) as { joined: boolean };
    expect(health.joined).to.equal(true);
    const log = console.log;
    console.log = () => undefined; // the task's progress line
    const rotated = (await hre.run("anonify:rotate", { node: a.dataDir }).finally(() => (console.log = log))) as { epoch: string };
    expect(BigInt(rotated.epoch)).to.equal(epochBefore);
    expect((await group.currentEpoch()) as bigint).to.equal(epochBefore + 1n);
  });

  it("an operator task on a data dir whose running node serves no admin API is refused instead of starting a second instance", async function () {
    const b = await startNode(deployment, 13, undefined, { http: false });
    running.push(b);
    await writeRecord(b.dataDir, deployment);
    expect(fs.existsSync(path.join(b.dataDir, URL_FILE))).to.equal(false);
    const group = groupContract(deployment.group, ethers.provider);
    const epochBefore = (await group.currentEpoch()) as bigint;
    const error = await hre.run("anonify:rotate", { node: b.dataDir, account: 13 }).catch((e: unknown) => e);
    expectPluginError(error, "data_dir_locked", NodeError);
    expect((error as Error).message).to.include(`PID ${process.pid}`).and.include("serves no admin API").and.include("--node <url>");
    expect((await group.currentEpoch()) as bigint).to.equal(epochBefore);
    await b.node.catchUp(); // still a member, applying the log
    expect(b.node.sync.isMember).to.equal(true);
  });

  it("takes over a stale lock (its PID has exited), saying so, and drops the stale node.url", async function () {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const pid = deadPid();
    const stale = { pid, hostname: os.hostname(), startedAt: "2024-01-01T00:00:00.000Z", token: "00" };
    fs.writeFileSync(path.join(dataDir, LOCK), JSON.stringify(stale));
    fs.writeFileSync(path.join(dataDir, URL_FILE), "http://127.0.0.1:9\n");
    const c = await startNode(deployment, 14, dataDir, { http: false });
    running.push(c);
    expect(c.logger.lines.some((l) => l.includes("removed a stale lock") && l.includes(`PID ${pid}`) && l.includes("no longer running"))).to.equal(true);
    expect(readLock(dataDir)).to.include({ pid: process.pid });
    expect(fs.existsSync(path.join(dataDir, URL_FILE))).to.equal(false);
  });

  it("after a clean stop the lock and node.url are gone, and a restart on the data dir works", async function () {
    const a = running.shift()!;
    expect(fs.existsSync(path.join(a.dataDir, LOCK))).to.equal(true);
    await a.node.stop();
    expect(fs.existsSync(path.join(a.dataDir, LOCK))).to.equal(false);
    expect(fs.existsSync(path.join(a.dataDir, URL_FILE))).to.equal(false);
    const restarted = await startNode(deployment, 12, a.dataDir, { http: { port: 0 } });
    running.push(restarted);
    expect(restarted.node.address).to.equal(a.node.address);
    expect(readLock(a.dataDir).pid).to.equal(process.pid);
    expect(fs.readFileSync(path.join(a.dataDir, URL_FILE), "utf8").trim()).to.equal(restarted.node.url);
  });

  it("a start that fails its pre-flight releases the lock (the next start is not refused)", async function () {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const signers = await ethers.getSigners();
    const refused = await startNode(deployment, 15, dataDir, { group: await signers[3].getAddress() }).catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(NodeError).and.include({ code: "invalid_options" });
    expect(fs.existsSync(path.join(dataDir, LOCK))).to.equal(false);
    const d = await startNode(deployment, 15, dataDir, { http: false });
    running.push(d);
    expect(readLock(dataDir).pid).to.equal(process.pid);
  });
});

describe("DataDirLock (unit)", function () {
  const dirs: string[] = [];
  const lockModule = () => import("../../src/node/dataDirLock");
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  function dir(): string {
    const d = tempDir("anonify-lock-");
    dirs.push(d);
    return d;
  }

  it("refuses a lock of another host, naming it and the file to delete when that node is gone", async function () {
    const { DataDirLock } = await lockModule();
    const d = dir();
    fs.writeFileSync(path.join(d, LOCK), JSON.stringify({ pid: 1, hostname: "other-host", startedAt: "2024-01-01T00:00:00Z", token: "ab" }));
    const error = (() => {
      try {
        DataDirLock.acquire(d, new MemoryLogger());
      } catch (e) {
        return e;
      }
    })();
    expect(error).to.be.instanceOf(NodeError).and.include({ code: "data_dir_locked" });
    expect((error as Error).message).to.include("other-host").and.include(path.join(d, LOCK));
  });

  it("takes over an old lock file that names no holder, and refuses a fresh one (being written)", async function () {
    const { DataDirLock } = await lockModule();
    const d = dir();
    const file = path.join(d, LOCK);
    fs.writeFileSync(file, "");
    expect(() => DataDirLock.acquire(d, new MemoryLogger())).to.throw(NodeError, /being locked by another node starting/);
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(file, old, old);
    const logger = new MemoryLogger();
    const lock = DataDirLock.acquire(d, logger);
    expect(logger.lines.some((l) => l.includes("removed a stale lock") && l.includes("names no holder"))).to.equal(true);
    lock.release();
    expect(fs.existsSync(file)).to.equal(false);
  });

  it("release removes only its own lock", async function () {
    const { DataDirLock } = await lockModule();
    const d = dir();
    const file = path.join(d, LOCK);
    const lock = DataDirLock.acquire(d, new MemoryLogger());
    expect(lock.owned()).to.equal(true);
    // Someone removed it and another holder took the directory: ours is gone, theirs must stay.
    fs.rmSync(file);
    fs.writeFileSync(file, JSON.stringify({ pid: process.pid, hostname: os.hostname(), startedAt: new Date().toISOString(), token: "other" }));
    expect(lock.owned()).to.equal(false);
    lock.release();
    expect(fs.existsSync(file)).to.equal(true);
  });
});
