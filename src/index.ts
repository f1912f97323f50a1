// The plugins `hre.anonify` builds on (`hre.ethers`, `hre.ignition`); hardhat-toolbox loads them too.
import "@nomicfoundation/hardhat-ethers";
import "@nomicfoundation/hardhat-ignition-ethers";
import { extendConfig, extendEnvironment } from "hardhat/config";
import { lazyObject } from "hardhat/plugins";
import "./type-extensions";
import "./solc";
import { extendAnonifyConfig, selectNetworkAnonifyConfig } from "./config";
import { AnonifyRuntime } from "./runtime";
import "../tasks";

extendConfig(extendAnonifyConfig);

extendEnvironment((hre) => {
  // The selected network's `networks.<name>.anonify` settings (merged over the top level) are the ones in force.
  hre.config.anonify = selectNetworkAnonifyConfig(hre.config, hre.network.name);
  hre.anonify = lazyObject(() => new AnonifyRuntime(hre));
});

export * from "./config";
export * from "./errors";
export { AnonifyRuntime } from "./runtime";
export { anonifyArtifact, SHIPPED_CONTRACTS, type ShippedContract } from "./package/artifacts";
export * as attestation from "./attestation";
export * as enclave from "./enclave";
export * as node from "./node";
export * as client from "./client";
export * as runtimes from "./runtimes";
