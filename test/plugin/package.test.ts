/**
 * What an installed package relies on, tested in the checkout: the prebuilt artifacts (written by `npm run build`,
 * read back and checked, deployed through the Ignition module with no compile of the user's), and the enclave
 * build's dependency check (the Debian packages named, nothing run) — the full build from the package's sources
 * into a user's `.anonify/enclave-build` runs in `npm run test:package`.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import hre from "hardhat";
import { HardhatPluginError } from "hardhat/plugins";
import { anonifyModuleId, buildAnonifyModule } from "../../deploy/modules/anonifyModule";
import { anonifyDcapModuleId, buildAnonifyDcapModule, type DcapModuleArtifacts } from "../../deploy/modules/anonifyDcapModule";
import { resolveAnonifyConfig } from "../../src/config";
import {
  ensureEnclaveBuilt,
  missingBuildDependencies,
  missingDependenciesError,
  systemBuildProbe,
  type BuildProbe,
} from "../../src/enclave/build";
import {
  anonifyArtifact,
  exportPrebuiltArtifacts,
  PREBUILT_FORMAT,
  LINKED_LIBRARIES,
  PREBUILT_MANIFEST,
  readPrebuiltArtifact,
  SHIPPED_CONTRACTS,
  type ShippedContract,
} from "../../src/package/artifacts";
import { isPackageCheckout, packageEnclaveDir, packageRoot } from "../../src/package/paths";
import { projectPackageRanges } from "../../src/cli/init";
import { binaryMrenclave } from "../node/helpers";

const ALL_PACKAGES = ["cmake", "make", "g++", "pkg-config", "libssl-dev", "libsecp256k1-dev", "nlohmann-json3-dev"];

function tmp(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => expect.fail("expected a rejection"),
    (error: Error) => error,
  );
}

describe("package: paths", function () {
  it("finds the package root from its sources, and this project is its checkout", function () {
    expect(JSON.parse(fs.readFileSync(path.join(packageRoot(), "package.json"), "utf8")).name).to.equal("hardhat-anonify");
    expect(isPackageCheckout(hre.config.paths.root)).to.equal(true);
    expect(isPackageCheckout(os.tmpdir())).to.equal(false);
    expect(fs.existsSync(path.join(packageEnclaveDir(), "CMakeLists.txt"))).to.equal(true);
  });
});

describe("package: the versions the docs name", function () {
  it("README and docs/plugin.md install the versions package.json names (what init and test:package use)", function () {
    const ranges = projectPackageRanges();
    expect(Object.keys(ranges)).to.deep.equal(["hardhat", "@nomicfoundation/hardhat-toolbox", "typescript", "ts-node"]);
    for (const doc of ["README.md", "docs/plugin.md"]) {
      const text = fs.readFileSync(path.join(packageRoot(), doc), "utf8");
      for (const [name, range] of Object.entries(ranges)) expect(text, `${doc} names ${name}@${range}`).to.contain(`"${name}@${range}"`);
    }
  });
});

describe("package: prebuilt artifacts", function () {
  let dir: string;
  before(async function () {
    await hre.run("compile", { quiet: true });
    dir = tmp("anonify-prebuilt-");
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("exports what deploy needs, with the compiler and settings they were built with", async function () {
    const manifest = await exportPrebuiltArtifacts(hre, dir);
    expect(manifest.format).to.equal(PREBUILT_FORMAT);
    expect(manifest.solcLongVersion).to.match(/^0\.8\.30\+commit\./);
    expect(manifest.settings).to.deep.include({ evmVersion: hre.config.solidity.compilers[0].settings.evmVersion });
    expect(manifest.settings).to.not.have.property("outputSelection");
    expect(JSON.parse(fs.readFileSync(path.join(dir, PREBUILT_MANIFEST), "utf8"))).to.deep.equal(manifest);
    // The DCAP group's contracts and the libraries they link ship too; each contract's own settings are recorded.
    expect(Object.keys(manifest.contracts)).to.have.members([
      "IasVerifier",
      "AnonifyGroup",
      "DcapCollateral",
      "DcapCrls",
      "DcapVerifier",
      "TcbInfo",
      "QeIdentity",
      "PckChainVerification",
    ]);
    expect(manifest.contracts.IasVerifier.settings).to.deep.include({ viaIR: true });
    expect(manifest.contracts.DcapVerifier.settings).to.deep.include({ optimizer: { enabled: true, runs: 1_000 } });
    expect(manifest.settings).to.deep.equal(manifest.contracts.AnonifyGroup.settings);
    for (const name of Object.keys(SHIPPED_CONTRACTS) as ShippedContract[]) {
      const shipped = readPrebuiltArtifact(dir, name);
      const compiled = await hre.artifacts.readArtifact(`${SHIPPED_CONTRACTS[name]}:${name}`);
      expect(shipped.abi).to.deep.equal(compiled.abi);
      expect(shipped.bytecode).to.equal(compiled.bytecode);
      // Only the libraries the DCAP module links, each under its own source.
      const linked = Object.entries(shipped.linkReferences).flatMap(([source, libraries]) => Object.keys(libraries).map((l) => `${source}:${l}`));
      expect(linked, name).to.have.members((LINKED_LIBRARIES[name] ?? []).map((l) => `${SHIPPED_CONTRACTS[l]}:${l}`));
      // In the checkout the plugin deploys the fresh compile, which is what the export wrote.
      expect(anonifyArtifact(hre, name).bytecode).to.equal(compiled.bytecode);
    }
  });

  it("deploys a working group from the exported artifacts alone", async function () {
    const artifacts = { IasVerifier: readPrebuiltArtifact(dir, "IasVerifier"), AnonifyGroup: readPrebuiltArtifact(dir, "AnonifyGroup") };
    const mrenclave = await binaryMrenclave();
    const deployed = await hre.ignition.deploy(buildAnonifyModule({ trustAnchor: "simulation", allowedMrenclaves: [mrenclave], artifacts }), {
      parameters: { [anonifyModuleId("simulation")]: {} },
    });
    expect(await deployed.group.getFunction("verifier")()).to.equal(await deployed.verifier.getAddress());
    expect(await deployed.group.getFunction("currentEpoch")()).to.equal(0n);
    expect(await deployed.verifier.getFunction("isMrenclaveAllowed")(mrenclave)).to.equal(true);
  });

  it("deploys a working DCAP group from the exported artifacts alone (Ignition links the shipped libraries)", async function () {
    const names = ["DcapCollateral", "DcapCrls", "DcapVerifier", "TcbInfo", "QeIdentity", "PckChainVerification", "AnonifyGroup"] as const;
    const artifacts = Object.fromEntries(names.map((name) => [name, readPrebuiltArtifact(dir, name)])) as DcapModuleArtifacts;
    const mrenclave = await binaryMrenclave();
    const deployed = await hre.ignition.deploy(buildAnonifyDcapModule({ root: "simulation", allowedMrenclaves: [mrenclave], artifacts }), {
      parameters: { [anonifyDcapModuleId("simulation")]: {} },
    });
    expect(await deployed.group.getFunction("verifier")()).to.equal(await deployed.verifier.getAddress());
    expect(await deployed.verifier.getFunction("evidenceKind")()).to.equal(2n);
    expect(await deployed.verifier.getFunction("collateralStore")()).to.equal(await deployed.collateral.getAddress());
    expect(await deployed.verifier.getFunction("crlStore")()).to.equal(await deployed.crls.getAddress());
    expect(await deployed.verifier.getFunction("isMrenclaveAllowed")(mrenclave)).to.equal(true);
    // The linked code is the shipped libraries' (their runtime bytecode, at the addresses linked in).
    const code = await hre.ethers.provider.getCode(await deployed.collateral.getAddress());
    for (const library of [deployed.tcbInfo, deployed.qeIdentity]) expect(code).to.include((await library.getAddress()).slice(2).toLowerCase());
  });

  it("refuses a missing, unreadable or wrong artifact with a specific error", function () {
    const bad = tmp("anonify-prebuilt-bad-");
    try {
      const good = JSON.parse(fs.readFileSync(path.join(dir, "IasVerifier.json"), "utf8"));
      const cases: [string, string | object, string][] = [
        ["missing", "", "is missing: reinstall hardhat-anonify"],
        ["not JSON", "{", "is not JSON"],
        ["wrong contract", { ...good, contractName: "AnonifyGroup" }, 'names contract "AnonifyGroup", expected IasVerifier'],
        ["wrong source", { ...good, sourceName: "contracts/Evil.sol" }, 'has source "contracts/Evil.sol"'],
        ["no ABI", { ...good, abi: [] }, "has no ABI"],
        ["no bytecode", { ...good, bytecode: "0x" }, "has no creation bytecode"],
        ["odd hex", { ...good, bytecode: good.bytecode + "0" }, "has no creation bytecode"],
        ["libraries", { ...good, linkReferences: { "contracts/lib/X.sol": { X: [{ start: 1, length: 20 }] } } }, "needs libraries linked (contracts/lib/X.sol:X; IasVerifier links none)"],
        ["deployed libraries", { ...good, deployedLinkReferences: { "contracts/lib/X.sol": { X: [{ start: 1, length: 20 }] } } }, "needs libraries linked"],
        // A library the DCAP module links, but not into this contract.
        ["another's library", { ...good, linkReferences: { [SHIPPED_CONTRACTS.TcbInfo]: { TcbInfo: [{ start: 1, length: 20 }] } } }, "IasVerifier links none"],
      ];
      for (const [what, content, fragment] of cases) {
        const file = path.join(bad, "IasVerifier.json");
        fs.rmSync(file, { force: true });
        if (what !== "missing") fs.writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
        expect(() => readPrebuiltArtifact(bad, "IasVerifier"), what)
          .to.throw(HardhatPluginError)
          .with.property("message")
          .that.contains(fragment);
      }
      // A contract that links libraries accepts exactly its own, under their own sources.
      const verifier = JSON.parse(fs.readFileSync(path.join(dir, "DcapVerifier.json"), "utf8"));
      const reference = [{ start: 1, length: 20 }];
      const verifierCases: [string, object, string][] = [
        ["unknown library", { ...verifier, linkReferences: { ...verifier.linkReferences, "contracts/lib/X.sol": { X: reference } } }, "(contracts/lib/X.sol:X; DcapVerifier links only PckChainVerification)"],
        ["known name, other source", { ...verifier, linkReferences: { "contracts/Evil.sol": { PckChainVerification: reference } } }, "contracts/Evil.sol:PckChainVerification"],
        ["another contract's library", { ...verifier, deployedLinkReferences: { [SHIPPED_CONTRACTS.TcbInfo]: { TcbInfo: reference } } }, "links only PckChainVerification"],
        // Placeholders no reference names would stay in the deployed code: not bytecode.
        ["placeholders without references", { ...verifier, linkReferences: {} }, "has no creation bytecode"],
      ];
      fs.writeFileSync(path.join(bad, "DcapVerifier.json"), JSON.stringify(verifier));
      expect(readPrebuiltArtifact(bad, "DcapVerifier").linkReferences).to.deep.equal(verifier.linkReferences);
      for (const [what, content, fragment] of verifierCases) {
        fs.writeFileSync(path.join(bad, "DcapVerifier.json"), JSON.stringify(content));
        expect(() => readPrebuiltArtifact(bad, "DcapVerifier"), what)
          .to.throw(HardhatPluginError)
          .with.property("message")
          .that.contains(fragment);
      }
    } finally {
      fs.rmSync(bad, { recursive: true, force: true });
    }
  });
});

describe("package: enclave build dependencies", function () {
  let fake: string;
  let probe: BuildProbe;
  before(function () {
    // A fake system: the tools as executables and the headers, one at a time removed below.
    fake = tmp("anonify-build-probe-");
    const bin = path.join(fake, "bin");
    const include = path.join(fake, "include");
    fs.mkdirSync(bin);
    for (const tool of ["cmake", "make", "g++", "pkg-config"]) fs.writeFileSync(path.join(bin, tool), "#!/bin/sh\n", { mode: 0o755 });
    for (const header of ["openssl/evp.h", "secp256k1.h", "secp256k1_recovery.h", "nlohmann/json.hpp"]) {
      fs.mkdirSync(path.dirname(path.join(include, header)), { recursive: true });
      fs.writeFileSync(path.join(include, header), "");
    }
    probe = { path: [bin], includeDirs: [include] };
  });
  after(() => fs.rmSync(fake, { recursive: true, force: true }));

  it("finds everything on this machine (scripts/install-system-deps.sh installed it)", function () {
    expect(missingBuildDependencies(systemBuildProbe())).to.deep.equal([]);
  });

  it("names the Debian package of each missing tool or header", function () {
    expect(missingBuildDependencies({ path: [], includeDirs: [] }).map((m) => m.debianPackage)).to.deep.equal(ALL_PACKAGES);
    expect(missingBuildDependencies(probe)).to.deep.equal([]);
    const cases: [string, string][] = [
      ["bin/cmake", "cmake"],
      ["bin/g++", "g++"],
      ["include/openssl/evp.h", "libssl-dev"],
      ["include/secp256k1_recovery.h", "libsecp256k1-dev"],
      ["include/nlohmann/json.hpp", "nlohmann-json3-dev"],
    ];
    for (const [file, pkg] of cases) {
      const full = path.join(fake, file);
      const saved = fs.readFileSync(full);
      fs.rmSync(full);
      try {
        expect(missingBuildDependencies(probe).map((m) => m.debianPackage), file).to.deep.equal([pkg]);
      } finally {
        fs.writeFileSync(full, saved, { mode: 0o755 });
      }
    }
    // A tool that is not executable does not count.
    fs.chmodSync(path.join(fake, "bin", "make"), 0o644);
    try {
      expect(missingBuildDependencies(probe).map((m) => m.debianPackage)).to.deep.equal(["make"]);
    } finally {
      fs.chmodSync(path.join(fake, "bin", "make"), 0o755);
    }
    const error = missingDependenciesError(missingBuildDependencies({ path: [], includeDirs: [] }));
    expect(error).to.be.instanceOf(HardhatPluginError);
    expect(error.message).to.contain(`sudo apt-get install -y ${ALL_PACKAGES.join(" ")}`);
    expect(error.message).to.contain("libsecp256k1 headers (secp256k1.h, secp256k1_recovery.h) [Debian package libsecp256k1-dev]");
  });

  it("a user project's build stops before running anything when a dependency is missing, and can be retried", async function () {
    const project = tmp("anonify-user-project-");
    try {
      const config = resolveAnonifyConfig(undefined, project);
      expect(config.enclave.sourceDir).to.equal(packageEnclaveDir());
      expect(config.enclave.buildDir).to.equal(path.join(project, ".anonify", "enclave-build"));
      const noLibs: BuildProbe = { path: probe.path, includeDirs: [] };
      const lines: string[] = [];
      for (let attempt = 0; attempt < 2; attempt++) {
        const error = await rejection(ensureEnclaveBuilt(config, { probe: noLibs, log: (l) => lines.push(l) }));
        expect(error).to.be.instanceOf(HardhatPluginError);
        expect(error.message).to.contain("sudo apt-get install -y libssl-dev libsecp256k1-dev nlohmann-json3-dev");
      }
      expect(lines).to.deep.equal([]);
      expect(fs.existsSync(config.enclave.buildDir)).to.equal(false);
    } finally {
      fs.rmSync(project, { recursive: true, force: true });
    }
  });

  it("sgx mode never builds: a missing binary is an error naming the signed build", async function () {
    const project = tmp("anonify-user-project-");
    try {
      const config = resolveAnonifyConfig({ mode: "sgx" }, project);
      const error = await rejection(ensureEnclaveBuilt(config, { probe: { path: [], includeDirs: [] }, log: () => undefined }));
      expect(error).to.be.instanceOf(HardhatPluginError);
      expect(error.message).to.contain("sgx mode is never built implicitly");
    } finally {
      fs.rmSync(project, { recursive: true, force: true });
    }
  });
});
