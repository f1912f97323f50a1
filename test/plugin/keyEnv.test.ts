/**
 * Operator keys from the environment (issue 15 item 9): every task that signs takes `--key-env VAR` (one helper,
 * tasks/signer.ts), so no key ever has to be written into a file. The deploy with a key from the environment runs in
 * test/e2e/testnet.test.ts.
 */
import { expect } from "chai";
import hre from "hardhat";
import { AnonifyPluginError } from "../../src/errors";

const SIGNING_TASKS = [
  "anonify:deploy",
  "anonify:node",
  "anonify:rotate",
  "anonify:remove",
  "anonify:policy-change",
  "anonify:init-token",
  "anonify:mint",
  "anonify:transfer",
  "anonify:approve",
  "anonify:burn",
  "anonify:transfer-from",
  "anonify:send",
  "anonify:collateral",
];

describe("plugin: --key-env on every task that signs", function () {
  it("is a parameter of each signing task, under both names", function () {
    for (const name of SIGNING_TASKS) {
      expect(hre.tasks[name]?.paramDefinitions.keyEnv, name).to.not.equal(undefined);
      const scoped = hre.scopes.anonify.tasks[name.slice("anonify:".length)];
      expect(scoped?.paramDefinitions.keyEnv, `anonify ${name.slice(8)}`).to.not.equal(undefined);
    }
  });

  it("anonify:deploy --key-env: an unset variable, a non-key and the in-process network are refused before anything is sent", async function () {
    const before = await hre.ethers.provider.getBlockNumber();
    const error = async (env: string | undefined) => {
      if (env === undefined) delete process.env.ANONIFY_TEST_DEPLOYER_KEY;
      else process.env.ANONIFY_TEST_DEPLOYER_KEY = env;
      try {
        return await hre.run("anonify:deploy", { keyEnv: "ANONIFY_TEST_DEPLOYER_KEY" }).then(() => undefined, (e: unknown) => e as Error);
      } finally {
        delete process.env.ANONIFY_TEST_DEPLOYER_KEY;
      }
    };
    const unset = await error(undefined);
    expect(unset).to.be.instanceOf(AnonifyPluginError);
    expect(unset?.message).to.include("--key-env ANONIFY_TEST_DEPLOYER_KEY: the environment variable is not set");
    expect((await error("not a key"))?.message).to.include("does not hold a secp256k1 private key");
    const inProcess = await error(`0x${"11".repeat(32)}`);
    expect(inProcess?.message).to.include("the in-process network has its own funded accounts");
    expect(await hre.ethers.provider.getBlockNumber()).to.equal(before);
  });
});
