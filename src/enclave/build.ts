/**
 * Incremental enclave build before anything starts a node, so a node never runs a binary older than
 * its sources (in simulation its MRENCLAVE is the binary's hash, so a stale binary would also attest
 * as a different enclave than the one just built).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { AnonifyConfig } from "../config";
import { AnonifyPluginError } from "../errors";

/**
 * Runs `<sourceDir>/scripts/build.sh release` (CMake, incremental) in simulation mode and checks the
 * binary exists afterwards. SGX builds are signed with `npm run enclave:sgx` instead, never implicitly.
 * A project without the enclave sources (a prebuilt binary) only gets the existence check.
 */
export function ensureEnclaveBuilt(config: AnonifyConfig, log: (line: string) => void = (l) => console.error(l)): void {
  const script = path.join(config.enclave.sourceDir, "scripts", "build.sh");
  const defaultBuildDir = path.join(config.enclave.sourceDir, "build");
  if (config.mode === "simulation" && fs.existsSync(script) && config.enclave.buildDir === defaultBuildDir) {
    log(`building the enclave (incremental): ${path.relative(process.cwd(), script) || script} release`);
    const result = spawnSync("bash", [script, "release"], { stdio: ["ignore", "ignore", "inherit"], encoding: "utf8" });
    if (result.error !== undefined || result.status !== 0) {
      throw new AnonifyPluginError(
        `the enclave build failed (${result.error?.message ?? `exit ${result.status}`}); run \`npm run enclave:build\` to see why`,
      );
    }
  }
  if (!fs.existsSync(config.enclave.binary)) {
    throw new AnonifyPluginError(
      `the enclave binary ${config.enclave.binary} does not exist: run \`npm run enclave:build\` (simulation) or \`npm run enclave:sgx\` (sgx)`,
    );
  }
}
