/**
 * `npx hardhat-anonify init` (src/cli): what it writes into a folder that has the package installed, what it
 * keeps, --force, conflicting configs (refused before anything is written), and the command line itself.
 * The package is "installed" into each temporary folder as npm links a local package: a symlink in node_modules.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { HardhatPluginError } from "hardhat/plugins";
import { main, USAGE } from "../../src/cli/main";
import { configLoadsAnonify, InitError, projectPackageRanges, runInit, type InitErrorCode } from "../../src/cli/init";
import { EXAMPLE_TEST, GITIGNORE_LINES, HARDHAT_CONFIG, TSCONFIG } from "../../src/cli/templates";
import { packageRoot } from "../../src/package/paths";

const WRITTEN = ["hardhat.config.ts", "tsconfig.json", ".gitignore", "test/anonify.test.ts"];

function project(installed = true): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "anonify-init-"));
  if (installed) {
    fs.mkdirSync(path.join(dir, "node_modules"));
    fs.symlinkSync(packageRoot(), path.join(dir, "node_modules", "hardhat-anonify"), "dir");
  }
  return dir;
}

/** Every file under dir (node_modules aside) with its content. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      if (entry.name === "node_modules") continue;
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = fs.readFileSync(p, "utf8");
    }
  };
  walk(dir);
  return out;
}

function refused(dir: string, code: InitErrorCode, fragment: string, force = false): void {
  const before = snapshot(dir);
  let thrown: unknown;
  try {
    runInit({ dir, force, log: () => undefined });
  } catch (e) {
    thrown = e;
  }
  expect(thrown).to.be.instanceOf(InitError);
  expect(thrown).to.be.instanceOf(HardhatPluginError);
  expect((thrown as InitError).code).to.equal(code);
  expect((thrown as Error).message).to.contain(fragment);
  expect(snapshot(dir), "a refused init changes nothing").to.deep.equal(before);
}

describe("hardhat-anonify init", function () {
  const dirs: string[] = [];
  const fresh = (installed = true) => {
    const d = project(installed);
    dirs.push(d);
    return d;
  };
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it("writes a Hardhat TypeScript project loading hardhat-anonify and the toolbox, with progress lines", function () {
    const dir = fresh();
    const lines: string[] = [];
    const result = runInit({ dir, log: (l) => lines.push(l) });
    expect(result.files).to.deep.equal(Object.fromEntries(WRITTEN.map((f) => [f, "written"])));
    const files = snapshot(dir);
    expect(Object.keys(files).sort()).to.deep.equal([...WRITTEN].sort());
    expect(files["hardhat.config.ts"]).to.equal(HARDHAT_CONFIG);
    expect(files["hardhat.config.ts"]).to.contain('import "@nomicfoundation/hardhat-toolbox";').and.contain('import "hardhat-anonify";');
    expect(JSON.parse(files["tsconfig.json"]).compilerOptions).to.include({ module: "commonjs", strict: true });
    expect(files["tsconfig.json"]).to.equal(TSCONFIG);
    expect(files[".gitignore"].split("\n")).to.include.members([".anonify/", "node_modules", "artifacts", "cache"]);
    expect(files["test/anonify.test.ts"]).to.equal(EXAMPLE_TEST);
    for (const f of WRITTEN) expect(lines.some((l) => l.includes("written") && l.endsWith(f)), `progress line for ${f}`).to.equal(true);
    // The folder has none of hardhat, toolbox, typescript, ts-node: init names them with the documented ranges.
    const ranges = projectPackageRanges();
    expect(result.missingPackages).to.deep.equal(Object.entries(ranges).map(([n, r]) => `${n}@${r}`));
    expect(lines.some((l) => l.startsWith("the project still needs: npm install --save-dev"))).to.equal(true);
  });

  it("keeps existing files, appends only missing .gitignore lines, and a second run changes nothing", function () {
    const dir = fresh();
    fs.writeFileSync(path.join(dir, "tsconfig.json"), '{ "compilerOptions": { "strict": true } }\n');
    fs.writeFileSync(path.join(dir, ".gitignore"), "node_modules\nmy-secrets"); // no trailing newline
    const result = runInit({ dir, log: () => undefined });
    expect(result.files).to.deep.equal({
      "hardhat.config.ts": "written",
      "tsconfig.json": "kept",
      "test/anonify.test.ts": "written",
      ".gitignore": "appended",
    });
    expect(fs.readFileSync(path.join(dir, "tsconfig.json"), "utf8")).to.equal('{ "compilerOptions": { "strict": true } }\n');
    const gitignore = fs.readFileSync(path.join(dir, ".gitignore"), "utf8");
    expect(gitignore.startsWith("node_modules\nmy-secrets\n")).to.equal(true);
    expect(gitignore.split("\n").filter((l) => l === "node_modules")).to.have.length(1);
    expect(gitignore.split("\n")).to.include.members(GITIGNORE_LINES);

    const before = snapshot(dir);
    const again = runInit({ dir, log: () => undefined });
    expect(Object.values(again.files)).to.deep.equal(["kept", "kept", "kept", "kept"]);
    expect(snapshot(dir)).to.deep.equal(before);
  });

  it("keeps a hardhat.config.ts that already loads hardhat-anonify; --force replaces files", function () {
    const dir = fresh();
    const own = 'import "@nomicfoundation/hardhat-toolbox";\nimport "hardhat-anonify";\nexport default { solidity: "0.8.24" };\n';
    fs.writeFileSync(path.join(dir, "hardhat.config.ts"), own);
    fs.mkdirSync(path.join(dir, "test"));
    fs.writeFileSync(path.join(dir, "test", "anonify.test.ts"), "// mine\n");
    expect(runInit({ dir, log: () => undefined }).files).to.include({ "hardhat.config.ts": "kept", "test/anonify.test.ts": "kept" });
    expect(fs.readFileSync(path.join(dir, "hardhat.config.ts"), "utf8")).to.equal(own);

    const forced = runInit({ dir, force: true, log: () => undefined });
    expect(forced.files).to.include({ "hardhat.config.ts": "replaced", "tsconfig.json": "replaced", "test/anonify.test.ts": "replaced" });
    expect(fs.readFileSync(path.join(dir, "hardhat.config.ts"), "utf8")).to.equal(HARDHAT_CONFIG);
    expect(fs.readFileSync(path.join(dir, "test", "anonify.test.ts"), "utf8")).to.equal(EXAMPLE_TEST);
  });

  it("refuses a conflicting config and writes nothing; --force replaces only a TypeScript config", function () {
    const ts = fresh();
    fs.writeFileSync(path.join(ts, "hardhat.config.ts"), 'import "@nomicfoundation/hardhat-toolbox";\nexport default { solidity: "0.8.28" };\n');
    refused(ts, "conflicting_config", "hardhat.config.ts exists and does not load hardhat-anonify");
    expect(runInit({ dir: ts, force: true, log: () => undefined }).files["hardhat.config.ts"]).to.equal("replaced");

    const js = fresh();
    fs.writeFileSync(path.join(js, "hardhat.config.js"), 'require("@nomicfoundation/hardhat-toolbox");\nmodule.exports = { solidity: "0.8.28" };\n');
    refused(js, "conflicting_config", "hardhat.config.js exists and does not load hardhat-anonify");
    refused(js, "conflicting_config", "--force never deletes another config", true);

    const both = fresh();
    fs.writeFileSync(path.join(both, "hardhat.config.cjs"), 'require("hardhat-anonify");\nmodule.exports = {};\n');
    fs.writeFileSync(path.join(both, "hardhat.config.ts"), 'import "hardhat-anonify";\nexport default {};\n');
    refused(both, "conflicting_config", "Hardhat loads only one", true);
  });

  it("keeps a JavaScript config that loads hardhat-anonify and writes the rest", function () {
    const dir = fresh();
    const own = 'require("@nomicfoundation/hardhat-toolbox");\nrequire( "hardhat-anonify" );\nmodule.exports = { solidity: "0.8.28" };\n';
    fs.writeFileSync(path.join(dir, "hardhat.config.js"), own);
    const result = runInit({ dir, log: () => undefined });
    expect(result.files).to.not.have.property("hardhat.config.ts");
    expect(fs.existsSync(path.join(dir, "hardhat.config.ts"))).to.equal(false);
    expect(fs.readFileSync(path.join(dir, "hardhat.config.js"), "utf8")).to.equal(own);
    expect(result.files).to.include({ "tsconfig.json": "written", "test/anonify.test.ts": "written" });
  });

  it("refuses a folder without the package installed, and a path that is no folder", function () {
    refused(fresh(false), "not_installed", "npm install --save-dev hardhat-anonify");
    const dir = fresh();
    const file = path.join(dir, "a-file");
    fs.writeFileSync(file, "");
    let thrown: unknown;
    try {
      runInit({ dir: file, log: () => undefined });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).to.be.instanceOf(InitError).and.include({ code: "not_a_directory" });
  });

  it("recognises import, from and require of hardhat-anonify, not mentions or commented-out lines", function () {
    expect(configLoadsAnonify('import "hardhat-anonify";')).to.equal(true);
    expect(configLoadsAnonify("import { client } from 'hardhat-anonify';")).to.equal(true);
    expect(configLoadsAnonify('require("hardhat-anonify")')).to.equal(true);
    expect(configLoadsAnonify('// TODO: load "hardhat-anonify-extra"\nimport "hardhat-anonify-extra";')).to.equal(false);
    expect(configLoadsAnonify("export default {};")).to.equal(false);
    expect(configLoadsAnonify('// import "hardhat-anonify";\nexport default {};')).to.equal(false);
    expect(configLoadsAnonify('/*\nrequire("hardhat-anonify");\n*/\nmodule.exports = {};')).to.equal(false);
    expect(configLoadsAnonify('const url = "https://example.org"; // note\nimport "hardhat-anonify";')).to.equal(true);
  });

  describe("command line", function () {
    function cli(argv: string[]): { code: number; out: string[]; err: string[] } {
      const out: string[] = [];
      const err: string[] = [];
      const code = main(argv, (l) => out.push(l), (l) => err.push(l));
      return { code, out, err };
    }

    it("--help prints the usage; no command or an unknown one is a usage error", function () {
      expect(cli(["--help"])).to.deep.equal({ code: 0, out: [USAGE.trimEnd()], err: [] });
      expect(cli(["init", "-h"]).code).to.equal(0);
      expect(cli([]).code).to.equal(2);
      const unknown = cli(["deploy"]);
      expect(unknown.code).to.equal(2);
      expect(unknown.err[0]).to.contain('unknown command "deploy"');
      expect(cli(["init", "--frobnicate"]).err[0]).to.contain('unknown option "--frobnicate"');
      expect(cli(["init", "--dir"]).err[0]).to.contain("--dir needs a path");
    });

    it("--version prints the package's version", function () {
      const version = (JSON.parse(fs.readFileSync(path.join(packageRoot(), "package.json"), "utf8")) as { version: string }).version;
      expect(cli(["--version"])).to.deep.equal({ code: 0, out: [version], err: [] });
    });

    it("init --dir writes the project; a conflict exits 1 with the error's code", function () {
      const dir = fresh();
      const ok = cli(["init", "--dir", dir]);
      expect(ok.code).to.equal(0);
      expect(ok.out.some((l) => l.endsWith("hardhat.config.ts") && l.includes("written"))).to.equal(true);

      const conflict = fresh();
      fs.writeFileSync(path.join(conflict, "hardhat.config.ts"), "export default {};\n");
      const refusedRun = cli(["init", "--dir", conflict]);
      expect(refusedRun.code).to.equal(1);
      expect(refusedRun.err[0]).to.match(/^error \(conflicting_config\): hardhat.config.ts exists/);
      const forced = cli(["init", "--force", "--dir", conflict]);
      expect(forced.code).to.equal(0);
      expect(fs.readFileSync(path.join(conflict, "hardhat.config.ts"), "utf8")).to.equal(HARDHAT_CONFIG);
    });
  });
});
