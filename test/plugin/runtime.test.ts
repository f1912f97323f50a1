import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { HardhatPluginError } from "hardhat/plugins";
import hre from "hardhat";

describe("plugin: hre.anonify", function () {
  it("starts the configured enclave (simulation) and speaks the protocol with it", async function () {
    if (!fs.existsSync(hre.config.anonify.enclave.binary)) {
      throw new Error(`${hre.config.anonify.enclave.binary} is missing: run \`npm run enclave:build\` first`);
    }
    const enclave = await hre.anonify.startEnclave();
    try {
      const status = await enclave.call("status", {});
      expect(status.mode).to.equal("simulation");
      expect(status.initialized).to.equal(false);
      expect(status.mrenclave).to.match(/^0x[0-9a-f]{64}$/);
      expect(status.methods).to.include.members(["status", "init", "evidence", "seal"]);
    } finally {
      expect(await enclave.close()).to.equal(0);
    }
  });

  it("hands out the development IAS only in simulation mode", function () {
    const ias = hre.anonify.attestation.developmentIas();
    expect(hre.anonify.attestation.trustAnchor).to.equal("simulation");
    expect(ias.keyId).to.match(/^0x[0-9a-f]{64}$/);
  });

  it("deploys through Ignition, finds the record again, audits it and builds clients for it", async function () {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "anonify-plugin-"));
    try {
      expect(await hre.anonify.deployment(dataDir)).to.equal(undefined);
      let thrown: unknown;
      try {
        await hre.anonify.client({ nodeUrl: "http://127.0.0.1:1", dataDir });
      } catch (e) {
        thrown = e;
      }
      expect(thrown).to.be.instanceOf(HardhatPluginError);
      expect((thrown as Error).message).to.contain("anonify:deploy");

      const record = await hre.anonify.deploy({ dataDir });
      expect(record.trustAnchor).to.equal("simulation");
      expect(await hre.ethers.provider.getCode(record.group)).to.not.equal("0x");
      expect(await hre.anonify.deployment(dataDir)).to.deep.equal(record);
      expect((await hre.anonify.audit({ group: record.group })).findings).to.deep.equal([]);
      const client = await hre.anonify.client({ nodeUrl: "http://127.0.0.1:1", dataDir });
      expect(client.group).to.equal(record.group.toLowerCase());
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
