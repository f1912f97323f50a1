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
  SGX_ATTESTATIONS,
  manifestTemplateVariables,
  renderManifestTemplate,
  sgxManifestTemplate,
  type SgxAttestation,
} from "../../src/enclave/manifest";
import { enclaveBinary } from "./helpers";

const enclaveDir = hre.config.anonify.enclave.sourceDir;
const buildScript = path.join(enclaveDir, "scripts", "build-sgx.sh");

function variables(binary: string, attestation: SgxAttestation) {
  const common = {
    ...DEBIAN_GRAMINE_DEFAULTS,
    binary,
    sealed_dir: "sealed",
    log_level: "error",
    enclave_size: "512M",
    max_threads: "4",
    isvprodid: "0",
    isvsvn: "0",
  };
  return attestation === "epid" ? { ...common, ra_spid: "0123456789abcdef0123456789abcdef", ra_linkable: "false" } : common;
}

function render(attestation: SgxAttestation, binary = enclaveBinary()): any {
  return parse(renderManifestTemplate(sgxManifestTemplate(enclaveDir, attestation), variables(binary, attestation)));
}

/** Runs build-sgx.sh with a PATH holding only what it needs before its checks, and an empty HOME: no Gramine, no key. */
function runWithoutGramine(env: Record<string, string>) {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), "anonify-nogramine-"));
  try {
    fs.symlinkSync("/usr/bin/dirname", path.join(bin, "dirname"));
    const run = spawnSync("/bin/bash", [buildScript], { encoding: "utf8", env: { PATH: bin, HOME: bin, ...env } });
    return { ...run, home: bin };
  } finally {
    fs.rmSync(bin, { recursive: true, force: true });
  }
}

describe("Gramine manifest template", function () {
  it("renders without Gramine into valid TOML that runs the real binary in SGX mode", function () {
    const binary = enclaveBinary();
    const manifest = render("dcap", binary);

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
    expect(manifest.sgx.enclave_size).to.equal("512M");
    expect(manifest.sgx.max_threads).to.equal(4);
    expect(manifest.sgx.isvprodid).to.equal(0);
  });

  it("attests with DCAP by default (no EPID settings), and with EPID for IAS only when asked", function () {
    const dcap = render("dcap");
    expect(dcap.sgx.remote_attestation).to.equal("dcap");
    expect(dcap.sgx).to.not.have.property("ra_client_spid");
    expect(dcap.sgx).to.not.have.property("ra_client_linkable");

    const epid = render("epid");
    expect(epid.sgx.remote_attestation).to.equal("epid");
    expect(epid.sgx.ra_client_linkable).to.equal(false);
    expect(epid.sgx.ra_client_spid).to.equal("0123456789abcdef0123456789abcdef");

    // Everything but the attestation section is the same manifest.
    const withoutAttestation = (m: any) => {
      const { remote_attestation: _r, ra_client_spid: _s, ra_client_linkable: _l, ...rest } = m.sgx;
      return { ...m, sgx: rest };
    };
    expect(withoutAttestation(epid)).to.deep.equal(withoutAttestation(dcap));
    expect(() => sgxManifestTemplate(enclaveDir, "tdx" as SgxAttestation)).to.throw(ManifestTemplateError, /unknown sgx attestation "tdx"/);
  });

  it("uses exactly the variables build-sgx.sh passes to gramine-manifest, per evidence kind", function () {
    const script = fs.readFileSync(buildScript, "utf8");
    const passed = [...script.matchAll(/-D([a-z_]+)=/g)].map((m) => m[1]).sort();
    const builtIn = ["gramine.libos", "gramine.runtimedir()"];
    const usedBy = (attestation: SgxAttestation) =>
      manifestTemplateVariables(sgxManifestTemplate(enclaveDir, attestation)).filter((v) => !builtIn.includes(v)).sort();
    // EPID uses every variable; DCAP every one but the EPID pair, which the script passes only for epid.
    expect(usedBy("epid")).to.deep.equal(passed);
    expect(usedBy("dcap")).to.deep.equal(passed.filter((v) => v !== "ra_spid" && v !== "ra_linkable"));
    expect(script).to.match(/attestation_vars=\(-Dra_spid="\$spid" -Dra_linkable="\$linkable"\)/);
    // The script renders the same concatenation sgxManifestTemplate returns.
    expect(script).to.include('cat "$template" "$attestation_templates/$attestation.template" > anonify-enclave.manifest.template');
    expect([...SGX_ATTESTATIONS]).to.deep.equal(["dcap", "epid"]);
  });

  it("refuses template syntax the renderer does not implement, and undefined variables", function () {
    expect(() => renderManifestTemplate("{% if x %}a{% endif %}", {})).to.throw(ManifestTemplateError, /unsupported/);
    expect(() => renderManifestTemplate("{{ x | upper }}", { x: "a" })).to.throw(ManifestTemplateError, /unsupported/);
    expect(() => renderManifestTemplate("{{ missing }}", {})).to.throw(ManifestTemplateError, /not defined/);
    expect(() => renderManifestTemplate("{{ gramine }}", { gramine: { libos: "x" } })).to.throw(ManifestTemplateError, /not a scalar/);
    expect(() => renderManifestTemplate("{{ a() }}", { a: "x" })).to.throw(ManifestTemplateError, /not callable/);
  });

  it("build-sgx.sh says exactly what is missing and exits non-zero where Gramine is absent", function () {
    // DCAP (the default) needs no SPID.
    const dcap = runWithoutGramine({});
    expect(dcap.status).to.equal(1);
    expect(dcap.stdout).to.equal("");
    expect(dcap.stderr).to.match(/cannot build the SGX package; missing:/);
    expect(dcap.stderr).to.match(/- gramine-manifest \(install Gramine >= 1\.5/);
    expect(dcap.stderr).to.match(/- gramine-sgx-sign \(install Gramine/);
    expect(dcap.stderr).to.include(`- signing key ${dcap.home}/.config/gramine/enclave-key.pem`);
    expect(dcap.stderr).to.not.match(/SPID|LINKABLE/);

    const epid = runWithoutGramine({ ANONIFY_SGX_ATTESTATION: "epid", ANONIFY_SGX_SPID: "not-hex", ANONIFY_SGX_LINKABLE: "maybe" });
    expect(epid.status).to.equal(1);
    expect(epid.stderr).to.match(/- ANONIFY_SGX_SPID \(the 32-hex-character EPID SPID/);
    expect(epid.stderr).to.include('- ANONIFY_SGX_LINKABLE must be "true" or "false", got "maybe"');

    const unknown = runWithoutGramine({ ANONIFY_SGX_ATTESTATION: "tdx" });
    expect(unknown.status).to.equal(1);
    expect(unknown.stderr).to.include('- ANONIFY_SGX_ATTESTATION must be "dcap" or "epid", got "tdx"');
  });
});
