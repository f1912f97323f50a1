/**
 * Rehearsal of docs/testnet.md (issue 15 item 9), with the CLI as an operator runs it: two `npx hardhat node`
 * chains, a plain one (31337, `--network localhost`) and one with chain id 11155111 standing in for Sepolia
 * (`--network sepolia` exactly as hardhat.config.ts configures it, its RPC URL from SEPOLIA_RPC_URL, blocks every
 * 300 ms as on a testnet). Every key comes from the environment (`--key-env`). A deploy interrupted after its first
 * transaction (crash point deploy:send#2) is resumed by the same command; the verify commands are printed;
 * 3 nodes start with the network's settings (confirmations 2); a token command and a read; status; a second start
 * on a running node's data dir is refused; a node restarts.
 *
 * The commands run with `--config scripts/testnet-rehearsal.config.ts`: the project's config, with only the journal
 * and data dirs moved to a temporary directory. Takes about 2 minutes on 2 busy cores (13 cold CLI starts).
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { HDNodeWallet, JsonRpcProvider } from "ethers";
import { ChildHandle, HARDHAT_MNEMONIC, REPO_ROOT, freePort } from "./processes";
import { IntervalMiner } from "./cluster";
import { TOKEN_RUNTIME } from "../../src/runtimes/name";

const CONFIG = path.join("scripts", "testnet-rehearsal.config.ts");
const key = (i: number) => HDNodeWallet.fromPhrase(HARDHAT_MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`);

describe("testnet runbook rehearsal (docs/testnet.md)", function () {
  this.timeout(400_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "anonify-rehearsal-"));
  const children: ChildHandle[] = [];
  let miner: IntervalMiner | undefined;
  let sepoliaUrl = "";
  let localUrl = "";
  const env: Record<string, string> = {
    DEPLOYER_KEY: key(0).privateKey,
    NODE1_KEY: key(1).privateKey,
    NODE2_KEY: key(2).privateKey,
    NODE3_KEY: key(3).privateKey,
    USER_KEY: key(9).privateKey,
  };

  /** `npx hardhat --config <rehearsal config> <args>` in its own process group. */
  function hardhat(label: string, args: string[], extraEnv: Record<string, string> = {}): ChildHandle {
    const cli = require.resolve("hardhat/internal/cli/cli.js", { paths: [REPO_ROOT] });
    const child = spawn(process.execPath, [cli, "--config", CONFIG, ...args], {
      cwd: REPO_ROOT,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1", REHEARSAL_DIR: dir, SEPOLIA_RPC_URL: sepoliaUrl, ...env, ...extraEnv },
    });
    const handle = new ChildHandle(label, child);
    children.push(handle);
    return handle;
  }

  /** Runs a command to its end; returns its output (fails the test on a non-zero exit unless `expectFailure`). */
  async function run(label: string, args: string[], options: { env?: Record<string, string>; expectFailure?: boolean } = {}): Promise<string> {
    const handle = hardhat(label, args, options.env);
    const code = await handle.exited;
    const output = handle.output.join("\n");
    if (options.expectFailure === true) expect(code, `${label} should fail:\n${output}`).to.not.equal(0);
    else expect(code, `${label}:\n${output}`).to.equal(0);
    return output;
  }

  async function startChain(chainId: number): Promise<string> {
    const port = await freePort();
    const handle = hardhat(`chain ${chainId}`, ["node", "--hostname", "127.0.0.1", "--port", String(port)], { REHEARSAL_CHAIN_ID: String(chainId) });
    await handle.waitForLine(/Started HTTP and WebSocket JSON-RPC server/, 120_000);
    return `http://127.0.0.1:${port}`;
  }

  async function startNode(label: string, keyEnv: string): Promise<{ handle: ChildHandle; url: string }> {
    const handle = hardhat(label, ["--network", "sepolia", "anonify:node", "--key-env", keyEnv]);
    const line = await handle.waitForLine(/HTTP API on http:\/\/127\.0\.0\.1:\d+/, 180_000);
    return { handle, url: /(http:\/\/127\.0\.0\.1:\d+)/.exec(line)![1] };
  }

  after(async function () {
    await miner?.stop();
    for (const child of children.reverse()) await child.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("deploys, interrupted and resumed; starts 3 nodes; commands, status, a refused second start, a restart", async function () {
    [localUrl, sepoliaUrl] = await Promise.all([startChain(31337), startChain(11155111)]);
    const sepolia = new JsonRpcProvider(sepoliaUrl, undefined, { cacheTimeout: -1 });
    expect((await sepolia.getNetwork()).chainId).to.equal(11155111n);
    miner = new IntervalMiner(sepolia, 300);
    const operators = [1, 2, 3].map((i) => key(i).address).join(",");
    const deploy = ["--network", "sepolia", "anonify:deploy", "--key-env", "DEPLOYER_KEY", "--operators", operators];

    // Interrupted after its first transaction (as a Ctrl-C or a lost SSH session would), beside a deploy on the
    // plain local chain (no explorer there: no verify commands).
    const localDeploy = hardhat("deploy localhost", ["--network", "localhost", "anonify:deploy"], { REHEARSAL_LOCALHOST: localUrl });
    const interrupted = hardhat("deploy (interrupted)", deploy, { ANONIFY_NODE_CRASH_AT: "deploy:send#2" });
    expect(await interrupted.exited, interrupted.tail()).to.equal(null); // killed (SIGKILL), no exit code
    const journal = path.join(dir, "ignition", "deployments", "anonify-11155111", "journal.jsonl");
    const firstRun = fs.readFileSync(journal, "utf8").split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as { type: string; futureId?: string; result?: { address?: string } });
    const verifierDeployed = firstRun.find((m) => m.type === "DEPLOYMENT_EXECUTION_STATE_COMPLETE" && m.futureId?.endsWith("#IasVerifier"));
    expect(verifierDeployed?.result?.address, "the first future completed before the interruption").to.be.a("string");
    expect(firstRun.some((m) => m.futureId?.endsWith("#AnonifyGroup") && m.type === "DEPLOYMENT_EXECUTION_STATE_COMPLETE")).to.equal(false);

    // The same command resumes the journal: the verifier of the first run is kept.
    const resumed = await run("deploy (resumed)", deploy);
    const record = JSON.parse(fs.readFileSync(path.join(dir, ".anonify", "deployment-11155111.json"), "utf8")) as {
      group: string; verifier: string; deploymentId: string; deployer: string; operators: string[]; admin: string; governor: string;
    };
    expect(record.deploymentId).to.equal("anonify-11155111");
    expect(record.verifier).to.equal(verifierDeployed!.result!.address);
    expect(record.deployer).to.equal(key(0).address);
    expect(resumed).to.include("deployment id anonify-11155111");
    // The exact verify commands, with the constructor arguments as deployed.
    const argsFile = path.join(dir, ".anonify", "verify-args-11155111-AnonifyGroup.js");
    expect(resumed).to.include(`npx hardhat verify --network sepolia --constructor-args ${argsFile} ${record.group}`);
    expect(resumed).to.match(new RegExp(`npx hardhat verify --network sepolia ${record.verifier} 0x[0-9a-f]+ ${record.deployer} 172800`));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    expect(require(argsFile)).to.deep.equal([record.verifier, record.admin, 172800, record.governor, record.operators, 0, TOKEN_RUNTIME]);
    expect(record.operators).to.deep.equal(operators.split(","));

    expect(await localDeploy.exited, localDeploy.tail()).to.equal(0);
    expect(localDeploy.output.join("\n")).to.include("deployment id anonify-31337").and.not.include("npx hardhat verify");

    // Nodes: the first creates the group, then two join (confirmations 2 from networks.sepolia.anonify).
    const node1 = await startNode("node 1", "NODE1_KEY");
    const [node2, node3] = await Promise.all([startNode("node 2", "NODE2_KEY"), startNode("node 3", "NODE3_KEY")]);
    expect(node2.handle.output.join("\n")).to.match(/waiting for join tx 0x[0-9a-f]{64} to be 2 blocks deep/);

    // A token command through node 1, read through node 2 (the user's key from the environment).
    await run("init-token", ["--network", "sepolia", "anonify:init-token", "--node", node1.url, "--key-env", "USER_KEY", "--name", "Rehearsal", "--symbol", "RHR", "--supply", "100"]);
    const balance = await run("balance", ["--network", "sepolia", "anonify:balance", "--node", node2.url, "--key-env", "USER_KEY"]);
    expect(balance).to.match(/100/);

    // Status of node 3 by its data dir; a second start on node 1's data dir is refused.
    const node3Dir = path.join(dir, ".anonify", `node-${key(3).address}`);
    const node1Dir = path.join(dir, ".anonify", `node-${key(1).address}`);
    const [status, second] = await Promise.all([
      run("status", ["--network", "sepolia", "anonify:status", "--node", node3Dir]),
      run("second start", ["--network", "sepolia", "anonify:node", "--key-env", "NODE1_KEY"], { expectFailure: true }),
    ]);
    expect(status).to.match(/ok/);
    expect(second).to.include("data_dir_locked").and.include(node1Dir);
    expect(node1.handle.running).to.equal(true);

    // Node 2 restarts on its data dir: a member already, it resumes from the sealed state and the log.
    await node2.handle.stop();
    const again = await startNode("node 2 (restarted)", "NODE2_KEY");
    expect(again.handle.output.join("\n")).to.include("member of group");
    const after = await run("balance after restart", ["--network", "sepolia", "anonify:balance", "--node", again.url, "--key-env", "USER_KEY"]);
    expect(after).to.match(/100/);
    expect(node3.handle.running).to.equal(true);
  });
});
