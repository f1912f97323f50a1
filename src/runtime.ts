import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { AnonifyConfig } from "./config";

/**
 * `hre.anonify`: the plugin's entry point for scripts, tasks and tests.
 * Each area (attestation, deployment, nodes, clients) hangs off this object.
 */
export class AnonifyRuntime {
  constructor(private readonly hre: HardhatRuntimeEnvironment) {}

  get config(): AnonifyConfig {
    return this.hre.config.anonify;
  }
}
