import "hardhat/types/config";
import "hardhat/types/runtime";
// `hre.ethers` and `hre.ignition`, which the plugin uses (src/index.ts loads both plugins), typed by them.
import type {} from "@nomicfoundation/hardhat-ethers";
import type {} from "@nomicfoundation/hardhat-ignition-ethers";
import type { AnonifyConfig, AnonifyNetworkUserConfig, AnonifyUserConfig } from "./config";
import type { AnonifyRuntime } from "./runtime";

declare module "hardhat/types/config" {
  interface HardhatUserConfig {
    anonify?: AnonifyUserConfig;
  }
  interface HardhatConfig {
    anonify: AnonifyConfig;
  }
  /** `networks.<name>.anonify`: merged over the top-level `anonify` section when the network is selected. */
  interface HardhatNetworkUserConfig {
    anonify?: AnonifyNetworkUserConfig;
  }
  interface HttpNetworkUserConfig {
    anonify?: AnonifyNetworkUserConfig;
  }
  /** The network's resolved settings (top level merged with its own section), when it has a section. */
  interface HardhatNetworkConfig {
    anonify?: AnonifyConfig;
  }
  interface HttpNetworkConfig {
    anonify?: AnonifyConfig;
  }
}

declare module "hardhat/types/runtime" {
  interface HardhatRuntimeEnvironment {
    anonify: AnonifyRuntime;
  }
}
