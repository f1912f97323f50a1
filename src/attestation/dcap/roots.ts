/**
 * DCAP trust anchors Anonify ships: the Intel SGX Root CA (P-256, valid to 2049) that every PCK and TCB
 * Signing chain must end in, and the TCB Signing issuer chain (TCB Signing certificate, root) as the PCS
 * returns it in `TCB-Info-Issuer-Chain` / `SGX-Enclave-Identity-Issuer-Chain`.
 */
import { attestationAssetPath } from "../roots";
import fs from "node:fs";
import { DEV_PKI_FILES, readDevPkiFile } from "./devPki";

export const INTEL_SGX_ROOT_CA_FILE = "certs/intel_sgx_root_ca.der";
export const INTEL_TCB_SIGNING_CHAIN_FILE = "certs/intel_sgx_tcb_signing_chain.pem";

/** DER of "Intel SGX Root CA". */
export function intelSgxRootCaDer(): Buffer {
  return fs.readFileSync(attestationAssetPath(INTEL_SGX_ROOT_CA_FILE));
}

/** PEM of the TCB Signing chain (TCB Signing certificate valid 2025-05-06 .. 2032-05-06, then the root). */
export function intelTcbSigningChainPem(): Buffer {
  return fs.readFileSync(attestationAssetPath(INTEL_TCB_SIGNING_CHAIN_FILE));
}

/** Which root a DCAP deployment pins: Intel's SGX Root CA, or the development PCS's SIMULATION root (devPki.ts). */
export type DcapRootName = "intel" | "simulation";

/** The DER of the root `root` names (the SIMULATION root is read from the committed development PKI). */
export function dcapRootDer(root: DcapRootName): Buffer {
  if (root === "intel") return intelSgxRootCaDer();
  if (root === "simulation") return readDevPkiFile(DEV_PKI_FILES.rootDer);
  throw new RangeError(`a DCAP root is "intel" or "simulation", got ${JSON.stringify(root)}`);
}
