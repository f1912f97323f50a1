import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { AttestationRuntime } from "./attestation/runtime";
import type { AnonifyConfig } from "./config";
import { startConfiguredEnclave, type EnclaveProcess, type EnclaveProcessOptions } from "./enclave";

/**
 * `hre.anonify`: the plugin's entry point for scripts, tasks and tests.
 * Each area (attestation, deployment, nodes, clients) hangs off this object.
 */
export class AnonifyRuntime {
  /** IAS report verification under the project's trust anchor and policy, the development IAS, verifier deployment. */
  readonly attestation: AttestationRuntime;

  constructor(private readonly hre: HardhatRuntimeEnvironment) {
    this.attestation = new AttestationRuntime(hre);
  }

  get config(): AnonifyConfig {
    return this.hre.config.anonify;
  }

  /**
   * Starts an enclave process as `anonify.mode` and `anonify.enclave.binary` describe (natively in
   * simulation, under `gramine-sgx` in sgx mode). Build it first with `npm run enclave:build`.
   */
  startEnclave(options: Omit<EnclaveProcessOptions, "binary" | "mode"> = {}): Promise<EnclaveProcess> {
    return startConfiguredEnclave(this.config, options);
  }
}
