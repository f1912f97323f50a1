/**
 * TreeKEM scaling (issue 7): time to create and to process a self-update commit with a path, and its size, at 2^4 ..
 * 2^14 members on two tree shapes (full: every parent holds a key; fresh: just built by adding members, every parent
 * blank), for our C++ MLS (enclave/bench/bench_treekem.cpp) and, on the same tree shapes, ts-mls 1.6.4 up to 1,024
 * members. Prints progress and tables, writes bench/treekem.png and bench/out/treekem.md (its RESULTS.md section).
 *
 * Run with `npm run bench:treekem`; quick mode (`BENCH_QUICK=1` or `--quick`): 2^4 .. 2^10 (ts-mls to 2^8), fewer
 * repetitions. See docs/benchmarks.md, "TreeKEM scaling".
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import * as mls from "ts-mls";
import { figureSvg, svgToPng, type Series } from "./lib/logPlot";
import { OUT_DIR, isQuick, progress as sharedProgress, runUnlessOrchestrated } from "./shared";

const NAME = "treekem";
const ROOT = path.resolve(__dirname, "..");
const ENCLAVE_DIR = path.join(ROOT, "enclave");
const BUILD_DIR = path.join(ENCLAVE_DIR, "build");
const TREES_DIR = path.join(OUT_DIR, "treekem-trees");
const SHAPES = ["full", "fresh"] as const;
type Shape = (typeof SHAPES)[number];
type Impl = "anonify" | "ts-mls";

const TARGET_CREATE_MS = 5;
const TARGET_PROCESS_MS = 2;
const TARGET_SPEEDUP = 10;
const TARGET_LOG = 14;

interface Result {
  impl: Impl;
  shape: Shape;
  members: number;
  /** CPU time per repetition (ms): thread CPU time for C++, process CPU time for Node. */
  createCpu: number[];
  processCpu: number[];
  createWall: number[];
  processWall: number[];
  commitBytes: number;
  /** The handshake-log entry (commit + GroupInfo) we post; ts-mls: commit + its GroupInfo. */
  entryBytes: number;
}

const progress = (text: string) => sharedProgress(NAME, text);

/** The committed plot comes from a full run; a quick run's goes beside its RESULTS.quick.md in bench/out. */
function pngPath(): string {
  return isQuick() ? path.join(OUT_DIR, "treekem.png") : path.join(__dirname, "treekem.png");
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function ms(value: number): string {
  if (value >= 100) return Math.round(value).toLocaleString("en-US");
  return value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

/** "median (min–max)" of CPU times. */
function spread(values: readonly number[]): string {
  return `${ms(median(values))} (${ms(Math.min(...values))}–${ms(Math.max(...values))})`;
}

function bytes(n: number): string {
  return n.toLocaleString("en-US");
}

function markdownTable(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(" | ")} |`,
    `| ${header.map((_, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}

function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} exited with ${result.status}`);
  return result.stdout;
}

/** Builds bench_treekem in the release build directory (same flags as `npm run enclave:build`). */
function buildBenchmark(): string {
  progress("building enclave/build/bench_treekem (release)");
  run("cmake", ["-S", ENCLAVE_DIR, "-B", BUILD_DIR, "-DCMAKE_BUILD_TYPE=Release"]);
  run("cmake", ["--build", BUILD_DIR, "--parallel", process.env.ANONIFY_JOBS ?? "2", "--target", "bench_treekem"]);
  return path.join(BUILD_DIR, "bench_treekem");
}

interface CppLine {
  shape: Shape;
  members: number;
  create_ms: number[];
  create_cpu_ms: number[];
  process_ms: number[];
  process_cpu_ms: number[];
  commit_bytes: number;
  entry_bytes: number;
}

function runCpp(binary: string, logSizes: number[], tsMaxLog: number, quick: boolean): Result[] {
  fs.rmSync(TREES_DIR, { recursive: true, force: true });
  fs.mkdirSync(TREES_DIR, { recursive: true });
  progress(`C++: ${logSizes.map((k) => `2^${k}`).join(", ")} members, full and fresh trees (progress on stderr)`);
  const reps = quick ? ["--min-reps", "3", "--max-reps", "10", "--budget-ms", "300"] : ["--min-reps", "5", "--max-reps", "30", "--budget-ms", "2000"];
  const stdout = run(binary, [
    "--log-sizes",
    logSizes.join(","),
    ...reps,
    "--export",
    TREES_DIR,
    "--export-max-log",
    String(tsMaxLog),
  ]);
  return stdout
    .split("\n")
    .filter((line) => line.trim().length > 0)
    .map((line) => JSON.parse(line) as CppLine)
    .map((l) => ({
      impl: "anonify" as const,
      shape: l.shape,
      members: l.members,
      createCpu: l.create_cpu_ms,
      processCpu: l.process_cpu_ms,
      createWall: l.create_ms,
      processWall: l.process_ms,
      commitBytes: l.commit_bytes,
      entryBytes: l.entry_bytes,
    }));
}

function credential(name: string): mls.Credential {
  return { credentialType: "basic", identity: new TextEncoder().encode(name) };
}

/** Wall and process CPU time (ms) of one call. */
async function timed<T>(f: () => Promise<T>): Promise<{ value: T; wall: number; cpu: number }> {
  const cpu = process.cpuUsage();
  const wall = performance.now();
  const value = await f();
  const used = process.cpuUsage(cpu);
  return { value, wall: performance.now() - wall, cpu: (used.user + used.system) / 1000 };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

/**
 * ts-mls on the tree C++ exported for `shape` (leaves 0 and n-2 blank): member A joins by external commit (leaf 0),
 * adds B by Welcome (leaf n-2); in the full shape B then commits once so its direct path holds keys again (no
 * unmerged leaves), as in the C++ tree. Then A commits self-updates and B processes them.
 */
async function runTsMls(impl: mls.CiphersuiteImpl, shape: Shape, members: number, quick: boolean): Promise<Result> {
  const hex = fs.readFileSync(path.join(TREES_DIR, `${shape}-${members}.groupinfo`), "utf8").trim();
  const decoded = mls.decodeMlsMessage(Buffer.from(hex, "hex"), 0);
  if (decoded === undefined || decoded[0].wireformat !== "mls_group_info") throw new Error("exported GroupInfo does not decode");
  const groupInfo = (decoded[0] as mls.MlsGroupInfo).groupInfo;
  const keysA = await mls.generateKeyPackage(credential("ts-mls A"), mls.defaultCapabilities(), mls.defaultLifetime, [], impl);
  let a = (await mls.joinGroupExternal(groupInfo, keysA.publicPackage, keysA.privatePackage, false, impl)).newState;
  const keysB = await mls.generateKeyPackage(credential("ts-mls B"), mls.defaultCapabilities(), mls.defaultLifetime, [], impl);
  const add = await mls.createCommit(
    { state: a, cipherSuite: impl },
    { extraProposals: [{ proposalType: "add", add: { keyPackage: keysB.publicPackage } }], ratchetTreeExtension: true },
  );
  a = add.newState;
  if (add.welcome === undefined) throw new Error("ts-mls made no Welcome");
  let b = await mls.joinGroup(add.welcome, keysB.publicPackage, keysB.privatePackage, mls.emptyPskIndex, impl);
  if (a.privatePath.leafIndex !== 0 || b.privatePath.leafIndex !== members - 2) {
    throw new Error(`ts-mls seats: A at ${a.privatePath.leafIndex}, B at ${b.privatePath.leafIndex}`);
  }
  if (shape === "full") {
    const refresh = await mls.createCommit({ state: b, cipherSuite: impl }, { wireAsPublicMessage: true });
    b = refresh.newState;
    a = (await mls.processMessage(refresh.commit as mls.MlsPublicMessage, a, mls.emptyPskIndex, mls.acceptAll, impl)).newState;
  }

  const result: Result = {
    impl: "ts-mls", shape, members, createCpu: [], processCpu: [], createWall: [], processWall: [], commitBytes: 0, entryBytes: 0,
  };
  const [minReps, maxReps, budgetMs] = quick ? [2, 3, 500] : [3, 10, 4000];
  const start = performance.now();
  for (let rep = 0; rep < maxReps && (rep < minReps || performance.now() - start < budgetMs); rep++) {
    // Creation includes the GroupInfo the committer publishes, as Group::commit_update does.
    const created = await timed(async () => {
      const commit = await mls.createCommit({ state: a, cipherSuite: impl }, { wireAsPublicMessage: true });
      const info = await mls.createGroupInfoWithExternalPub(commit.newState, [], impl);
      return { commit, info };
    });
    const processed = await timed(() =>
      mls.processMessage(created.value.commit.commit as mls.MlsPublicMessage, b, mls.emptyPskIndex, mls.acceptAll, impl),
    );
    if (!sameBytes(processed.value.newState.keySchedule.epochAuthenticator, created.value.commit.newState.keySchedule.epochAuthenticator)) {
      throw new Error("ts-mls sender and receiver disagree on the new epoch");
    }
    result.createCpu.push(created.cpu);
    result.createWall.push(created.wall);
    result.processCpu.push(processed.cpu);
    result.processWall.push(processed.wall);
    const commitBytes = mls.encodeMlsMessage(created.value.commit.commit).length;
    const infoBytes = mls.encodeMlsMessage({ version: "mls10", wireformat: "mls_group_info", groupInfo: created.value.info }).length;
    result.commitBytes = commitBytes;
    result.entryBytes = commitBytes + infoBytes;
  }
  return result;
}

function find(results: Result[], impl: Impl, shape: Shape, members: number): Result | undefined {
  return results.find((r) => r.impl === impl && r.shape === shape && r.members === members);
}

function speedup(ours: number[], theirs: number[]): number {
  return median(theirs) / median(ours);
}

function shapeTable(results: Result[], shape: Shape): string {
  const sizes = [...new Set(results.filter((r) => r.shape === shape).map((r) => r.members))].sort((x, y) => x - y);
  const rows = sizes.map((n) => {
    const ours = find(results, "anonify", shape, n)!;
    const theirs = find(results, "ts-mls", shape, n);
    return [
      `2^${Math.log2(n)} (${n.toLocaleString("en-US")})`,
      spread(ours.createCpu),
      spread(ours.processCpu),
      `${ms(median(ours.createWall))} / ${ms(median(ours.processWall))}`,
      bytes(ours.commitBytes),
      bytes(ours.entryBytes),
      theirs ? spread(theirs.createCpu) : "–",
      theirs ? spread(theirs.processCpu) : "–",
      theirs ? bytes(theirs.commitBytes) : "–",
      theirs ? `${speedup(ours.createCpu, theirs.createCpu).toFixed(0)}x / ${speedup(ours.processCpu, theirs.processCpu).toFixed(0)}x` : "–",
    ];
  });
  return markdownTable(
    [
      "Members",
      "Create, CPU ms",
      "Process, CPU ms",
      "Wall ms (create / process)",
      "Commit B",
      "Log entry B",
      "ts-mls create, CPU ms",
      "ts-mls process, CPU ms",
      "ts-mls commit B",
      "Speed-up (create / process)",
    ],
    rows,
  );
}

interface Verdicts {
  lines: string[];
}

function targets(results: Result[]): Verdicts {
  const lines: string[] = [];
  const big = find(results, "anonify", "full", 2 ** TARGET_LOG);
  if (big) {
    const create = median(big.createCpu);
    const proc = median(big.processCpu);
    lines.push(`| Commit creation, 2^${TARGET_LOG} members, full tree | < ${TARGET_CREATE_MS} ms | ${ms(create)} ms | ${create < TARGET_CREATE_MS ? "PASS" : "MISS"} |`);
    lines.push(`| Commit processing, 2^${TARGET_LOG} members, full tree | < ${TARGET_PROCESS_MS} ms | ${ms(proc)} ms | ${proc < TARGET_PROCESS_MS ? "PASS" : "MISS"} |`);
  } else {
    lines.push(`| Commit creation / processing, 2^${TARGET_LOG} members, full tree | < ${TARGET_CREATE_MS} / < ${TARGET_PROCESS_MS} ms | not measured (quick mode) | – |`);
  }
  let worst: { ratio: number; where: string } | undefined;
  for (const theirs of results.filter((r) => r.impl === "ts-mls")) {
    const ours = find(results, "anonify", theirs.shape, theirs.members)!;
    for (const [op, a, b] of [["create", ours.createCpu, theirs.createCpu], ["process", ours.processCpu, theirs.processCpu]] as const) {
      const ratio = speedup(a, b);
      if (worst === undefined || ratio < worst.ratio) worst = { ratio, where: `${op}, ${theirs.shape}, 2^${Math.log2(theirs.members)}` };
    }
  }
  if (worst) {
    lines.push(`| Faster than ts-mls on the same shapes (smallest ratio of medians) | ≥ ${TARGET_SPEEDUP}x | ${worst.ratio.toFixed(1)}x (${worst.where}) | ${worst.ratio >= TARGET_SPEEDUP ? "PASS" : "MISS"} |`);
  }
  return { lines: ["| Target | Goal | Measured | Result |", "| --- | ---: | ---: | ---: |", ...lines] };
}

const COLORS: Record<Shape, string> = { full: "#1f77b4", fresh: "#e6550d" };

function seriesOf(results: Result[], impl: Impl, shape: Shape, value: (r: Result) => number): Series {
  return {
    label: `${impl === "anonify" ? "Anonify C++" : "ts-mls"}, ${shape} tree`,
    color: COLORS[shape],
    dashed: impl === "ts-mls",
    points: results.filter((r) => r.impl === impl && r.shape === shape).sort((x, y) => x.members - y.members).map((r) => [r.members, value(r)] as const),
  };
}

function renderPlot(results: Result[]): void {
  const all = (value: (r: Result) => number) =>
    (["anonify", "ts-mls"] as const).flatMap((impl) => SHAPES.map((shape) => seriesOf(results, impl, shape, value)));
  const msTick = (v: number) => (v >= 1 ? `${v.toLocaleString("en-US")} ms` : `${v} ms`);
  const byteTick = (v: number) => (v >= 1e6 ? `${v / 1e6} MB` : v >= 1e3 ? `${v / 1e3} kB` : `${v} B`);
  const svg = figureSvg({
    xLabel: "group size (members)",
    panels: [
      { title: "Commit creation (CPU, median)", yLabel: "time", yTick: msTick, series: all((r) => median(r.createCpu)) },
      { title: "Commit processing (CPU, median)", yLabel: "time", yTick: msTick, series: all((r) => median(r.processCpu)) },
      { title: "Commit size (MLSMessage)", yLabel: "bytes", yTick: byteTick, series: all((r) => r.commitBytes) },
    ],
    legend: all(() => 1),
  });
  fs.mkdirSync(path.dirname(pngPath()), { recursive: true });
  fs.writeFileSync(pngPath(), svgToPng(svg));
}

export async function main(): Promise<void> {
  const quick = isQuick();
  const logSizes = quick ? [4, 6, 8, 10] : [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
  const tsLogSizes = quick ? [4, 6, 8] : [4, 5, 6, 7, 8, 9, 10];
  const started = Date.now();
  const binary = buildBenchmark();
  const results = runCpp(binary, logSizes, Math.max(...tsLogSizes), quick);
  const impl = await mls.getCiphersuiteImpl(mls.getCiphersuiteFromName("MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519"));
  let done = 0;
  for (const k of tsLogSizes) {
    for (const shape of SHAPES) {
      progress(`ts-mls: 2^${k} members, ${shape} tree (${++done} of ${tsLogSizes.length * SHAPES.length})`);
      results.push(await runTsMls(impl, shape, 2 ** k, quick));
    }
  }
  renderPlot(results);

  const verdicts = targets(results);
  const tables = SHAPES.map((shape) => `### ${shape === "full" ? "Full tree (every parent node holds a key)" : "Freshly built tree (every parent node blank)"}\n\n${shapeTable(results, shape)}`);
  const section = [
    "## TreeKEM scaling",
    "",
    `Generated by \`npm run bench:treekem\`${quick ? " (quick mode: up to 2^10, ts-mls to 2^8)" : ""} in ${Math.round((Date.now() - started) / 1000)} s.`,
    "",
    "A self-update commit with a path (what `mls_commit_update` does: fresh path secrets, parent hashes, tree hash, " +
      "commit signed with confirmation and membership tags, signed GroupInfo with external_pub) is created by leaf 0 and " +
      "processed, with the published GroupInfo checked, by the farthest leaf (n-1; its lowest common ancestor with the " +
      "sender is the root, as for half of all members). Trees are built outside the timing from generated keys and " +
      "validated like a joiner would (tree hash, parent hashes, every leaf signature). *Full*: every parent node holds a " +
      "key, so each copath resolution is one node. *Fresh*: the group was just built by adding members, every parent is " +
      "blank, so the commit encrypts to all n-1 other leaves. Times are CPU time (thread CPU time for the C++, process " +
      "CPU time for ts-mls in Node), median (min–max) over the repetitions, so other load on the machine does not count; " +
      "wall-clock medians beside them. ts-mls 1.6.4 runs on the same trees (exported by the C++ program with leaves 0 and " +
      "n-2 free): its member A joins by external commit at leaf 0, adds B by Welcome (leaf n-2, also below the root's " +
      "other child), and in the full shape B refreshes its path once; A then commits and B processes. Its creation time " +
      "includes the GroupInfo it publishes; its processing does not check a published GroupInfo (ours does). Log entry = " +
      "the bytes we post to the handshake log (commit + GroupInfo).",
    "",
    "![TreeKEM scaling: creation, processing, size](treekem.png)",
    "",
    ...tables.flatMap((t) => [t, ""]),
    "### Targets",
    "",
    ...verdicts.lines,
    "",
  ].join("\n");
  console.log("\n" + section);
  fs.mkdirSync(OUT_DIR, { recursive: true });
  fs.writeFileSync(path.join(OUT_DIR, `${NAME}.md`), section);
  progress(`wrote ${path.relative(ROOT, pngPath())} and bench/out/${NAME}.md`);
}

runUnlessOrchestrated(main);
