import type { HardhatUserConfig } from "hardhat/config";
import "@nomicfoundation/hardhat-toolbox";
// This repository loads its own plugin exactly as a user's project would load `hardhat-anonify`.
import "./src";
import { bundledSolcVersion } from "./src/solc";

const config: HardhatUserConfig = {
  solidity: {
    version: bundledSolcVersion().version,
    settings: {
      optimizer: { enabled: true, runs: 10_000 },
      evmVersion: "prague",
      viaIR: false,
    },
  },
  networks: {
    hardhat: {
      // osaka is Hardhat's default; stated so the gas figures say what they were measured on.
      hardfork: "osaka",
      allowUnlimitedContractSize: false,
    },
  },
  paths: {
    ignition: "deploy",
  },
  mocha: {
    timeout: 120_000,
  },
  gasReporter: {
    enabled: process.env.REPORT_GAS === "true",
  },
  anonify: {
    mode: "simulation",
  },
};

export default config;
