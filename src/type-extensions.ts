import "hardhat/types/config";
import "hardhat/types/runtime";
// `hre.ethers` and `hre.ignition`, which the plugin uses (src/index.ts loads both plugins), typed by them.
import type {} from "@nomicfoundation/hardhat-ethers";
import type {} from "@nomicfoundation/hardhat-ignition-ethers";
import type { AnonifyConfig, AnonifyUserConfig } from "./config";
import type { AnonifyRuntime } from "./runtime";

declare module "hardhat/types/config" {
  interface HardhatUserConfig {
    anonify?: AnonifyUserConfig;
  }
  interface HardhatConfig {
    anonify: AnonifyConfig;
  }
}

declare module "hardhat/types/runtime" {
  interface HardhatRuntimeEnvironment {
    anonify: AnonifyRuntime;
  }
}
