/**
 * The rehearsal's config (test/e2e/testnet.test.ts; kept out of test/, where `hardhat test` loads every .ts file
 * as a test file): the project's hardhat.config.ts unchanged (its `sepolia`
 * network is the one docs/testnet.md describes), with only the places a run writes to moved into a temporary
 * directory (REHEARSAL_DIR: the Ignition journals and anonify.dataDir), the enclave binary used as built (no implicit
 * incremental build per command), the plain local chain's port (REHEARSAL_LOCALHOST) and, for the chain standing in
 * for the testnet, Hardhat's chain id (REHEARSAL_CHAIN_ID).
 */
import path from "node:path";
import type { HardhatUserConfig } from "hardhat/config";
import base from "../hardhat.config";

const dir = process.env.REHEARSAL_DIR;
if (dir === undefined || dir === "") throw new Error("REHEARSAL_DIR is not set");

const config: HardhatUserConfig = {
  ...base,
  paths: { ...base.paths, root: path.resolve(__dirname, ".."), ignition: path.join(dir, "ignition") },
  // The enclave binary as built (no sources given: the tasks only check it exists, never rebuild it meanwhile).
  anonify: {
    ...base.anonify,
    dataDir: path.join(dir, ".anonify"),
    enclave: { sourceDir: path.join(dir, "no-enclave-sources"), buildDir: path.resolve(__dirname, "..", "enclave", "build") },
  },
  networks: {
    ...base.networks,
    hardhat: { ...base.networks?.hardhat, chainId: Number(process.env.REHEARSAL_CHAIN_ID ?? "31337") },
    // The plain local chain runs on a free port, not 8545.
    localhost: { url: process.env.REHEARSAL_LOCALHOST ?? "http://127.0.0.1:8545" },
  },
};

export default config;
