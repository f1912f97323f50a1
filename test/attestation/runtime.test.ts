import { expect } from "chai";
import hre from "hardhat";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { AttestationRuntime, verifyReportOnchain, registerSigningCertificateOnchain, simulationLeafDer } from "../../src/attestation";
import { expectIasError } from "./assertions";
import { vectorNamed } from "./iasVectors";

describe("attestation: AttestationRuntime (hre.anonify.attestation)", function () {
  const runtime = new AttestationRuntime(hre);
  const mrenclave = new Uint8Array(32).fill(0x42);

  it("takes the trust anchor and policy from the anonify config (simulation mode: simulation CA, only OK, no debug)", function () {
    expect(runtime.trustAnchor).to.equal("simulation");
    expect(runtime.policy).to.deep.equal({ allowedStatuses: ["OK"], allowDebug: false, maxReportAge: 0 });
  });

  it("verifies development-IAS reports under the project's policy and MRENCLAVE list", function () {
    const r = runtime.developmentIas().attest({ mrenclave, reportData: new Uint8Array(64) });
    expect(runtime.verifyReport(r.report, r.signature).mrenclave).to.equal("0x" + "42".repeat(32));
    expectIasError(() => runtime.verifyReport(r.report, r.signature, { allowedMrenclaves: ["0x" + "43".repeat(32)] }), "MrenclaveNotAllowed", ["0x" + "42".repeat(32)]);
    const debug = runtime.developmentIas().attest({ mrenclave, reportData: new Uint8Array(64), debug: true });
    expectIasError(() => runtime.verifyReport(debug.report, debug.signature), "DebugEnclaveNotAllowed", ["0x" + "42".repeat(32)]);
  });

  it("does not accept Intel-signed reports under the simulation CA", function () {
    const v = vectorNamed("powersoftau_");
    expectIasError(() => runtime.verifyReport(v.report, v.signature), "ReportSignatureInvalid");
  });

  it("deploys an IasVerifier pinned to the project's CA with the project's policy", async function () {
    const verifier = await runtime.deployVerifier();
    const { keyId } = await registerSigningCertificateOnchain(verifier, simulationLeafDer());
    const r = runtime.developmentIas().attest({ mrenclave, reportData: new Uint8Array(64), debug: true });
    expect(await verifyReportOnchain(verifier, keyId, r.report, r.signature)).to.deep.equal({
      valid: false,
      error: { code: "DebugEnclaveNotAllowed", args: ["0x" + "42".repeat(32)] },
    });
  });

  it("refuses the development IAS in sgx mode", function () {
    const sgx = { config: { anonify: { ...hre.config.anonify, mode: "sgx", iasRootCa: "intel" } } } as unknown as HardhatRuntimeEnvironment;
    expect(() => new AttestationRuntime(sgx).developmentIas()).to.throw(/not available in mode "sgx"/);
    expect(new AttestationRuntime(sgx).trustAnchor).to.equal("intel");
  });
});
