import path from "node:path";
import fs from "node:fs";
import type { HardhatConfig, HardhatUserConfig } from "hardhat/types";
import { AnonifyPluginError } from "./errors";
import { isPackageCheckout, packageEnclaveDir } from "./package/paths";
import { runtimeNameProblem, TOKEN_RUNTIME } from "./runtimes/name";

/** How enclaves run: natively with the development IAS (`simulation`) or under Gramine-SGX (`sgx`). */
export type EnclaveMode = "simulation" | "sgx";

/** Which CA a deployment pins for IAS report-signing certificates. */
export type IasRootCa = "intel" | "simulation";

/**
 * The evidence enclaves join with: a DCAP quote (ECDSA, what SGX machines produce today) or an IAS report (EPID,
 * retired by Intel in 2025; kept for historical evidence and cheap simulation groups).
 */
export type AttestationKind = "dcap" | "ias";

export interface AnonifyAttestationPolicyUserConfig {
  /**
   * Statuses accepted: with IAS the isvEnclaveQuoteStatus values (default ["OK"]), with DCAP the TCB statuses of the
   * platform and the QE (default ["UpToDate"]; "Revoked" never).
   */
  allowedStatuses?: string[];
  /** Accept enclaves with the DEBUG attribute. Default: false. Never enable in production. */
  allowDebug?: boolean;
  /** Reject reports older than this many seconds at block.timestamp; 0 disables the check. Default: 86400 (a day) in sgx mode, 0 in simulation. */
  maxReportAgeSeconds?: number;
}

export interface AnonifyUserConfig {
  /** Default: "simulation". */
  mode?: EnclaveMode;
  /** Default: "simulation" in simulation mode, "intel" in sgx mode. A simulation CA is refused in sgx mode. */
  iasRootCa?: IasRootCa;
  /**
   * The evidence a group deployed by `anonify:deploy` admits, and so the one its nodes produce: "dcap" (default in sgx
   * mode) or "ias" (default in simulation: a join costs ~0.2M gas instead of ~1.2M plus the collateral upserts).
   * A node follows its group's verifier (`evidenceKind()`) whatever this says.
   */
  attestation?: AttestationKind;
  /** Intel Attestation Service endpoint and subscription key, used only in sgx mode. */
  ias?: { url?: string; apiKey?: string };
  /**
   * Where DCAP collateral comes from (TCB Info, QE Identity, CRLs; `anonify:collateral`): Intel's PCS or a PCCS,
   * e.g. "https://pccs.example:8081" (with or without "/sgx/certification/v4"). Default: Intel's PCS. The API key is
   * sent as Ocp-Apim-Subscription-Key when set (Intel's PCS does not need one for collateral).
   */
  dcap?: { pcsUrl?: string; apiKey?: string };
  policy?: AnonifyAttestationPolicyUserConfig;
  enclave?: {
    /** CMake source directory of the enclave. Default: the installed package's `enclave/`. */
    sourceDir?: string;
    /**
     * CMake build directory. Default: "<root>/.anonify/enclave-build" (built there from the package's sources on
     * first use); in the package's own checkout "<sourceDir>/build" (`npm run enclave:build`).
     */
    buildDir?: string;
  };
  /** Where TEE nodes keep sealed state. Default: "<root>/.anonify". */
  dataDir?: string;
  /** Blocks an entry must be buried under before a node applies it (anonify:node --confirmations). Default: 0. */
  confirmations?: number;
  /**
   * The state runtime a group deployed by `anonify:deploy` runs (recorded in the contract; `--runtime` overrides it).
   * Must be one the enclave binary carries. Default: "anonify-token/v1", the confidential token.
   */
  runtime?: string;
  /**
   * Your own state runtimes, compiled into the enclave binary (and so into its measurement) beside the package's:
   * directories holding a runtime's C++ sources (`*.cpp`; `*_test.cpp` are its GoogleTest files), each a name under
   * `<root>/enclave-runtimes/` or a path relative to the project root. Default: every directory of
   * `<root>/enclave-runtimes/` (`anonify:new-runtime` creates them there); `[]` builds the package's runtimes only.
   */
  runtimes?: string[];
}

/**
 * Per-network settings, `networks.<name>.anonify` in hardhat.config.ts: merged over the top-level `anonify` section
 * when that network is selected (`--network <name>`). The enclave build and the data dir are the project's.
 */
export type AnonifyNetworkUserConfig = Pick<AnonifyUserConfig, "mode" | "iasRootCa" | "attestation" | "ias" | "dcap" | "policy" | "confirmations">;

/** The fields a network's `anonify` section may set. */
const NETWORK_FIELDS = ["mode", "iasRootCa", "attestation", "ias", "dcap", "policy", "confirmations"] as const;

export interface AnonifyConfig {
  mode: EnclaveMode;
  iasRootCa: IasRootCa;
  attestation: AttestationKind;
  ias: { url: string; apiKey?: string };
  dcap: { pcsUrl: string; apiKey?: string };
  policy: Required<AnonifyAttestationPolicyUserConfig>;
  enclave: { sourceDir: string; buildDir: string; binary: string };
  dataDir: string;
  confirmations: number;
  runtime: string;
  /** Absolute directories of the project's own runtimes (`anonify.runtimes`), in the order given (default: sorted). */
  runtimes: string[];
}

/** Where `anonify:new-runtime` puts a runtime, and where `anonify.runtimes` looks by default. */
export const RUNTIMES_DIR = "enclave-runtimes";

/** The project's runtime directories: `anonify.runtimes` resolved, or every directory of `<root>/enclave-runtimes/`. */
function resolveRuntimeDirs(root: string, configured: unknown, fail: (field: string, message: string) => never): string[] {
  if (configured === undefined) {
    const dir = path.join(root, RUNTIMES_DIR);
    if (!fs.existsSync(dir)) return [];
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith("."))
      .map((e) => path.join(dir, e.name))
      .sort();
  }
  if (!Array.isArray(configured)) fail("runtimes", `must be an array of runtime directories, got ${JSON.stringify(configured)}`);
  const dirs = (configured as unknown[]).map((entry) => {
    if (typeof entry !== "string" || entry.trim() === "") fail("runtimes", `entries must be non-empty strings, got ${JSON.stringify(entry)}`);
    const name = entry as string;
    // A bare name is a directory of enclave-runtimes/; anything with a separator is a path from the project root.
    return /[\\/]/.test(name) || name.startsWith(".") ? path.resolve(root, name) : path.join(root, RUNTIMES_DIR, name);
  });
  const repeated = dirs.find((d, i) => dirs.indexOf(d) !== i);
  if (repeated !== undefined) fail("runtimes", `lists ${repeated} twice`);
  return dirs;
}

/** Default maximum report age in sgx mode (audit F-4): a day. */
export const DEFAULT_SGX_MAX_REPORT_AGE_SECONDS = 86_400;

/** IAS v4 report endpoint (EPID). Intel retired EPID attestation in 2025; kept for deployments that still reach it. */
export const DEFAULT_IAS_URL = "https://api.trustedservices.intel.com/sgx/attestation/v4/report";

/** Intel's Provisioning Certification Service (PCS): the v4 API paths are appended by the PCS client. */
export const DEFAULT_PCS_URL = "https://api.trustedservices.intel.com";

/** The quote statuses IAS documents; anything else in a policy is almost certainly a typo. */
export const KNOWN_QUOTE_STATUSES = [
  "OK",
  "SIGNATURE_INVALID",
  "GROUP_REVOKED",
  "SIGNATURE_REVOKED",
  "KEY_REVOKED",
  "SIGRL_VERSION_MISMATCH",
  "GROUP_OUT_OF_DATE",
  "CONFIGURATION_NEEDED",
  "SW_HARDENING_NEEDED",
  "CONFIGURATION_AND_SW_HARDENING_NEEDED",
] as const;

/** TCB statuses a DCAP policy may accept (TCB Info v3 / QE Identity v2 without "Revoked", which is never accepted). */
export const KNOWN_TCB_STATUSES = [
  "UpToDate",
  "SWHardeningNeeded",
  "ConfigurationNeeded",
  "ConfigurationAndSWHardeningNeeded",
  "OutOfDate",
  "OutOfDateConfigurationNeeded",
] as const;

/**
 * Fills defaults and rejects anything a node could not run with; called from `extendConfig`. `section` names the
 * config section in errors (`networks.<name>.anonify` for a network's merged settings).
 */
export function resolveAnonifyConfig(user: AnonifyUserConfig | undefined, root: string, section = "anonify"): AnonifyConfig {
  const fail = (field: string, problem: string): never => {
    throw new AnonifyPluginError(`Invalid config: ${section}${field === "" ? "" : `.${field}`} ${problem}`);
  };
  const u = user ?? {};
  if (typeof u !== "object" || Array.isArray(u)) fail("", "must be an object");

  const mode = u.mode ?? "simulation";
  if (mode !== "simulation" && mode !== "sgx") fail("mode", `must be "simulation" or "sgx", got ${JSON.stringify(mode)}`);

  const iasRootCa = u.iasRootCa ?? (mode === "sgx" ? "intel" : "simulation");
  if (iasRootCa !== "intel" && iasRootCa !== "simulation") {
    fail("iasRootCa", `must be "intel" or "simulation", got ${JSON.stringify(iasRootCa)}`);
  }
  if (mode === "sgx" && iasRootCa === "simulation") {
    fail("iasRootCa", `is "simulation" but mode is "sgx": a production enclave must be verified under Intel's CA`);
  }

  const attestation = u.attestation ?? (mode === "sgx" ? "dcap" : "ias");
  if (attestation !== "dcap" && attestation !== "ias") fail("attestation", `must be "dcap" or "ias", got ${JSON.stringify(attestation)}`);

  const url = u.ias?.url ?? DEFAULT_IAS_URL;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== "https:" && parsed.protocol !== "http:") throw new Error();
  } catch {
    fail("ias.url", `must be an http(s) URL, got ${JSON.stringify(url)}`);
  }
  if (u.ias?.apiKey !== undefined && (typeof u.ias.apiKey !== "string" || u.ias.apiKey.length === 0)) {
    fail("ias.apiKey", "must be a non-empty string when set");
  }

  const dcap = u.dcap ?? {};
  if (typeof dcap !== "object" || dcap === null || Array.isArray(dcap)) fail("dcap", "must be an object");
  const pcsUrl = dcap.pcsUrl ?? DEFAULT_PCS_URL;
  try {
    const parsed = new URL(pcsUrl);
    if ((parsed.protocol !== "https:" && parsed.protocol !== "http:") || parsed.search !== "" || parsed.hash !== "") throw new Error();
  } catch {
    fail("dcap.pcsUrl", `must be an http(s) URL without query or fragment, got ${JSON.stringify(pcsUrl)}`);
  }
  if (dcap.apiKey !== undefined && (typeof dcap.apiKey !== "string" || dcap.apiKey.length === 0)) {
    fail("dcap.apiKey", "must be a non-empty string when set");
  }

  // IAS quote statuses and DCAP TCB statuses are different vocabularies: a policy is checked against its kind's.
  const known: readonly string[] = attestation === "dcap" ? KNOWN_TCB_STATUSES : KNOWN_QUOTE_STATUSES;
  const allowedStatuses = u.policy?.allowedStatuses ?? [attestation === "dcap" ? "UpToDate" : "OK"];
  if (!Array.isArray(allowedStatuses) || allowedStatuses.length === 0) {
    fail("policy.allowedStatuses", `must be a non-empty array of ${attestation === "dcap" ? "TCB" : "quote"} statuses`);
  }
  for (const s of allowedStatuses) {
    if (!known.includes(s)) {
      const other = attestation === "dcap" ? (KNOWN_QUOTE_STATUSES as readonly string[]).includes(s) : (KNOWN_TCB_STATUSES as readonly string[]).includes(s) || s === "Revoked";
      const hint = other ? ` (${attestation === "dcap" ? "an IAS quote" : "a DCAP TCB"} status, but anonify.attestation is "${attestation}")` : "";
      fail("policy.allowedStatuses", `contains unknown status ${JSON.stringify(s)}${hint}; known: ${known.join(", ")}`);
    }
  }
  if (new Set(allowedStatuses).size !== allowedStatuses.length) fail("policy.allowedStatuses", "lists a status twice");
  const allowDebug = u.policy?.allowDebug ?? false;
  if (typeof allowDebug !== "boolean") fail("policy.allowDebug", "must be a boolean");
  // sgx: a report older than a day no longer admits an enclave (audit F-4); simulation: no limit by default.
  const maxReportAgeSeconds = u.policy?.maxReportAgeSeconds ?? (mode === "sgx" ? DEFAULT_SGX_MAX_REPORT_AGE_SECONDS : 0);
  if (!Number.isSafeInteger(maxReportAgeSeconds) || maxReportAgeSeconds < 0) {
    fail("policy.maxReportAgeSeconds", `must be a non-negative integer (0 = off), got ${JSON.stringify(maxReportAgeSeconds)}`);
  }

  const sourceDir = path.resolve(root, u.enclave?.sourceDir ?? packageEnclaveDir());
  const defaultBuildDir = isPackageCheckout(root) ? path.join(sourceDir, "build") : path.join(root, ".anonify", "enclave-build");
  const buildDir = path.resolve(root, u.enclave?.buildDir ?? defaultBuildDir);
  const dataDir = path.resolve(root, u.dataDir ?? ".anonify");
  const confirmations = u.confirmations ?? 0;
  if (!Number.isSafeInteger(confirmations) || confirmations < 0 || confirmations > 1000) {
    fail("confirmations", `must be a number of blocks in 0..1000, got ${JSON.stringify(confirmations)}`);
  }

  const runtime = u.runtime ?? TOKEN_RUNTIME;
  const runtimeProblem = runtimeNameProblem(runtime);
  if (runtimeProblem !== undefined) fail("runtime", runtimeProblem);
  const runtimes = resolveRuntimeDirs(root, u.runtimes, fail);

  return {
    mode,
    iasRootCa,
    attestation,
    ias: { url, apiKey: u.ias?.apiKey },
    dcap: { pcsUrl, apiKey: dcap.apiKey },
    policy: { allowedStatuses: [...allowedStatuses], allowDebug, maxReportAgeSeconds },
    enclave: { sourceDir, buildDir, binary: path.join(buildDir, "anonify-enclave") },
    dataDir,
    confirmations,
    runtime,
    runtimes,
  };
}

/**
 * A network's settings merged over the top-level section (`ias`, `dcap` and `policy` field by field), validated as a whole;
 * errors name `networks.<name>.anonify`. A field a network may not set is refused.
 */
export function resolveNetworkAnonifyConfig(
  top: AnonifyUserConfig | undefined,
  network: AnonifyNetworkUserConfig | undefined,
  root: string,
  name: string,
): AnonifyConfig {
  const section = `networks.${name}.anonify`;
  if (network === undefined) return resolveAnonifyConfig(top, root);
  if (typeof network !== "object" || network === null || Array.isArray(network)) {
    throw new AnonifyPluginError(`Invalid config: ${section} must be an object`);
  }
  for (const key of Object.keys(network)) {
    if (!(NETWORK_FIELDS as readonly string[]).includes(key)) {
      throw new AnonifyPluginError(
        `Invalid config: ${section}.${key} cannot be set per network (a network may set ${NETWORK_FIELDS.join(", ")}; the rest goes in the top-level anonify section)`,
      );
    }
  }
  const base = top ?? {};
  const merged: AnonifyUserConfig = { ...base };
  for (const key of NETWORK_FIELDS) {
    const value = network[key];
    if (value === undefined) continue;
    if ((key === "ias" || key === "dcap" || key === "policy") && typeof value === "object" && value !== null && !Array.isArray(value)) {
      (merged as Record<string, unknown>)[key] = { ...((base[key] as object | undefined) ?? {}), ...value };
    } else {
      (merged as Record<string, unknown>)[key] = value;
    }
  }
  // The mode decides the CA's default: a network that switches to sgx does not inherit a simulation CA by default.
  if (network.mode !== undefined && network.iasRootCa === undefined && base.iasRootCa !== undefined && network.mode !== base.mode) delete merged.iasRootCa;
  // Likewise the evidence kind, and with it the status vocabulary, unless the network names them.
  if (network.mode !== undefined && network.attestation === undefined && base.attestation !== undefined && network.mode !== base.mode) delete merged.attestation;
  const kindOf = (c: AnonifyUserConfig): unknown => c.attestation ?? (c.mode === "sgx" ? "dcap" : "ias");
  if (kindOf(merged) !== kindOf(base) && network.policy?.allowedStatuses === undefined && merged.policy?.allowedStatuses !== undefined) {
    merged.policy = { ...merged.policy, allowedStatuses: undefined };
  }
  return resolveAnonifyConfig(merged, root, section);
}

export function extendAnonifyConfig(config: HardhatConfig, userConfig: Readonly<HardhatUserConfig>): void {
  config.anonify = resolveAnonifyConfig(userConfig.anonify, config.paths.root);
  // Every network's settings are resolved (and checked) at load; the selected network's replace config.anonify
  // when the environment is created (src/index.ts).
  for (const [name, network] of Object.entries(userConfig.networks ?? {})) {
    const own = (network as { anonify?: AnonifyNetworkUserConfig } | undefined)?.anonify;
    if (own === undefined || config.networks[name] === undefined) continue;
    config.networks[name].anonify = resolveNetworkAnonifyConfig(userConfig.anonify, own, config.paths.root, name);
  }
}

/** The settings of the selected network: its own `anonify` section merged over the top level, else the top level. */
export function selectNetworkAnonifyConfig(config: HardhatConfig, networkName: string): AnonifyConfig {
  return config.networks[networkName]?.anonify ?? config.anonify;
}
