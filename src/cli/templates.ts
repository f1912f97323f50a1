/**
 * The files `npx hardhat-anonify init` writes into a user's project: a Hardhat 2 TypeScript project that loads
 * `hardhat-anonify` and the toolbox, and an example test that runs the whole path (group on the in-process
 * network, simulation node, token command through the client).
 */

export const CONFIG_FILE = "hardhat.config.ts";
export const TSCONFIG_FILE = "tsconfig.json";
export const GITIGNORE_FILE = ".gitignore";
export const EXAMPLE_TEST_FILE = "test/anonify.test.ts";

export const HARDHAT_CONFIG = `import type { HardhatUserConfig } from "hardhat/config";
import "@nomicfoundation/hardhat-toolbox";
import "hardhat-anonify";

const config: HardhatUserConfig = {
  // Your contracts' compiler settings: hardhat-anonify deploys its own contracts from prebuilt artifacts,
  // so any version and EVM target works here.
  solidity: "0.8.30",
  anonify: {
    // Enclaves run natively with the SIMULATION development IAS; "sgx" runs them under Gramine-SGX.
    mode: "simulation",
  },
};

export default config;
`;

/** Hardhat's own TypeScript project settings (what \`npx hardhat init\` writes for a TypeScript project). */
export const TSCONFIG = `{
  "compilerOptions": {
    "target": "es2020",
    "module": "commonjs",
    "esModuleInterop": true,
    "forceConsistentCasingInFileNames": true,
    "strict": true,
    "skipLibCheck": true,
    "resolveJsonModule": true
  }
}
`;

/** Lines the project's .gitignore must hold (appended to an existing file when missing). */
export const GITIGNORE_LINES = [
  "node_modules",
  ".env",
  "artifacts",
  "cache",
  "coverage",
  "coverage.json",
  "typechain-types",
  "ignition/deployments/chain-31337",
  "# hardhat-anonify: the enclave build and the nodes' sealed state",
  ".anonify/",
];

export const EXAMPLE_TEST = `import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import hre from "hardhat";
import { client } from "hardhat-anonify";

describe("Anonify: a confidential token on the in-process network", function () {
  before(async function () {
    // The first run builds the enclave from the hardhat-anonify sources into .anonify/enclave-build (a few
    // minutes); later runs only rebuild what changed.
    this.timeout(30 * 60_000);
    await hre.anonify.buildEnclave();
  });

  it("deploys a group, starts a simulation node and sends token commands through the client", async function () {
    this.timeout(5 * 60_000);
    // Deployment record and the node's sealed state live in a fresh folder: the in-process chain is new each run.
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "anonify-example-"));
    const signers = await hre.ethers.getSigners();
    const [alice, bob] = signers;
    // The node runs under its own account (the tenth), which the group admits as an operator: only operators
    // may join enclaves to a group (the deployer is the only operator by default).
    const nodeAccount = 9;
    const deployment = await hre.anonify.deploy({ dataDir, operators: [await signers[nodeAccount].getAddress()] });
    const node = await hre.anonify.startNode({ dataDir, account: nodeAccount });
    try {
      const aliceClient = await hre.anonify.client({ nodeUrl: node.url!, signer: alice, group: deployment.group });
      const bobClient = await hre.anonify.client({ nodeUrl: node.url!, signer: bob, group: deployment.group });
      // The client checks the node's enclave against its on-chain attestation before it encrypts anything.
      await aliceClient.verifyEnclave();

      expect((await (await aliceClient.init("Example Token", "EXT", 1000n)).wait()).status).to.equal("applied");
      await (await aliceClient.transfer(await bob.getAddress(), 250n)).wait();
      expect(await aliceClient.balanceOf()).to.equal(750n);
      expect(await bobClient.balanceOf()).to.equal(250n);

      // The node's enclave refuses a transfer beyond the balance before anything is posted; nothing changes.
      const refused = await bobClient.transfer(await alice.getAddress(), 1_000n).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused).to.be.instanceOf(client.CommandRefusedError);
      expect((refused as InstanceType<typeof client.CommandRefusedError>).reason).to.equal("insufficient balance");
      expect(await bobClient.balanceOf()).to.equal(250n);
    } finally {
      await node.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
`;
