import { expect } from "chai";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse } from "smol-toml";
import hre from "hardhat";
import {
  DEBIAN_GRAMINE_DEFAULTS,
  ManifestTemplateError,
  manifestTemplateVariables,
  renderManifestTemplate,
} from "../../src/enclave/manifest";
import { enclaveBinary } from "./helpers";

const enclaveDir = hre.config.anonify.enclave.sourceDir;
const templatePath = path.join(enclaveDir, "anonify-enclave.manifest.template");
const buildScript = path.join(enclaveDir, "scripts", "build-sgx.sh");

function variables(binary: string) {
  return {
    ...DEBIAN_GRAMINE_DEFAULTS,
    binary,
    sealed_dir: "sealed",
    log_level: "error",
    enclave_size: "512M",
    max_threads: "4",
    isvprodid: "0",
    isvsvn: "0",
    ra_spid: "0123456789abcdef0123456789abcdef",
    ra_linkable: "false",
  };
}

describe("Gramine manifest template", function () {
  const template = fs.readFileSync(templatePath, "utf8");

  it("renders without Gramine into valid TOML that runs the real binary in SGX mode", function () {
    const binary = enclaveBinary();
    const manifest = parse(renderManifestTemplate(template, variables(binary))) as any;

    expect(manifest.libos.entrypoint).to.equal("/anonify-enclave");
    const entry = manifest.fs.mounts.find((m: any) => m.path === manifest.libos.entrypoint);
    expect(entry.uri).to.equal(`file:${binary}`);
    expect(fs.statSync(binary).isFile()).to.equal(true);
    expect(manifest.sgx.trusted_files).to.include(`file:${binary}`);
    expect(manifest.loader.entrypoint.uri).to.equal(`file:${DEBIAN_GRAMINE_DEFAULTS.gramine.libos}`);

    // The host cannot change the arguments: SGX mode, data in the encrypted mount.
    expect(manifest.loader.argv).to.deep.equal(["anonify-enclave", "--mode", "sgx", "--data-dir", "/sealed"]);
    expect(manifest.loader).to.not.have.property("insecure__use_cmdline_argv");
    const sealed = manifest.fs.mounts.find((m: any) => m.path === "/sealed");
    expect(sealed).to.deep.equal({ type: "encrypted", path: "/sealed", uri: "file:sealed", key_name: "_sgx_mrenclave" });

    expect(manifest.sgx.debug).to.equal(false);
    expect(manifest.sgx.remote_attestation).to.equal("epid");
    expect(manifest.sgx.ra_client_linkable).to.equal(false);
    expect(manifest.sgx.ra_client_spid).to.equal("0123456789abcdef0123456789abcdef");
    expect(manifest.sgx.enclave_size).to.equal("512M");
    expect(manifest.sgx.max_threads).to.equal(4);
    expect(manifest.sgx.isvprodid).to.equal(0);
  });

  it("uses exactly the variables build-sgx.sh passes to gramine-manifest", function () {
    const script = fs.readFileSync(buildScript, "utf8");
    const passed = [...script.matchAll(/-D([a-z_]+)=/g)].map((m) => m[1]).sort();
    const builtIn = ["gramine.libos", "gramine.runtimedir()"];
    const used = manifestTemplateVariables(template).filter((v) => !builtIn.includes(v)).sort();
    expect(used).to.deep.equal(passed);
  });

  it("refuses template syntax the renderer does not implement, and undefined variables", function () {
    expect(() => renderManifestTemplate("{% if x %}a{% endif %}", {})).to.throw(ManifestTemplateError, /unsupported/);
    expect(() => renderManifestTemplate("{{ x | upper }}", { x: "a" })).to.throw(ManifestTemplateError, /unsupported/);
    expect(() => renderManifestTemplate("{{ missing }}", {})).to.throw(ManifestTemplateError, /not defined/);
    expect(() => renderManifestTemplate("{{ gramine }}", { gramine: { libos: "x" } })).to.throw(ManifestTemplateError, /not a scalar/);
    expect(() => renderManifestTemplate("{{ a() }}", { a: "x" })).to.throw(ManifestTemplateError, /not callable/);
  });

  it("build-sgx.sh says exactly what is missing and exits non-zero where Gramine is absent", function () {
    // A PATH holding only what the script needs before its checks, and an empty HOME: no Gramine, no key.
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), "anonify-nogramine-"));
    try {
      fs.symlinkSync("/usr/bin/dirname", path.join(bin, "dirname"));
      const run = spawnSync("/bin/bash", [buildScript], {
        encoding: "utf8",
        env: { PATH: bin, HOME: bin, ANONIFY_SGX_SPID: "not-hex" },
      });
      expect(run.status).to.equal(1);
      expect(run.stdout).to.equal("");
      expect(run.stderr).to.match(/cannot build the SGX package; missing:/);
      expect(run.stderr).to.match(/- gramine-manifest \(install Gramine >= 1\.5/);
      expect(run.stderr).to.match(/- gramine-sgx-sign \(install Gramine/);
      expect(run.stderr).to.include(`- signing key ${bin}/.config/gramine/enclave-key.pem`);
      expect(run.stderr).to.match(/- ANONIFY_SGX_SPID \(the 32-hex-character EPID SPID/);
    } finally {
      fs.rmSync(bin, { recursive: true, force: true });
    }
  });
});
