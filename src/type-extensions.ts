import "hardhat/types/config";
import "hardhat/types/runtime";
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
