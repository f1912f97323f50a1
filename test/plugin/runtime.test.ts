import { expect } from "chai";
import fs from "node:fs";
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
});
