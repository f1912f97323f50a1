/**
 * The trust anchors Anonify ships: Intel's IAS Report Signing CA (production) and the SIMULATION
 * development-IAS CA, each with its RSA-2048 report-signing leaf, plus the key id both the contract
 * and the TypeScript verifier use to name a signing key.
 */
import fs from "node:fs";
import path from "node:path";
import { X509Certificate } from "node:crypto";
import { keccak_256 } from "@noble/hashes/sha3.js";

/** Which CA a deployment pins (matches `anonify.iasRootCa` in the Hardhat config). */
export type TrustAnchor = "intel" | "simulation";

export const INTEL_CA_FILE = "certs/intel_sgx_attestation_report_signing_ca.der";
export const INTEL_LEAF_FILE = "certs/intel_sgx_attestation_report_signing_leaf.der";
export const SIMULATION_CA_FILE = "simulation/simulation_ca.der";
export const SIMULATION_LEAF_FILE = "simulation/simulation_signing.der";
export const SIMULATION_CA_KEY_FILE = "simulation/simulation_ca.key.pem";
export const SIMULATION_LEAF_KEY_FILE = "simulation/simulation_signing.key.pem";

/**
 * Locates a file shipped under `src/attestation/`: beside this module under ts-node, or in the
 * package's `src/` tree when running the compiled `dist/` build (tsc does not copy binary assets).
 */
export function attestationAssetPath(relative: string): string {
  const candidates = [path.join(__dirname, relative), path.resolve(__dirname, "..", "..", "..", "src", "attestation", relative)];
  const found = candidates.find((p) => fs.existsSync(p));
  if (found === undefined) throw new Error(`attestation asset ${relative} not found; looked in: ${candidates.join(", ")}`);
  return found;
}

function readAsset(relative: string): Buffer {
  return fs.readFileSync(attestationAssetPath(relative));
}

/** DER of "Intel SGX Attestation Report Signing CA" (RSA-3072, valid to 2049). */
export function intelCaDer(): Buffer {
  return readAsset(INTEL_CA_FILE);
}

/** DER of Intel's report-signing leaf (RSA-2048; expired 2026-11-20, judged at each report's timestamp). */
export function intelLeafDer(): Buffer {
  return readAsset(INTEL_LEAF_FILE);
}

/** DER of the SIMULATION development-IAS CA. Public key material: never pin it in production. */
export function simulationCaDer(): Buffer {
  return readAsset(SIMULATION_CA_FILE);
}

/** DER of the SIMULATION development-IAS report-signing leaf. */
export function simulationLeafDer(): Buffer {
  return readAsset(SIMULATION_LEAF_FILE);
}

export function caDerOf(anchor: TrustAnchor): Buffer {
  return anchor === "intel" ? intelCaDer() : simulationCaDer();
}

export function leafDerOf(anchor: TrustAnchor): Buffer {
  return anchor === "intel" ? intelLeafDer() : simulationLeafDer();
}

export interface RsaPublicKey {
  /** Big-endian modulus without a leading zero byte (what OpenZeppelin `RSA` and the key id take). */
  modulus: Uint8Array;
  /** Big-endian public exponent without leading zero bytes. */
  exponent: Uint8Array;
  /** Modulus length in bits. */
  bits: number;
}

/** The RSA public key of a certificate (DER or PEM); throws when the key is not RSA. */
export function rsaPublicKeyOf(certificate: Uint8Array | X509Certificate): RsaPublicKey {
  const cert = certificate instanceof X509Certificate ? certificate : new X509Certificate(Buffer.from(certificate));
  const key = cert.publicKey;
  if (key.asymmetricKeyType !== "rsa") throw new Error(`certificate key is ${key.asymmetricKeyType}, not RSA`);
  const jwk = key.export({ format: "jwk" });
  const modulus = stripLeadingZeros(Buffer.from(jwk.n as string, "base64url"));
  const exponent = stripLeadingZeros(Buffer.from(jwk.e as string, "base64url"));
  return { modulus, exponent, bits: bitLength(modulus) };
}

function stripLeadingZeros(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return Uint8Array.from(bytes.subarray(i));
}

function bitLength(bigEndian: Uint8Array): number {
  if (bigEndian.length === 0) return 0;
  return (bigEndian.length - 1) * 8 + (32 - Math.clz32(bigEndian[0]));
}

/** keccak256 of the modulus without its leading zero byte: the id of a signing key, on chain and off. */
export function keyIdOf(modulus: Uint8Array): string {
  return "0x" + Buffer.from(keccak_256(stripLeadingZeros(modulus))).toString("hex");
}

/** Key id of a signing certificate (DER or PEM). */
export function keyIdOfCertificate(certificate: Uint8Array | X509Certificate): string {
  return keyIdOf(rsaPublicKeyOf(certificate).modulus);
}
