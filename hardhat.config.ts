import type { HardhatUserConfig } from "hardhat/config";
import "@nomicfoundation/hardhat-toolbox";
// This repository loads its own plugin exactly as a user's project would load `hardhat-anonify`.
import "./src";
import { bundledSolcVersion } from "./src/solc";

const config: HardhatUserConfig = {
  solidity: {
    compilers: [
      {
        version: bundledSolcVersion().version,
        settings: { optimizer: { enabled: true, runs: 10_000 }, evmVersion: "prague", viaIR: false },
      },
    ],
    overrides: {
      // At 10,000 runs IasVerifier exceeds the 24,576-byte code size limit (EIP-170); 5,000 keeps it under with
      // room to spare, at a negligible cost per verification (bench/RESULTS.md).
      "contracts/attestation/IasVerifier.sol": {
        version: bundledSolcVersion().version,
        settings: { optimizer: { enabled: true, runs: 5_000 }, evmVersion: "prague", viaIR: false },
      },
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
