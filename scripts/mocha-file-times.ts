/**
 * Mocha reporter: the spec reporter's output, plus one line per test file's top-level suite (wall time, the
 * process's memory, seconds since the start), and the slowest of them at the end. `ANONIFY_TEST_TIMES=1 npm run
 * test:ts` uses it (hardhat.config.ts); its figures are what scripts/test-ts.sh's two shards are balanced by.
 */
import os from "node:os";
import Mocha from "mocha";

const { EVENT_SUITE_BEGIN, EVENT_SUITE_END, EVENT_RUN_END } = Mocha.Runner.constants;

class FileTimes extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    const started = Date.now();
    const begun = new Map<Mocha.Suite, number>();
    const rows: { ms: number; line: string }[] = [];
    const mb = (bytes: number) => `${Math.round(bytes / 1e6)} MB`;
    runner.on(EVENT_SUITE_BEGIN, (suite: Mocha.Suite) => {
      if (suite.file !== undefined && suite.parent?.root === true) begun.set(suite, Date.now());
    });
    runner.on(EVENT_SUITE_END, (suite: Mocha.Suite) => {
      const at = begun.get(suite);
      if (at === undefined) return;
      const ms = Date.now() - at;
      const file = suite.file!.startsWith(process.cwd()) ? suite.file!.slice(process.cwd().length + 1) : suite.file!;
      const memory = process.memoryUsage();
      const line =
        `[file-times] ${(ms / 1000).toFixed(1)} s  ${file} :: ${suite.title}  ` +
        `(rss ${mb(memory.rss)}, heap ${mb(memory.heapUsed)}, free ${mb(os.freemem())}, at ${Math.round((Date.now() - started) / 1000)} s)`;
      rows.push({ ms, line });
      console.log(line);
    });
    runner.once(EVENT_RUN_END, () => {
      console.log("\n[file-times] slowest:");
      for (const { line } of [...rows].sort((a, b) => b.ms - a.ms).slice(0, 25)) console.log(line);
    });
  }
}

export = FileTimes;
