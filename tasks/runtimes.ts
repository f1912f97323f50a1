/**
 * Your own runtimes (issue 14 items 3 and 4): `anonify:new-runtime <name>` scaffolds one, `anonify:test-runtimes`
 * builds and runs their C++ tests, `anonify:measure` prints the measurement a deployment must pin for the enclave
 * built with them. Each is registered as `anonify:<name>` and in the `anonify` scope.
 */
import path from "node:path";
import { scope, task } from "hardhat/config";
import type { ConfigurableTaskDefinition, HardhatRuntimeEnvironment } from "hardhat/types";
import { ANONIFY_SCOPE } from "./verify-report";
import { pluginErrors } from "./pluginErrors";

function both(name: string, description: string, define: (t: ConfigurableTaskDefinition) => void): void {
  define(task(`anonify:${name}`, description));
  define(scope(ANONIFY_SCOPE).task(name, description));
}

both("new-runtime", "Scaffold a state runtime in enclave-runtimes/<name>/ (C++ source, its GoogleTest file, TypeScript types) and a Hardhat test of it", (t) =>
  t
    .addPositionalParam("name", "The runtime's directory name (1..32 of a-z 0-9 -, e.g. notes); its runtime name is <name>/v1")
    .addFlag("force", "Replace files that already exist")
    .setAction(
      pluginErrors(async (args: { name: string; force: boolean }, hre: HardhatRuntimeEnvironment) => {
        const { scaffoldRuntime } = await import("../src/scaffold/runtime");
        const result = scaffoldRuntime(hre.config.paths.root, args.name, { force: args.force });
        for (const file of result.written) console.log(`${result.overwritten.includes(file) ? "replaced" : "created "} ${file}`);
        console.log(`\nThe runtime "${result.names.runtime}" (${result.names.className}) is compiled into your enclave from enclave-runtimes/${args.name}/.`);
        console.log("Next:");
        console.log(`  npx hardhat test test/${args.name}.test.ts      builds the enclave with it, runs its C++ tests and a group on the in-process network`);
        console.log("  npx hardhat anonify:measure                    the measurement a deployment of that enclave pins");
        console.log(`  npx hardhat anonify:deploy --runtime ${result.names.runtime}`);
        return result;
      }),
    ),
);

both("test-runtimes", "Build and run the GoogleTest files (*_test.cpp) of the project's runtimes (anonify.runtimes)", (t) =>
  t.addOptionalParam("filter", "A GoogleTest filter, e.g. 'NotesRuntime.*'").setAction(
    pluginErrors(async (args: { filter?: string }, hre: HardhatRuntimeEnvironment) => {
      const { testRuntimes } = await import("../src/enclave/build");
      const passed = await testRuntimes(hre.config.anonify, { filter: args.filter, log: (line) => console.log(line) });
      console.log(`anonify: ${passed} runtime test${passed === 1 ? "" : "s"} passed`);
      return passed;
    }),
  ),
);

/** What `anonify:measure` reports. */
export interface MeasureResult {
  mode: "simulation" | "sgx";
  binary: string;
  /** The measurement to pin (`--mrenclave` of anonify:deploy; the group's allowlist). */
  mrenclave: string;
  /** The runtimes the binary carries. */
  runtimes: string[];
}

both("measure", "Build the enclave (with the project's runtimes) and print the measurement a deployment must pin", (t) =>
  t.addFlag("json", "Print the result as JSON").setAction(
    pluginErrors(async (args: { json: boolean }, hre: HardhatRuntimeEnvironment): Promise<MeasureResult> => {
      const config = hre.config.anonify;
      const { measureEnclave } = await import("../src/enclave/measure");
      const result = await measureEnclave(hre);
      if (args.json) {
        console.log(JSON.stringify(result, null, 2));
        return result;
      }
      console.log(`mode       ${result.mode}${result.mode === "simulation" ? " (the binary's hash: what simulation nodes attest; never valid under Intel's CA)" : ""}`);
      console.log(`binary     ${path.relative(process.cwd(), result.binary) || result.binary}`);
      console.log(`runtimes   ${result.runtimes.join(", ")}`);
      console.log(`mrenclave  ${result.mrenclave}`);
      if (config.runtimes.length > 0) console.log(`project runtimes from ${config.runtimes.map((d) => path.relative(process.cwd(), d) || d).join(", ")}`);
      return result;
    }),
  ),
);
