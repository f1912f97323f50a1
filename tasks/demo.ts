import { scope, task } from "hardhat/config";
import type { ConfigurableTaskDefinition, HardhatRuntimeEnvironment } from "hardhat/types";

/** `anonify:demo` (and `anonify demo`): the whole flow on a local chain, in one command. */
export const DEMO_TASK = "anonify:demo";
const DESCRIPTION =
  "Run the Anonify demo: deploy (development IAS), 3 TEE nodes in simulation, confidential token among 3 users, key rotation, member removal, agreement, gas, no plaintext on chain";

export interface DemoTaskArgs {
  keep: boolean;
}

function define(t: ConfigurableTaskDefinition): void {
  t.addFlag("keep", "Keep the temporary data directories (printed) instead of deleting them").setAction(async (args: DemoTaskArgs, hre: HardhatRuntimeEnvironment) => {
    const { runDemo } = await import("../src/client/demo");
    const { ensureEnclaveBuilt } = await import("../src/enclave/build");
    await ensureEnclaveBuilt(hre.config.anonify);
    const result = await runDemo(hre, { keepDataDirs: args.keep });
    if (!result.ok) process.exitCode = 1;
    return result;
  });
}

define(task(DEMO_TASK, DESCRIPTION));
define(scope("anonify", "Anonify: confidential state over a public chain with SGX enclaves").task("demo", DESCRIPTION));
