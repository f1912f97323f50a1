import { scope, task } from "hardhat/config";
import type { ConfigurableTaskDefinition, HardhatRuntimeEnvironment } from "hardhat/types";
import { AnonifyPluginError } from "../src/errors";

/** `anonify:demo` (and `anonify demo`): the whole flow on a local chain, in one command. */
export const DEMO_TASK = "anonify:demo";
const DESCRIPTION =
  "Run the Anonify demo: deploy (DCAP with the development PCS, or --attestation ias), 3 TEE nodes in simulation, confidential token among 3 users, key rotation, member removal, agreement, gas, no plaintext on chain";

export interface DemoTaskArgs {
  keep: boolean;
  attestation: string;
}

function define(t: ConfigurableTaskDefinition): void {
  t.addFlag("keep", "Keep the temporary data directories (printed) instead of deleting them")
    .addOptionalParam("attestation", 'The evidence the group admits: "dcap" (default; development QE and PCS) or "ias" (development IAS)', "dcap")
    .setAction(async (args: DemoTaskArgs, hre: HardhatRuntimeEnvironment) => {
      if (args.attestation !== "dcap" && args.attestation !== "ias") {
        throw new AnonifyPluginError(`--attestation must be "dcap" or "ias", got ${JSON.stringify(args.attestation)}`);
      }
      const { runDemo } = await import("../src/client/demo");
      const { ensureEnclaveBuilt } = await import("../src/enclave/build");
      await ensureEnclaveBuilt(hre.config.anonify);
      const result = await runDemo(hre, { keepDataDirs: args.keep, attestation: args.attestation });
      if (!result.ok) process.exitCode = 1;
      return result;
    });
}

define(task(DEMO_TASK, DESCRIPTION));
define(scope("anonify", "Anonify: confidential state over a public chain with SGX enclaves").task("demo", DESCRIPTION));
