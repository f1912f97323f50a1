/**
 * `npm run bench:cli`: how long a user waits for a token task on the command line (issue 15's figure: a cold
 * `npx hardhat anonify:balance` against a running node, aim < 4 s on this machine).
 *
 * A chain (`hardhat node`), the project's contracts and one TEE node process are started as the e2e tests start
 * them (test/e2e/cluster.ts). Then every command is a fresh `node hardhat` process, as a user's shell runs it, in
 * two setups:
 *   - a user's project: a folder whose `node_modules/hardhat-anonify` is this package (its compiled `dist/`, built
 *     first with `npm run build`) and whose other packages are this repository's, with a `hardhat.config.js`;
 *   - this repository's checkout, whose config loads the plugin's TypeScript sources through ts-node.
 * For each: Hardhat alone (`--version`), the plugin loaded (`anonify:balance --help`) and the whole task (connect,
 * check the enclave's attestation and checkpoints, one sealed read). Times are wall clock, median of the runs;
 * CPU = user + system time of the process tree when /usr/bin/time is there. Not part of `npm run bench`: its
 * table goes to bench/out/cli.md and docs/benchmarks.md.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Cluster } from "../test/e2e/cluster";
import { HARDHAT_MNEMONIC } from "../test/e2e/processes";
import { BENCH_DIR, isQuick, markdownTable, ms, OUT_DIR, progress, quantile, textTable, verdict, writeSection, type Table } from "./shared";

const NAME = "cli";
const REPO_ROOT = path.resolve(BENCH_DIR, "..");
const TARGET_MS = 4_000;
const USER_ACCOUNT = 2;

interface Timing {
  wallMs: number;
  cpuMs: number | undefined;
}

const TIME_BINARY = fs.existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;

/** Runs `hardhat <args>` in `cwd` as a fresh process; throws with its output when it fails. */
function hardhat(cwd: string, args: string[]): Timing & { stdout: string } {
  const cli = require.resolve("hardhat/internal/cli/cli.js", { paths: [REPO_ROOT] });
  const env = { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1" };
  const command = TIME_BINARY ? [TIME_BINARY, "-f", "BENCH_CPU %U %S", process.execPath, cli, ...args] : [process.execPath, cli, ...args];
  const started = performance.now();
  const r = spawnSync(command[0], command.slice(1), { cwd, env, encoding: "utf8", timeout: 180_000 });
  const wallMs = performance.now() - started;
  if (r.status !== 0) throw new Error(`hardhat ${args.join(" ")} (in ${cwd}) failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  const cpu = /BENCH_CPU ([0-9.]+) ([0-9.]+)/.exec(r.stderr);
  return { wallMs, cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : undefined, stdout: r.stdout };
}

/** A user's project with this package installed: node_modules links to this repository's packages. */
function userProject(rpcUrl: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "anonify-bench-cli-"));
  const modules = path.join(dir, "node_modules");
  fs.mkdirSync(modules);
  for (const entry of fs.readdirSync(path.join(REPO_ROOT, "node_modules"))) {
    if (entry === "hardhat-anonify") continue;
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules", entry), path.join(modules, entry));
  }
  fs.symlinkSync(REPO_ROOT, path.join(modules, "hardhat-anonify"));
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "bench-cli-user", version: "1.0.0", private: true }));
  fs.writeFileSync(
    path.join(dir, "hardhat.config.js"),
    [
      'require("@nomicfoundation/hardhat-toolbox");',
      'require("hardhat-anonify");',
      "module.exports = {",
      '  solidity: "0.8.30",',
      `  networks: { bench: { url: ${JSON.stringify(rpcUrl)}, accounts: { mnemonic: ${JSON.stringify(HARDHAT_MNEMONIC)} } } },`,
      '  anonify: { mode: "simulation" },',
      "};",
      "",
    ].join("\n"),
  );
  return dir;
}

/** This checkout's config with the bench network added (paths.root stays the repository). */
function repositoryConfig(rpcUrl: string): string {
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const file = path.join(OUT_DIR, "cli.hardhat.config.ts");
  fs.writeFileSync(
    file,
    [
      'import base from "../../hardhat.config";',
      "export default {",
      "  ...base,",
      `  paths: { ...base.paths, root: ${JSON.stringify(REPO_ROOT)} },`,
      `  networks: { ...base.networks, bench: { url: ${JSON.stringify(rpcUrl)}, accounts: { mnemonic: ${JSON.stringify(HARDHAT_MNEMONIC)} } } },`,
      "};",
      "",
    ].join("\n"),
  );
  return file;
}

function summarize(label: string, command: string, timings: Timing[]): string[] {
  const walls = timings.map((t) => t.wallMs);
  const cpus = timings.map((t) => t.cpuMs).filter((c): c is number => c !== undefined);
  return [label, command, ms(quantile(walls, 0.5)), `${ms(Math.min(...walls))}–${ms(Math.max(...walls))}`, cpus.length > 0 ? ms(quantile(cpus, 0.5)) : "–"];
}

export async function main(): Promise<void> {
  const quick = isQuick();
  const runs = quick ? 2 : 5;
  progress(NAME, "building the package (npm run build: dist/ and the prebuilt artifacts a user's project loads)");
  const build = spawnSync("npm", ["run", "build"], { cwd: REPO_ROOT, encoding: "utf8", env: { ...process.env, FORCE_COLOR: "0" } });
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);

  progress(NAME, "starting a chain, deploying the group and one TEE node");
  const cluster = await Cluster.start();
  try {
    const node = await cluster.startNode("cli", 1);
    const user = userProject(cluster.rpcUrl);
    const repoConfig = repositoryConfig(cluster.rpcUrl);
    const target = ["--network", "bench", "--node", node.url, "--group", cluster.groupAddress, "--account", String(USER_ACCOUNT)];

    progress(NAME, "anonify:init-token from the user's project (also checks that the installed plugin works)");
    hardhat(user, ["anonify:init-token", "--name", "Bench", "--symbol", "BNC", "--supply", "1000", ...target]);
    const check = hardhat(user, ["anonify:balance", ...target]);
    if (!check.stdout.includes("1000")) throw new Error(`anonify:balance did not print the balance 1000:\n${check.stdout}`);

    const setups: Array<{ label: string; cwd: string; prefix: string[] }> = [
      { label: "user's project (compiled dist/)", cwd: user, prefix: [] },
      { label: "repository checkout (ts-node)", cwd: REPO_ROOT, prefix: ["--config", repoConfig] },
    ];
    const commands: Array<{ name: string; args: string[] }> = [
      { name: "hardhat --version", args: ["--version"] },
      { name: "anonify:balance --help", args: ["anonify:balance", "--help"] },
      { name: "anonify:balance (whole task)", args: ["anonify:balance", ...target] },
    ];
    const rows: string[][] = [];
    let compiledBalance = NaN;
    for (const setup of setups) {
      for (const command of commands) {
        progress(NAME, `${setup.label}: ${command.name}, ${runs} runs`);
        const timings = Array.from({ length: runs }, () => hardhat(setup.cwd, [...setup.prefix, ...command.args]));
        rows.push(summarize(setup.label, command.name, timings));
        if (setup.cwd === user && command.args.length > 2) compiledBalance = quantile(timings.map((t) => t.wallMs), 0.5);
      }
    }
    const table: Table = { header: ["Setup", "Command", "Wall ms (median)", "Wall ms (min–max)", "CPU ms (median)"], rows, align: ["left", "left"] };
    const target4s = `cold anonify:balance from a user's project < ${TARGET_MS.toLocaleString("en-US")} ms: ${ms(compiledBalance)} ms, ${verdict(compiledBalance < TARGET_MS)}`;
    console.log(`\n${textTable(table)}\n\n${target4s}`);
    const load = os.loadavg().map((l) => l.toFixed(2)).join(", ");
    writeSection(
      NAME,
      [
        "## Command-line latency",
        "",
        `Each command is a fresh process against a running node (${runs} runs; load average at the end ${load}).`,
        "",
        markdownTable(table),
        "",
        `Target: ${target4s}.`,
      ].join("\n"),
    );
    fs.rmSync(user, { recursive: true, force: true });
  } finally {
    await cluster.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
