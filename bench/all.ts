/**
 * Every benchmark in one Hardhat process (`hardhat run bench/all.ts`, started by bench/run.ts): one Hardhat start-up
 * instead of four. Runs them in order, each in try/catch, and records the outcomes for run.ts in
 * bench/out/outcomes.json. BENCH_QUICK=1 selects quick mode.
 */
import fs from "node:fs";
import path from "node:path";
import { BENCHMARKS, OUTCOMES_FILE, OUT_DIR, type Outcome } from "./shared";

async function runAll(): Promise<void> {
  process.env.BENCH_ORCHESTRATED = "1"; // the modules below then leave their main() to us
  const outcomes: Outcome[] = [];
  for (const name of BENCHMARKS) {
    const section = path.join(OUT_DIR, `${name}.md`);
    fs.rmSync(section, { force: true }); // a stale section must not pass for this run's
    console.log(`\n[bench] ${name}${process.env.BENCH_QUICK === "1" ? " (quick)" : ""}`);
    const started = Date.now();
    try {
      const { main } = (await import(`./${name}`)) as { main: () => Promise<void> };
      await main();
      if (!fs.existsSync(section)) throw new Error(`wrote no bench/out/${name}.md`);
      outcomes.push({ name, status: "ok", seconds: (Date.now() - started) / 1000 });
    } catch (error) {
      console.error(error);
      outcomes.push({ name, status: "failed", seconds: (Date.now() - started) / 1000, detail: (error as Error).message.split("\n")[0] });
    }
    const last = outcomes[outcomes.length - 1];
    console.log(`[bench] ${name} ${last.status === "ok" ? "done" : `FAILED (${last.detail})`} in ${last.seconds.toFixed(1)} s`);
  }
  fs.mkdirSync(OUT_DIR, { recursive: true });
  fs.writeFileSync(OUTCOMES_FILE, JSON.stringify(outcomes, null, 2));
}

runAll().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
