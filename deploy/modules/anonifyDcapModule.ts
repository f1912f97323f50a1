/**
 * Hardhat Ignition module factory for an Anonify group admitting enclaves by DCAP quotes: the collateral stores
 * (`DcapCollateral` with its linked `TcbInfo` / `QeIdentity` parsers, `DcapCrls`), a `DcapVerifier` pinned to the same
 * root (Intel's SGX Root CA, or the SIMULATION root of the development PCS) with its linked `PckChainVerification`
 * and its policy set, and the `AnonifyGroup` that admits enclaves through it (`IEnclaveVerifier`).
 *
 * The stores start empty: collateral is upserted by anyone under Intel's signatures (`anonify:collateral`, or a node
 * before its join). Lists are concrete values (Ignition parameters cannot be iterated at build time); the
 * account-like settings are Ignition parameters, as in the IAS module (anonifyModule.ts).
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import type { Artifact } from "hardhat/types";
import { getAddress, hexlify, isHexString } from "ethers";
import { TCB_STATUSES, type TcbStatus } from "../../src/attestation/dcap/collateral";
import { dcapRootDer, type DcapRootName } from "../../src/attestation/dcap/roots";
import { TOKEN_RUNTIME } from "../../src/runtimes/name";
import { DEFAULT_ADMIN_TRANSFER_DELAY_SECONDS, checkGroupSettings, handOverVerifier, initialOperators } from "./anonifyModule";

/** What a fresh DcapVerifier accepts: only platforms and QEs at `UpToDate`. */
const VERIFIER_DEFAULT_TCB_STATUSES: readonly TcbStatus[] = ["UpToDate"];
/** DcapVerifier.MAX_COLLATERAL_GRACE (30 days). */
export const MAX_COLLATERAL_GRACE_SECONDS = 30 * 86_400;

export interface AnonifyDcapDeploymentConfig {
  /** The root every contract pins: Intel's SGX Root CA (production) or the development PCS's SIMULATION root. */
  root: DcapRootName;
  /** MRENCLAVEs (32-byte hex) allowed to join. */
  allowedMrenclaves: string[];
  /** TCB statuses accepted for the platform and the QE; default ["UpToDate"]. `Revoked` cannot be allowed. */
  allowedTcbStatuses?: TcbStatus[];
  /** Accept DEBUG enclaves (never in production); default false. */
  debugAllowed?: boolean;
  /** Seconds a collateral item stays acceptable after its nextUpdate (0..30 days); default 0. */
  collateralGraceSeconds?: number;
  /** Refuse collateral with a lower tcbEvaluationDataNumber (Intel's TCB recovery counter); default 0 (off). */
  minTcbEvaluationDataNumber?: number;
  /** As in the IAS module: hand every role to this account once the deployment is set up (audit F-3). */
  handoverTo?: string;
  /** Accounts granted OPERATOR_ROLE; default the deploying account (none with `handoverTo`). */
  operators?: string[];
  /** Open admission with this many non-operator joins per block; 0 or unset: closed. */
  openAdmissionMaxJoinsPerBlock?: number;
  /** The state runtime the group runs; default "anonify-token/v1". */
  runtime?: string;
  /**
   * The contracts' and libraries' artifacts (what `anonify:deploy` passes: the package's prebuilt ones, see
   * `src/package/artifacts.ts`). Default: the project's own compile, by contract name.
   */
  artifacts?: DcapModuleArtifacts;
}

/** The artifacts the module deploys: the stores, the verifier, the group and the three linked libraries. */
export type DcapModuleArtifacts = Record<"DcapCollateral" | "DcapCrls" | "DcapVerifier" | "TcbInfo" | "QeIdentity" | "PckChainVerification" | "AnonifyGroup", Artifact>;

/** Ignition module id: one per root, beside the IAS modules' ids. */
export function anonifyDcapModuleId(root: AnonifyDcapDeploymentConfig["root"]): string {
  return root === "intel" ? "AnonifyDcapIntel" : "AnonifyDcapSimulation";
}

function checkConfig(config: AnonifyDcapDeploymentConfig): void {
  if (config.root !== "intel" && config.root !== "simulation") throw new Error(`root must be "intel" or "simulation", got ${JSON.stringify(config.root)}`);
  for (const mrenclave of config.allowedMrenclaves) {
    if (!isHexString(mrenclave, 32)) throw new Error(`allowedMrenclaves: ${JSON.stringify(mrenclave)} is not 32-byte hex`);
  }
  if (new Set(config.allowedMrenclaves.map((m) => m.toLowerCase())).size !== config.allowedMrenclaves.length) {
    throw new Error("allowedMrenclaves holds duplicates");
  }
  const statuses = config.allowedTcbStatuses ?? VERIFIER_DEFAULT_TCB_STATUSES;
  if (statuses.length === 0) throw new Error("allowedTcbStatuses must not be empty");
  if (new Set(statuses).size !== statuses.length) throw new Error("allowedTcbStatuses holds duplicates");
  for (const status of statuses) {
    if (!(TCB_STATUSES as readonly string[]).includes(status)) throw new Error(`allowedTcbStatuses: unknown TCB status ${JSON.stringify(status)}; known: ${TCB_STATUSES.join(", ")}`);
    if (status === "Revoked") throw new Error("allowedTcbStatuses: Revoked can never be allowed");
  }
  const grace = config.collateralGraceSeconds ?? 0;
  if (!Number.isSafeInteger(grace) || grace < 0 || grace > MAX_COLLATERAL_GRACE_SECONDS) {
    throw new Error(`collateralGraceSeconds must be an integer in 0..${MAX_COLLATERAL_GRACE_SECONDS}, got ${grace}`);
  }
  const minimum = config.minTcbEvaluationDataNumber ?? 0;
  if (!Number.isSafeInteger(minimum) || minimum < 0 || minimum > 0xffffffff) {
    throw new Error(`minTcbEvaluationDataNumber must be a uint32, got ${minimum}`);
  }
  checkGroupSettings(config);
}

/**
 * Builds the module. Ignition parameters (all optional): `admin`, `governor`, `adminTransferDelay`, as in the IAS
 * module. Returns the stores, the verifier, the group and the linked libraries (`tcbInfo`, `qeIdentity`,
 * `pckChainVerification`: their addresses are what an explorer needs to verify the stores and the verifier).
 */
export function buildAnonifyDcapModule(config: AnonifyDcapDeploymentConfig) {
  checkConfig(config);
  const rootDer = hexlify(dcapRootDer(config.root));
  const statuses = config.allowedTcbStatuses ?? VERIFIER_DEFAULT_TCB_STATUSES;
  const statusIndex = (status: TcbStatus) => TCB_STATUSES.indexOf(status);

  return buildModule(anonifyDcapModuleId(config.root), (m) => {
    const deployer = m.getAccount(0);
    const handoverTo = config.handoverTo !== undefined ? getAddress(config.handoverTo) : undefined;
    const admin = m.getParameter("admin", handoverTo ?? deployer);
    const governor = m.getParameter("governor", handoverTo ?? deployer);
    const adminTransferDelay = m.getParameter("adminTransferDelay", DEFAULT_ADMIN_TRANSFER_DELAY_SECONDS);

    const a = config.artifacts;
    const tcbInfo = a === undefined ? m.library("TcbInfo") : m.library("TcbInfo", a.TcbInfo);
    const qeIdentity = a === undefined ? m.library("QeIdentity") : m.library("QeIdentity", a.QeIdentity);
    const pckChainVerification = a === undefined ? m.library("PckChainVerification") : m.library("PckChainVerification", a.PckChainVerification);
    const collateralOptions = { libraries: { TcbInfo: tcbInfo, QeIdentity: qeIdentity } };
    const collateral =
      a === undefined ? m.contract("DcapCollateral", [rootDer], collateralOptions) : m.contract("DcapCollateral", a.DcapCollateral, [rootDer], collateralOptions);
    const crls = a === undefined ? m.contract("DcapCrls", [rootDer]) : m.contract("DcapCrls", a.DcapCrls, [rootDer]);
    const verifierArgs = [rootDer, collateral, crls, deployer, adminTransferDelay];
    const verifierOptions = { libraries: { PckChainVerification: pckChainVerification } };
    const verifier =
      a === undefined ? m.contract("DcapVerifier", verifierArgs, verifierOptions) : m.contract("DcapVerifier", a.DcapVerifier, verifierArgs, verifierOptions);

    const setup: Array<ReturnType<typeof m.call>> = [
      ...config.allowedMrenclaves.map((mrenclave, i) => m.call(verifier, "setMrenclaveAllowed", [mrenclave, true], { id: `AllowMrenclave${i}` })),
      ...statuses
        .filter((status) => !VERIFIER_DEFAULT_TCB_STATUSES.includes(status))
        .map((status) => m.call(verifier, "setTcbStatusAllowed", [statusIndex(status), true], { id: `AllowTcbStatus${status}` })),
      ...VERIFIER_DEFAULT_TCB_STATUSES.filter((status) => !statuses.includes(status)).map((status) =>
        m.call(verifier, "setTcbStatusAllowed", [statusIndex(status), false], { id: `DisallowTcbStatus${status}` }),
      ),
    ];
    if (config.debugAllowed === true) setup.push(m.call(verifier, "setDebugAllowed", [true], { id: "AllowDebug" }));
    if ((config.collateralGraceSeconds ?? 0) > 0) {
      setup.push(m.call(verifier, "setCollateralGrace", [config.collateralGraceSeconds!], { id: "SetCollateralGrace" }));
    }
    if ((config.minTcbEvaluationDataNumber ?? 0) > 0) {
      setup.push(m.call(verifier, "setMinTcbEvaluationDataNumber", [config.minTcbEvaluationDataNumber!], { id: "SetMinTcbEvaluationDataNumber" }));
    }

    const groupArgs = [verifier, admin, adminTransferDelay, governor, initialOperators(config, deployer), config.openAdmissionMaxJoinsPerBlock ?? 0, config.runtime ?? TOKEN_RUNTIME];
    const groupOptions = { after: handOverVerifier(m, verifier, deployer, handoverTo, setup) };
    const group = a === undefined ? m.contract("AnonifyGroup", groupArgs, groupOptions) : m.contract("AnonifyGroup", a.AnonifyGroup, groupArgs, groupOptions);
    return { collateral, crls, verifier, group, tcbInfo, qeIdentity, pckChainVerification };
  });
}
