/**
 * Issue 14 items 3 and 4, the parts that run without building a user's enclave: `anonify:new-runtime` (names,
 * what it writes, conflicts refused before anything is written, --force), the scaffold's C++ compiling against the
 * public SDK headers alone, `anonify.runtimes` resolution, the build's refusals for bad runtime directories, and
 * `anonify:measure` on this checkout's enclave. The full sequence a user follows — init, new-runtime notes, the
 * project's own `npx hardhat test` building the enclave with the runtime — is `npm run test:package`.
 */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import hre from "hardhat";
import { HardhatPluginError } from "hardhat/plugins";
import { RUNTIMES_DIR, resolveAnonifyConfig } from "../../src/config";
import { checkRuntimeDirs, testRuntimes } from "../../src/enclave/build";
import { packageEnclaveDir } from "../../src/package/paths";
import { renderRuntimeTemplate, runtimeScaffoldNameProblem, runtimeScaffoldNames, scaffoldRuntime } from "../../src/scaffold/runtime";
import { binaryMrenclave } from "../node/helpers";
import { runTaskCapturing } from "../helpers/tasks";

const SCAFFOLD = ["enclave-runtimes/notes/notes.cpp", "enclave-runtimes/notes/notes_test.cpp", "enclave-runtimes/notes/notes.ts", "test/notes.test.ts"];

function tempProject(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "anonify-new-runtime-"));
}

describe("plugin: anonify:new-runtime, anonify.runtimes, anonify:measure", function () {
  const dirs: string[] = [];
  const project = () => {
    const dir = tempProject();
    dirs.push(dir);
    return dir;
  };
  after(function () {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("derives the runtime's names from a directory name, and refuses names that cannot be one", function () {
    expect(runtimeScaffoldNames("notes")).to.deep.equal({ name: "notes", runtime: "notes/v1", className: "NotesRuntime", typesName: "NotesRuntimeTypes" });
    expect(runtimeScaffoldNames("price-feed")).to.deep.include({ runtime: "price-feed/v1", className: "PriceFeedRuntime", typesName: "PriceFeedRuntimeTypes" });
    for (const bad of ["", "Notes", "1notes", "my_notes", "notes/v1", "../notes", "a".repeat(33), "no tes"]) {
      expect(runtimeScaffoldNameProblem(bad), bad).to.match(/is not a runtime name for a scaffold/);
    }
    expect(runtimeScaffoldNameProblem("token")).to.match(/taken by the package's own runtimes/);
    expect(() => renderRuntimeTemplate("{{nope}}", runtimeScaffoldNames("notes"))).to.throw(HardhatPluginError, "{{nope}} has no value");
  });

  it("writes the runtime's C++ source, its GoogleTest file, its TypeScript types and a Hardhat test; nothing left unsubstituted", function () {
    const root = project();
    const result = scaffoldRuntime(root, "notes");
    expect(result.written).to.deep.equal(SCAFFOLD);
    expect(result.overwritten).to.deep.equal([]);
    for (const file of SCAFFOLD) expect(fs.readFileSync(path.join(root, file), "utf8"), file).to.not.match(/\{\{\w+\}\}/);
    const cpp = fs.readFileSync(path.join(root, SCAFFOLD[0]), "utf8");
    expect(cpp).to.include('constexpr const char* kRuntimeName = "notes/v1";').and.include("ANONIFY_RUNTIME(NotesRuntime, kRuntimeName);");
    // Only the SDK: a user's runtime must not reach into the enclave's internals.
    expect(cpp.match(/#include "[^"]+"/g)).to.deep.equal(['#include "anonify/runtime/sdk.h"']);
    expect(fs.readFileSync(path.join(root, SCAFFOLD[2]), "utf8")).to.include('export const NOTES_RUNTIME = "notes/v1";').and.include("export interface NotesRuntimeTypes");
    expect(fs.readFileSync(path.join(root, SCAFFOLD[3]), "utf8")).to.include('from "../enclave-runtimes/notes/notes"').and.include("runtime: NOTES_RUNTIME");
  });

  it("refuses to overwrite without --force, listing every conflict and writing nothing; --force replaces", function () {
    const root = project();
    fs.mkdirSync(path.join(root, "test"));
    fs.writeFileSync(path.join(root, "test", "notes.test.ts"), "// mine\n");
    expect(() => scaffoldRuntime(root, "notes")).to.throw(HardhatPluginError, "test/notes.test.ts already exists; nothing was written (--force replaces them)");
    expect(fs.existsSync(path.join(root, RUNTIMES_DIR))).to.equal(false);
    expect(fs.readFileSync(path.join(root, "test", "notes.test.ts"), "utf8")).to.equal("// mine\n");
    const forced = scaffoldRuntime(root, "notes", { force: true });
    expect(forced.overwritten).to.deep.equal(["test/notes.test.ts"]);
    expect(fs.readFileSync(path.join(root, "test", "notes.test.ts"), "utf8")).to.include("notes/v1");
  });

  it("the task: anonify:new-runtime <name> writes into the project root and says what to run next; a bad name is refused", async function () {
    const root = project();
    const savedRoot = hre.config.paths.root;
    hre.config.paths.root = root;
    try {
      const { stdout } = await runTaskCapturing("anonify:new-runtime", { name: "ledger-notes", force: false });
      expect(stdout).to.include("created  enclave-runtimes/ledger-notes/ledger-notes.cpp").and.include("npx hardhat anonify:deploy --runtime ledger-notes/v1");
      expect(fs.existsSync(path.join(root, "test", "ledger-notes.test.ts"))).to.equal(true);
      const bad = await runTaskCapturing("anonify:new-runtime", { name: "Ledger", force: false }).catch((e: unknown) => e);
      expect(bad).to.be.instanceOf(HardhatPluginError);
      expect((bad as Error).message).to.include('"Ledger" is not a runtime name for a scaffold');
    } finally {
      hre.config.paths.root = savedRoot;
    }
  });

  it("the scaffold's C++ compiles against the public SDK headers alone (g++, and clang where installed; warnings as errors)", function () {
    this.timeout(180_000);
    const root = project();
    scaffoldRuntime(root, "notes");
    const include = path.join(packageEnclaveDir(), "include");
    // Users build with either compiler; clang refuses some C++17 that g++ takes (a lambda capturing a structured binding).
    const compilers = ["g++", "clang++-14", "clang++"].filter((c) => spawnSync(c, ["--version"]).status === 0).slice(0, 2);
    expect(compilers[0]).to.equal("g++");
    for (const compiler of compilers) {
      for (const file of SCAFFOLD.slice(0, 2)) {
        const compiled = spawnSync(compiler, ["-std=c++17", "-Wall", "-Wextra", "-Werror", "-fsyntax-only", `-I${include}`, path.join(root, file)], { encoding: "utf8" });
        expect(compiled.status, `${compiler} ${file}:\n${compiled.stderr}`).to.equal(0);
      }
    }
  });

  it("anonify.runtimes: default every directory of enclave-runtimes/, bare names there, paths from the root; bad values refused", function () {
    const root = project();
    expect(resolveAnonifyConfig({}, root).runtimes).to.deep.equal([]);
    for (const name of ["zeta", "alpha"]) fs.mkdirSync(path.join(root, RUNTIMES_DIR, name), { recursive: true });
    fs.writeFileSync(path.join(root, RUNTIMES_DIR, "README.md"), "not a runtime\n");
    expect(resolveAnonifyConfig({}, root).runtimes).to.deep.equal([path.join(root, RUNTIMES_DIR, "alpha"), path.join(root, RUNTIMES_DIR, "zeta")]);
    expect(resolveAnonifyConfig({ runtimes: ["zeta", "./native/feed"] }, root).runtimes).to.deep.equal([path.join(root, RUNTIMES_DIR, "zeta"), path.join(root, "native", "feed")]);
    expect(resolveAnonifyConfig({ runtimes: [] }, root).runtimes).to.deep.equal([]);
    for (const [bad, message] of [
      ["notes", "anonify.runtimes must be an array"],
      [[""], "entries must be non-empty strings"],
      [[7], "entries must be non-empty strings"],
      [["zeta", "zeta"], "twice"],
    ] as const) {
      expect(() => resolveAnonifyConfig({ runtimes: bad as never }, root), JSON.stringify(bad)).to.throw(HardhatPluginError, message);
    }
  });

  it("the build refuses a runtime directory that does not exist or holds no source; anonify:test-runtimes needs a runtime", async function () {
    const root = project();
    expect(() => checkRuntimeDirs([path.join(root, "missing")])).to.throw(HardhatPluginError, "is not a directory (create a runtime with `npx hardhat anonify:new-runtime <name>`)");
    fs.mkdirSync(path.join(root, "only-tests"));
    fs.writeFileSync(path.join(root, "only-tests", "x_test.cpp"), "");
    expect(() => checkRuntimeDirs([path.join(root, "only-tests")])).to.throw(HardhatPluginError, "holds no runtime source");
    const none = await testRuntimes({ ...resolveAnonifyConfig({}, root), runtimes: [] }).catch((e: unknown) => e);
    expect(none).to.be.instanceOf(HardhatPluginError);
    expect((none as Error).message).to.include("the project has no runtimes of its own");
  });

  it("anonify:measure prints the simulation measurement and the runtimes this checkout's binary carries", async function () {
    this.timeout(300_000);
    const { result, stdout } = await runTaskCapturing<{ mrenclave: string; runtimes: string[]; mode: string }>("anonify:measure", { json: false });
    expect(result.mode).to.equal("simulation");
    expect(result.mrenclave).to.equal(await binaryMrenclave());
    expect(result.runtimes).to.deep.equal(["anonify-auction/v1", "anonify-records/v1", "anonify-token/v1"]);
    expect(stdout).to.include(`mrenclave  ${result.mrenclave}`).and.include("runtimes   anonify-auction/v1, anonify-records/v1, anonify-token/v1");
  });
});
