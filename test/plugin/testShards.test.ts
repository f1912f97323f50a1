/**
 * scripts/test-ts.sh runs the Hardhat tests in two mocha processes side by side. What the split must keep: every
 * test file runs, exactly once, and every test that compiles (two compiles at once race on the artifacts cache)
 * runs in shard 1.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";

const ROOT = path.join(__dirname, "..", "..");

function testFiles(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return testFiles(relative);
    return entry.name.endsWith(".test.ts") ? [relative] : [];
  });
}

/** Source text that starts a compile: the compile task itself, or the --onchain verifiers that run it in a checkout. */
const COMPILES = /run\("compile"|--onchain|onchain: true/;

describe("scripts/test-ts.sh: the two shards", function () {
  let split: Array<{ shard: string; file: string }>;

  before(function () {
    const listed = spawnSync("bash", [path.join(ROOT, "scripts", "test-ts.sh"), "--list"], { cwd: ROOT, encoding: "utf8" });
    expect(listed.status, listed.stderr).to.equal(0);
    split = listed.stdout
      .trim()
      .split("\n")
      .map((line) => {
        const [shard, file] = line.split(" ");
        return { shard, file };
      });
  });

  it("runs every test file exactly once, in shard 1 or 2", function () {
    expect(split.map((s) => s.file).sort()).to.deep.equal(testFiles("test").sort());
    expect(new Set(split.map((s) => s.shard))).to.deep.equal(new Set(["1", "2"]));
  });

  it("puts every test that compiles in shard 1", function () {
    const self = path.relative(ROOT, __filename);  // this file names the pattern, and compiles nothing
    const compiling = split.filter((s) => s.file !== self && COMPILES.test(fs.readFileSync(path.join(ROOT, s.file), "utf8")));
    expect(compiling.map((s) => s.file)).to.include.members(["test/plugin/package.test.ts", "test/attestation/verifyQuoteTask.test.ts"]);
    expect(compiling.filter((s) => s.shard !== "1").map((s) => s.file)).to.deep.equal([]);
  });
});
