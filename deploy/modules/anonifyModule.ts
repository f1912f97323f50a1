/**
 * Hardhat Ignition module factory for one Anonify deployment: an `IasVerifier` pinned to Intel's IAS CA (production)
 * or to the SIMULATION development-IAS CA, its signing certificate(s) registered and its policy set, and the
 * `AnonifyGroup` that admits enclaves through it.
 *
 * Ignition parameters are runtime values and cannot be iterated at build time, so the lists (MRENCLAVEs, statuses,
 * certificates) are given here as concrete values; the account-like settings stay Ignition parameters.
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import type { Artifact } from "hardhat/types";
import { getAddress, hexlify, id, isAddress, isHexString } from "ethers";
import { caDerOf, leafDerOf, type TrustAnchor } from "../../src/attestation/roots";
import { runtimeNameProblem, TOKEN_RUNTIME } from "../../src/runtimes/name";

/** IAS's documented default: only "OK" is accepted by a fresh verifier. */
const VERIFIER_DEFAULT_STATUSES = ["OK"];
/** Two-step admin transfer delay of both contracts unless the `adminTransferDelay` parameter says otherwise. */
export const DEFAULT_ADMIN_TRANSFER_DELAY_SECONDS = 2 * 24 * 60 * 60;

export interface AnonifyDeploymentConfig {
  /** Which CA the verifier pins: Intel's (production) or the SIMULATION development IAS's. */
  trustAnchor: TrustAnchor;
  /** Report-signing certificates (DER) to register; default: the trust anchor's own leaf. */
  signingCertificates?: Uint8Array[];
  /** MRENCLAVEs (32-byte hex) allowed to join. */
  allowedMrenclaves: string[];
  /** isvEnclaveQuoteStatus values accepted; default ["OK"]. */
  allowedStatuses?: string[];
  /** Accept DEBUG enclaves (never in production); default false. */
  debugAllowed?: boolean;
  /** Reject reports older than this many seconds at join time; 0 (default) = off. */
  maxReportAgeSeconds?: number;
  /**
   * Hand every role to this account once the deployment is set up (audit F-3): the group's admin and governor, the
   * verifier's POLICY_ROLE (granted, and renounced by the deploying account) and the verifier's admin (a two-step
   * transfer the new holder accepts after the delay with `acceptDefaultAdminTransfer`). Must differ from the
   * deploying account; unset: the deploying account keeps every role.
   */
  handoverTo?: string;
  /**
   * Accounts granted the group's `OPERATOR_ROLE` at construction: the only accounts whose `join` transactions are
   * accepted (audit F-2), each with the default cap of one active enclave. Default: the deploying account, so a local
   * demo works; with `handoverTo`: none (the deployer keeps no role; the new admin grants the role).
   */
  operators?: string[];
  /**
   * Open admission (public groups): any account may join, at most this many joins of non-operators per block.
   * 0 or unset: closed (only operators join).
   */
  openAdmissionMaxJoinsPerBlock?: number;
  /**
   * The contracts' artifacts (what `anonify:deploy` passes: the package's prebuilt ones, see
   * `src/package/artifacts.ts`). Default: the project's own compile, by contract name.
   */
  artifacts?: { IasVerifier: Artifact; AnonifyGroup: Artifact };
  /** The state runtime the group runs (`AnonifyGroup.runtime()`); default "anonify-token/v1". */
  runtime?: string;
}

/** keccak256("POLICY_ROLE"): the verifier role that sets the admission policy. */
export const POLICY_ROLE = id("POLICY_ROLE");
/** keccak256("OPERATOR_ROLE"): the group role whose holders may submit joins. */
export const OPERATOR_ROLE = id("OPERATOR_ROLE");
/** The group's MAX_OPEN_JOINS_PER_BLOCK (the largest open-mode per-block limit). */
export const MAX_OPEN_JOINS_PER_BLOCK = 16;

/** Ignition module id of a deployment: one per trust anchor, so both can live in one deployment folder. */
export function anonifyModuleId(trustAnchor: TrustAnchor): string {
  return trustAnchor === "intel" ? "AnonifyIntel" : "AnonifySimulation";
}

/** The settings of the group itself, the same for every evidence kind's module (anonifyDcapModule.ts too). */
export type GroupDeploymentSettings = Pick<AnonifyDeploymentConfig, "handoverTo" | "operators" | "openAdmissionMaxJoinsPerBlock" | "runtime">;

/** Refuses group settings no deployment could run with (both modules). */
export function checkGroupSettings(config: GroupDeploymentSettings): void {
  if (config.handoverTo !== undefined && !isAddress(config.handoverTo)) {
    throw new Error(`handoverTo: ${JSON.stringify(config.handoverTo)} is not an address`);
  }
  for (const operator of config.operators ?? []) {
    if (!isAddress(operator)) throw new Error(`operators: ${JSON.stringify(operator)} is not an address`);
    if (BigInt(operator) === 0n) throw new Error("operators: the zero address cannot be an operator");
  }
  if (config.operators !== undefined && new Set(config.operators.map((o) => o.toLowerCase())).size !== config.operators.length) {
    throw new Error("operators holds duplicates");
  }
  const open = config.openAdmissionMaxJoinsPerBlock ?? 0;
  if (!Number.isSafeInteger(open) || open < 0 || open > MAX_OPEN_JOINS_PER_BLOCK) {
    throw new Error(`openAdmissionMaxJoinsPerBlock must be an integer in 0..${MAX_OPEN_JOINS_PER_BLOCK}, got ${open}`);
  }
  const runtimeProblem = runtimeNameProblem(config.runtime ?? TOKEN_RUNTIME);
  if (runtimeProblem !== undefined) throw new Error(`runtime: ${runtimeProblem}`);
}

/** Ignition's module builder (the argument of `buildModule`'s callback). */
type ModuleBuilder = Parameters<Parameters<typeof buildModule>[1]>[0];
type Future = ReturnType<ModuleBuilder["call"]>;

/**
 * After the verifier's policy calls (`setup`), when `handoverTo` is set: gives its POLICY_ROLE to the new holder,
 * renounces the deployer's and starts its two-step admin transfer (the only role OpenZeppelin's admin rules move in
 * two steps). Returns what the group's deployment must follow.
 */
export function handOverVerifier(
  m: ModuleBuilder,
  verifier: Parameters<ModuleBuilder["call"]>[0],
  deployer: ReturnType<ModuleBuilder["getAccount"]>,
  handoverTo: string | undefined,
  setup: Future[],
): Future[] {
  if (handoverTo === undefined) return setup;
  const granted = m.call(verifier, "grantRole", [POLICY_ROLE, handoverTo], { id: "HandoverGrantPolicyRole", after: setup });
  const renounced = m.call(verifier, "renounceRole", [POLICY_ROLE, deployer], { id: "HandoverRenouncePolicyRole", after: [granted] });
  return [m.call(verifier, "beginDefaultAdminTransfer", [handoverTo], { id: "HandoverBeginAdminTransfer", after: [renounced] })];
}

/** OPERATOR_ROLE holders at construction: as configured, else the deployer (none after a handover). */
export function initialOperators(config: GroupDeploymentSettings, deployer: ReturnType<ModuleBuilder["getAccount"]>) {
  return config.operators !== undefined ? config.operators.map((o) => getAddress(o)) : config.handoverTo !== undefined ? [] : [deployer];
}

function checkConfig(config: AnonifyDeploymentConfig): void {
  if (config.trustAnchor !== "intel" && config.trustAnchor !== "simulation") {
    throw new Error(`trustAnchor must be "intel" or "simulation", got ${JSON.stringify(config.trustAnchor)}`);
  }
  for (const mrenclave of config.allowedMrenclaves) {
    if (!isHexString(mrenclave, 32)) throw new Error(`allowedMrenclaves: ${JSON.stringify(mrenclave)} is not 32-byte hex`);
  }
  if (new Set(config.allowedMrenclaves.map((m) => m.toLowerCase())).size !== config.allowedMrenclaves.length) {
    throw new Error("allowedMrenclaves holds duplicates");
  }
  const statuses = config.allowedStatuses ?? VERIFIER_DEFAULT_STATUSES;
  if (statuses.length === 0) throw new Error("allowedStatuses must not be empty");
  if (new Set(statuses).size !== statuses.length) throw new Error("allowedStatuses holds duplicates");
  checkGroupSettings(config);
  const age = config.maxReportAgeSeconds ?? 0;
  if (!Number.isSafeInteger(age) || age < 0) throw new Error(`maxReportAgeSeconds must be a non-negative integer, got ${age}`);
}

/**
 * Builds the module. Ignition parameters (all optional):
 * - `admin`: holder of `DEFAULT_ADMIN_ROLE` of the group (default: `config.handoverTo`, else the deploying account).
 *   The verifier is set up by the deploying account; with `config.handoverTo` every role ends with that account.
 * - `governor`: holder of the group's `GOVERNOR_ROLE` (default: `config.handoverTo`, else the deploying account).
 * - `adminTransferDelay`: seconds (default {@link DEFAULT_ADMIN_TRANSFER_DELAY_SECONDS}).
 */
export function buildAnonifyModule(config: AnonifyDeploymentConfig) {
  checkConfig(config);
  const certificates = config.signingCertificates ?? [leafDerOf(config.trustAnchor)];
  const statuses = config.allowedStatuses ?? VERIFIER_DEFAULT_STATUSES;

  return buildModule(anonifyModuleId(config.trustAnchor), (m) => {
    const deployer = m.getAccount(0);
    const handoverTo = config.handoverTo !== undefined ? getAddress(config.handoverTo) : undefined;
    const admin = handoverTo !== undefined ? m.getParameter("admin", handoverTo) : m.getParameter("admin", deployer);
    const governor = handoverTo !== undefined ? m.getParameter("governor", handoverTo) : m.getParameter("governor", deployer);
    const adminTransferDelay = m.getParameter("adminTransferDelay", DEFAULT_ADMIN_TRANSFER_DELAY_SECONDS);

    const verifierArgs = [hexlify(caDerOf(config.trustAnchor)), deployer, adminTransferDelay] as const;
    const verifier =
      config.artifacts === undefined
        ? m.contract("IasVerifier", [...verifierArgs])
        : m.contract("IasVerifier", config.artifacts.IasVerifier, [...verifierArgs]);

    // The policy calls, which the handover below must follow.
    const setup: Array<ReturnType<typeof m.call>> = [
      ...certificates.map((der, i) => m.call(verifier, "registerSigningCertificate", [hexlify(der)], { id: `RegisterSigningCertificate${i}` })),
      ...config.allowedMrenclaves.map((mrenclave, i) => m.call(verifier, "setMrenclaveAllowed", [mrenclave, true], { id: `AllowMrenclave${i}` })),
      ...statuses
        .filter((status) => !VERIFIER_DEFAULT_STATUSES.includes(status))
        .map((status, i) => m.call(verifier, "setQuoteStatusAllowed", [status, true], { id: `AllowStatus${i}` })),
      ...VERIFIER_DEFAULT_STATUSES.filter((status) => !statuses.includes(status)).map((status, i) =>
        m.call(verifier, "setQuoteStatusAllowed", [status, false], { id: `DisallowStatus${i}` }),
      ),
    ];
    if (config.debugAllowed === true) setup.push(m.call(verifier, "setDebugAllowed", [true], { id: "AllowDebug" }));
    const maxReportAgeSeconds = config.maxReportAgeSeconds ?? 0;
    if (maxReportAgeSeconds > 0) {
      setup.push(m.call(verifier, "setMaxReportAge", [maxReportAgeSeconds], { id: "SetMaxReportAge" }));
    }

    const setupDone = handOverVerifier(m, verifier, deployer, handoverTo, setup);
    const groupArgs = [verifier, admin, adminTransferDelay, governor, initialOperators(config, deployer), config.openAdmissionMaxJoinsPerBlock ?? 0, config.runtime ?? TOKEN_RUNTIME];
    const groupOptions = handoverTo !== undefined ? { after: setupDone } : {};
    const group =
      config.artifacts === undefined
        ? m.contract("AnonifyGroup", groupArgs, groupOptions)
        : m.contract("AnonifyGroup", config.artifacts.AnonifyGroup, groupArgs, groupOptions);
    return { verifier, group };
  });
}
