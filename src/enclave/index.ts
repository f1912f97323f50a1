/** Host side of the enclave: protocol types, the enclave process driver, the Gramine manifest renderer. */
import type { AnonifyConfig } from "../config";
import { EnclaveProcess, type EnclaveProcessOptions } from "./EnclaveProcess";

export * from "./protocol";
export * from "./EnclaveProcess";
export * from "./manifest";
export * from "./build";

/** Starts the enclave the plugin config describes (`anonify.mode`, `anonify.enclave.binary`). */
export function startConfiguredEnclave(
  config: AnonifyConfig,
  options: Omit<EnclaveProcessOptions, "binary" | "mode"> = {},
): Promise<EnclaveProcess> {
  return EnclaveProcess.start({ binary: config.enclave.binary, mode: config.mode, ...options });
}
