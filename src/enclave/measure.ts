/**
 * The measurement a deployment must pin for the project's enclave (`anonify:measure`): in simulation the binary's
 * own measurement as its `status` reports it (built first, with the project's runtimes); in sgx mode MRENCLAVE of
 * the Gramine-signed package, read from its SIGSTRUCT with Gramine's `gramine-sgx-sigstruct-view`.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { AnonifyPluginError } from "../errors";
import { configuredEnclaveStatus } from "../node/deployment";

export interface EnclaveMeasurement {
  mode: "simulation" | "sgx";
  binary: string;
  mrenclave: string;
  /** The runtimes the binary carries (simulation; an sgx binary runs only under Gramine, so none are listed). */
  runtimes: string[];
}

/** The signed package's SIGSTRUCT, written by `gramine-sgx-sign` next to the binary (enclave/scripts/build-sgx.sh). */
export function sigstructPath(binary: string): string {
  return path.join(path.dirname(binary), "anonify-enclave.sig");
}

export async function measureEnclave(hre: HardhatRuntimeEnvironment): Promise<EnclaveMeasurement> {
  const config = hre.config.anonify;
  if (config.mode === "simulation") {
    const status = await configuredEnclaveStatus(hre);
    return { mode: "simulation", binary: config.enclave.binary, mrenclave: status.mrenclave, runtimes: status.runtimes };
  }
  const sig = sigstructPath(config.enclave.binary);
  if (!fs.existsSync(sig)) {
    throw new AnonifyPluginError(
      `sgx mode: MRENCLAVE is that of the Gramine-signed package, and ${sig} does not exist. Build and sign it where Gramine ` +
        "is installed with `enclave/scripts/build-sgx.sh` (npm run enclave:sgx), which prints MRENCLAVE; then run anonify:measure again",
    );
  }
  const view = spawnSync("gramine-sgx-sigstruct-view", ["--output-format", "json", sig], { encoding: "utf8" });
  if (view.error !== undefined || view.status !== 0) {
    throw new AnonifyPluginError(
      `sgx mode: reading ${sig} needs Gramine's gramine-sgx-sigstruct-view (${view.error?.message ?? (view.stderr.trim() || `exit ${view.status}`)}); ` +
        "install Gramine (https://gramine.readthedocs.io) or take MRENCLAVE from build-sgx.sh's output",
    );
  }
  let mrenclave: unknown;
  try {
    mrenclave = (JSON.parse(view.stdout) as { mr_enclave?: unknown }).mr_enclave;
  } catch {
    mrenclave = undefined;
  }
  if (typeof mrenclave !== "string" || !/^(0x)?[0-9a-fA-F]{64}$/.test(mrenclave)) {
    throw new AnonifyPluginError(`sgx mode: gramine-sgx-sigstruct-view printed no mr_enclave for ${sig}`);
  }
  return { mode: "sgx", binary: config.enclave.binary, mrenclave: `0x${mrenclave.replace(/^0x/, "").toLowerCase()}`, runtimes: [] };
}
