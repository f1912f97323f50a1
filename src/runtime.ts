import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { AttestationRuntime } from "./attestation/runtime";
import type { AnonifyConfig } from "./config";

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
}
