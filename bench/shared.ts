/**
 * What the benchmarks share (docs/benchmarks.md, the benchmark convention): quick mode, progress lines, tables
 * printed to stdout and rendered as markdown, and the section each benchmark writes to `bench/out/<name>.md` for
 * `bench/run.ts` to collect into bench/RESULTS.md.
 */
import fs from "node:fs";
import path from "node:path";

export const BENCH_DIR = __dirname;
export const OUT_DIR = path.join(BENCH_DIR, "out");

/** The benchmarks `npm run bench` runs, in order (bench/all.ts). */
export const BENCHMARKS = ["gas", "enclave", "treekem", "e2e"] as const;
/** Where bench/all.ts records how each benchmark went, for bench/run.ts. */
export const OUTCOMES_FILE = path.join(OUT_DIR, "outcomes.json");

export interface Outcome {
  name: string;
  status: "ok" | "failed";
  seconds: number;
  detail?: string;
}

/** Quick mode: `BENCH_QUICK=1` (what the orchestrator sets; `hardhat run` forwards no arguments) or `--quick`. */
export function isQuick(): boolean {
  return process.env.BENCH_QUICK === "1" || process.argv.includes("--quick");
}

/** A progress line: `[name] text`. */
export function progress(name: string, text: string): void {
  console.log(`[${name}] ${text}`);
}

export type Align = "left" | "right";

export interface Table {
  header: string[];
  rows: string[][];
  /** Per column; default: first column left, the others right. */
  align?: Align[];
}

function alignOf(table: Table, column: number): Align {
  return table.align?.[column] ?? (column === 0 ? "left" : "right");
}

/** The table as aligned plain text (stdout). */
export function textTable(table: Table): string {
  const widths = table.header.map((h, i) => Math.max(h.length, ...table.rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (alignOf(table, i) === "left" ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ").trimEnd();
  return [line(table.header), widths.map((w) => "-".repeat(w)).join("  "), ...table.rows.map(line)].join("\n");
}

/** The table as GitHub markdown. */
export function markdownTable(table: Table): string {
  const escape = (c: string) => c.replace(/\|/g, "\\|");
  return [
    `| ${table.header.map(escape).join(" | ")} |`,
    `| ${table.header.map((_, i) => (alignOf(table, i) === "left" ? "---" : "---:")).join(" | ")} |`,
    ...table.rows.map((r) => `| ${r.map(escape).join(" | ")} |`),
  ].join("\n");
}

/** Integer with thousands separators. */
export function fmt(n: bigint | number): string {
  return Math.round(Number(n)).toLocaleString("en-US");
}

/** Milliseconds with one decimal below 100, none above. */
export function ms(value: number): string {
  return value < 100 ? value.toFixed(1) : Math.round(value).toLocaleString("en-US");
}

export function verdict(pass: boolean): string {
  return pass ? "PASS" : "MISS";
}

/** Value at quantile q (0..1) of `values`, nearest-rank. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

/** Writes this benchmark's section of RESULTS.md to bench/out/<name>.md and returns the path. */
export function writeSection(name: string, markdown: string): string {
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const file = path.join(OUT_DIR, `${name}.md`);
  fs.writeFileSync(file, markdown.trimEnd() + "\n");
  return file;
}

/**
 * Runs a benchmark's `main` when its file is run alone (`npm run bench:<name>`); under `npm run bench` the
 * orchestrator (bench/all.ts) imports the benchmarks into one Hardhat process and calls them itself.
 */
export function runUnlessOrchestrated(main: () => Promise<void>): void {
  if (process.env.BENCH_ORCHESTRATED === "1") return;
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
