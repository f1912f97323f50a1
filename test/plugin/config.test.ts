import { expect } from "chai";
import path from "node:path";
import hre from "hardhat";
import { HardhatPluginError } from "hardhat/plugins";
import { DEFAULT_IAS_URL, DEFAULT_PCS_URL, extendAnonifyConfig, resolveAnonifyConfig, resolveNetworkAnonifyConfig, selectNetworkAnonifyConfig } from "../../src/config";
import type { HardhatConfig, HardhatUserConfig } from "hardhat/types";
import { bundledSolcVersion } from "../../src/solc";
import { packageEnclaveDir, packageRoot } from "../../src/package/paths";
import { TOKEN_RUNTIME } from "../../src/runtimes/name";

const ROOT = "/projects/app";

function rejects(user: unknown, fragment: string): void {
  let thrown: unknown;
  try {
    resolveAnonifyConfig(user as never, ROOT);
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `expected rejection mentioning ${fragment}`).to.be.instanceOf(HardhatPluginError);
  expect((thrown as Error).message).to.contain(fragment);
}

describe("plugin: anonify config", function () {
  it("fills every default for an empty section", function () {
    const c = resolveAnonifyConfig(undefined, ROOT);
    expect(c).to.deep.equal({
      mode: "simulation",
      iasRootCa: "simulation",
      attestation: "ias",
      ias: { url: DEFAULT_IAS_URL, apiKey: undefined },
      dcap: { pcsUrl: DEFAULT_PCS_URL, apiKey: undefined },
      policy: { allowedStatuses: ["OK"], allowDebug: false, maxReportAgeSeconds: 0 },
      enclave: {
        // A user's project: the package's enclave sources, built into the project's .anonify/enclave-build.
        sourceDir: packageEnclaveDir(),
        buildDir: path.join(ROOT, ".anonify", "enclave-build"),
        binary: path.join(ROOT, ".anonify", "enclave-build", "anonify-enclave"),
      },
      dataDir: path.join(ROOT, ".anonify"),
      confirmations: 0,
      runtime: TOKEN_RUNTIME,
      runtimes: [],
    });
  });

  it("pins Intel's CA by default in sgx mode", function () {
    expect(resolveAnonifyConfig({ mode: "sgx" }, ROOT).iasRootCa).to.equal("intel");
  });

  it("attests with DCAP by default in sgx mode, with TCB statuses (UpToDate by default)", function () {
    const sgx = resolveAnonifyConfig({ mode: "sgx" }, ROOT);
    expect(sgx.attestation).to.equal("dcap");
    expect(sgx.policy.allowedStatuses).to.deep.equal(["UpToDate"]);
    const ias = resolveAnonifyConfig({ mode: "sgx", attestation: "ias" }, ROOT);
    expect(ias.attestation).to.equal("ias");
    expect(ias.policy.allowedStatuses).to.deep.equal(["OK"]);
    const dcap = resolveAnonifyConfig({ attestation: "dcap", policy: { allowedStatuses: ["UpToDate", "SWHardeningNeeded"] } }, ROOT);
    expect(dcap).to.include({ mode: "simulation", attestation: "dcap" });
    expect(dcap.policy.allowedStatuses).to.deep.equal(["UpToDate", "SWHardeningNeeded"]);
  });

  it("refuses an unknown evidence kind and statuses of the other kind's vocabulary, naming the mix-up", function () {
    rejects({ attestation: "epid" }, 'anonify.attestation must be "dcap" or "ias", got "epid"');
    rejects({ attestation: "dcap", policy: { allowedStatuses: ["OK"] } }, 'unknown status "OK" (an IAS quote status, but anonify.attestation is "dcap")');
    rejects({ attestation: "ias", policy: { allowedStatuses: ["UpToDate"] } }, 'unknown status "UpToDate" (a DCAP TCB status, but anonify.attestation is "ias")');
    rejects({ attestation: "dcap", policy: { allowedStatuses: ["Revoked"] } }, 'unknown status "Revoked"');
    rejects({ attestation: "dcap", policy: { allowedStatuses: ["UpToDate", "UpToDate"] } }, "lists a status twice");
  });

  it("limits the report age to a day by default in sgx mode (audit F-4), and lets 0 turn it off", function () {
    expect(resolveAnonifyConfig({ mode: "sgx" }, ROOT).policy.maxReportAgeSeconds).to.equal(86_400);
    expect(resolveAnonifyConfig({ mode: "sgx", policy: { maxReportAgeSeconds: 0 } }, ROOT).policy.maxReportAgeSeconds).to.equal(0);
    expect(resolveAnonifyConfig({ mode: "simulation" }, ROOT).policy.maxReportAgeSeconds).to.equal(0);
  });

  it("resolves relative paths against the project root", function () {
    const c = resolveAnonifyConfig({ enclave: { sourceDir: "native" }, dataDir: "state" }, ROOT);
    expect(c.enclave.sourceDir).to.equal(path.join(ROOT, "native"));
    expect(c.enclave.buildDir).to.equal(path.join(ROOT, ".anonify", "enclave-build"));
    expect(c.dataDir).to.equal(path.join(ROOT, "state"));
    const built = resolveAnonifyConfig({ enclave: { buildDir: "out/enclave" } }, ROOT);
    expect(built.enclave.binary).to.equal(path.join(ROOT, "out", "enclave", "anonify-enclave"));
  });

  it("builds in <sourceDir>/build only in the package's own checkout", function () {
    const c = resolveAnonifyConfig(undefined, packageRoot());
    expect(c.enclave.sourceDir).to.equal(path.join(packageRoot(), "enclave"));
    expect(c.enclave.buildDir).to.equal(path.join(packageRoot(), "enclave", "build"));
  });

  it("keeps a valid policy as given", function () {
    const c = resolveAnonifyConfig(
      { policy: { allowedStatuses: ["OK", "SW_HARDENING_NEEDED"], allowDebug: true, maxReportAgeSeconds: 86400 } },
      ROOT,
    );
    expect(c.policy).to.deep.equal({
      allowedStatuses: ["OK", "SW_HARDENING_NEEDED"],
      allowDebug: true,
      maxReportAgeSeconds: 86400,
    });
  });

  it("rejects each invalid field with a message naming it", function () {
    rejects({ mode: "hardware" }, "anonify.mode");
    rejects({ iasRootCa: "acme" }, "anonify.iasRootCa");
    rejects({ mode: "sgx", iasRootCa: "simulation" }, "production enclave must be verified under Intel's CA");
    rejects({ ias: { url: "ftp://ias.example" } }, "anonify.ias.url");
    rejects({ ias: { url: "not a url" } }, "anonify.ias.url");
    rejects({ ias: { apiKey: "" } }, "anonify.ias.apiKey");
    rejects({ dcap: { pcsUrl: "ftp://pcs.example" } }, "anonify.dcap.pcsUrl must be an http(s) URL");
    rejects({ dcap: { pcsUrl: "https://pcs.example/?fmspc=00" } }, "anonify.dcap.pcsUrl");
    rejects({ dcap: { apiKey: "" } }, "anonify.dcap.apiKey");
    rejects({ dcap: "https://pcs.example" }, "anonify.dcap must be an object");
    rejects({ policy: { allowedStatuses: [] } }, "anonify.policy.allowedStatuses");
    rejects({ policy: { allowedStatuses: ["OK", "GROUP_OUT_OF_DAT"] } }, 'unknown status "GROUP_OUT_OF_DAT"');
    rejects({ policy: { allowDebug: "yes" } }, "anonify.policy.allowDebug");
    rejects({ policy: { maxReportAgeSeconds: -1 } }, "anonify.policy.maxReportAgeSeconds");
    rejects({ policy: { maxReportAgeSeconds: 1.5 } }, "anonify.policy.maxReportAgeSeconds");
    rejects([], "must be an object");
    rejects({ runtime: "" }, "anonify.runtime");
    rejects({ runtime: "Token" }, "anonify.runtime");
    rejects({ runtime: "-token" }, "anonify.runtime");
    rejects({ runtime: "x".repeat(65) }, "anonify.runtime");
    rejects({ runtime: 7 }, "anonify.runtime");
  });

  it("keeps a valid runtime name as given", function () {
    expect(resolveAnonifyConfig({ runtime: "acme-notes/v2" }, ROOT).runtime).to.equal("acme-notes/v2");
  });

  it("per network (networks.<name>.anonify): merged over the top level, ias and policy field by field", function () {
    const top = { mode: "simulation" as const, confirmations: 1, policy: { allowDebug: true }, ias: { apiKey: "top-key" } };
    const c = resolveNetworkAnonifyConfig(top, { confirmations: 3, policy: { allowedStatuses: ["OK", "GROUP_OUT_OF_DATE"] } }, ROOT, "sepolia");
    expect(c.confirmations).to.equal(3);
    expect(c.policy).to.include({ allowDebug: true });
    expect(c.policy.allowedStatuses).to.deep.equal(["OK", "GROUP_OUT_OF_DATE"]);
    expect(c.ias.apiKey).to.equal("top-key");
    expect(c.mode).to.equal("simulation");
    // dcap too: a network's PCCS keeps the top level's key.
    const pccs = resolveNetworkAnonifyConfig({ dcap: { apiKey: "pcs-key" } }, { dcap: { pcsUrl: "https://pccs.example:8081" } }, ROOT, "sepolia");
    expect(pccs.dcap).to.deep.equal({ pcsUrl: "https://pccs.example:8081", apiKey: "pcs-key" });
    // A network switching to sgx gets Intel's CA and the sgx report age by default.
    const sgx = resolveNetworkAnonifyConfig({ mode: "simulation", iasRootCa: "simulation" }, { mode: "sgx", ias: { url: "https://ias.example/v4/report" } }, ROOT, "mainnet");
    expect(sgx).to.include({ mode: "sgx", iasRootCa: "intel" });
    expect(sgx.ias.url).to.equal("https://ias.example/v4/report");
    expect(sgx.policy.maxReportAgeSeconds).to.equal(86_400);
    // ...and DCAP with its own status default, not the top level's IAS statuses.
    expect(sgx.attestation).to.equal("dcap");
    const inherited = resolveNetworkAnonifyConfig({ policy: { allowedStatuses: ["OK", "SW_HARDENING_NEEDED"] } }, { mode: "sgx" }, ROOT, "mainnet");
    expect(inherited.policy.allowedStatuses).to.deep.equal(["UpToDate"]);
    const kept = resolveNetworkAnonifyConfig({ attestation: "dcap", policy: { allowedStatuses: ["UpToDate", "OutOfDate"] } }, { confirmations: 2 }, ROOT, "mainnet");
    expect(kept.policy.allowedStatuses).to.deep.equal(["UpToDate", "OutOfDate"]);
    // No section: the top level.
    expect(resolveNetworkAnonifyConfig(top, undefined, ROOT, "localhost")).to.deep.equal(resolveAnonifyConfig(top, ROOT));
  });

  it("per network: errors name networks.<name>.anonify and the field", function () {
    const rejectsNetwork = (network: unknown, fragment: string) => {
      expect(() => resolveNetworkAnonifyConfig({}, network as never, ROOT, "sepolia")).to.throw(HardhatPluginError, fragment);
    };
    rejectsNetwork({ confirmations: -1 }, "networks.sepolia.anonify.confirmations must be a number of blocks in 0..1000, got -1");
    rejectsNetwork({ confirmations: "2" }, "networks.sepolia.anonify.confirmations");
    rejectsNetwork({ mode: "tdx" }, 'networks.sepolia.anonify.mode must be "simulation" or "sgx", got "tdx"');
    rejectsNetwork({ mode: "sgx", iasRootCa: "simulation" }, "networks.sepolia.anonify.iasRootCa");
    rejectsNetwork({ ias: { url: "ftp://x" } }, "networks.sepolia.anonify.ias.url");
    rejectsNetwork({ dataDir: "/tmp/x" }, "networks.sepolia.anonify.dataDir cannot be set per network");
    rejectsNetwork({ enclave: { buildDir: "b" } }, "networks.sepolia.anonify.enclave cannot be set per network");
    rejectsNetwork([], "networks.sepolia.anonify must be an object");
    rejects({ confirmations: 1.5 }, "anonify.confirmations");
  });

  it("per network: resolved for every network at load, the selected network's in force", function () {
    const user = {
      anonify: { confirmations: 0 },
      networks: { sepolia: { url: "http://127.0.0.1:1", anonify: { confirmations: 2 } }, localhost: { url: "http://127.0.0.1:8545" } },
    } as unknown as HardhatUserConfig;
    const config = {
      paths: { root: ROOT },
      networks: { sepolia: { url: "http://127.0.0.1:1" }, localhost: { url: "http://127.0.0.1:8545" }, hardhat: {} },
    } as unknown as HardhatConfig;
    extendAnonifyConfig(config, user);
    expect(selectNetworkAnonifyConfig(config, "sepolia").confirmations).to.equal(2);
    expect(selectNetworkAnonifyConfig(config, "localhost").confirmations).to.equal(0);
    expect(selectNetworkAnonifyConfig(config, "hardhat")).to.equal(config.anonify);
    const bad = { networks: { sepolia: { url: "http://127.0.0.1:1", anonify: { confirmations: -3 } } } } as unknown as HardhatUserConfig;
    expect(() => extendAnonifyConfig({ ...config, networks: { sepolia: {} } } as unknown as HardhatConfig, bad)).to.throw(
      HardhatPluginError,
      "networks.sepolia.anonify.confirmations",
    );
  });

  it("is resolved on the running hre and exposed as hre.anonify", function () {
    expect(hre.config.anonify.mode).to.equal("simulation");
    expect(hre.config.anonify.enclave.binary).to.equal(
      path.join(hre.config.paths.root, "enclave", "build", "anonify-enclave"),
    );
    expect(hre.anonify.config).to.equal(hre.config.anonify);
  });
});

describe("plugin: offline solc", function () {
  it("compiles with the solc npm package's soljson, never a download", async function () {
    const { version, longVersion } = bundledSolcVersion();
    expect(hre.config.solidity.compilers.map((c) => c.version)).to.deep.equal([version]);
    const build = await hre.run("compile:solidity:solc:get-build", { solcVersion: version, quiet: true });
    expect(build).to.include({ version, longVersion, isSolcJs: true });
    expect(build.compilerPath).to.match(/node_modules[\\/]solc[\\/]soljson\.js$/);
  });
});
