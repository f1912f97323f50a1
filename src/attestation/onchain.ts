/**
 * Bridges between the TypeScript verifier's types and a deployed `IasVerifier` contract: deploying and
 * configuring one from a `VerificationPolicy`, calling it, and turning its results and custom-error
 * reverts into the same shape as the TypeScript verdicts, so the two can be compared and reported alike.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { AbiCoder, ContractFactory, Interface, type BaseContract, type ContractTransactionResponse } from "ethers";
import { IasVerificationError, type IasErrorArgument } from "./errors";
import type { VerificationPolicy, VerifiedReport } from "./verifier";
import { caDerOf, type TrustAnchor } from "./roots";
import { searchErrorChain } from "../errorChain";
import { anonifyArtifact } from "../package/artifacts";

export const IAS_VERIFIER_CONTRACT = "IasVerifier" as const;

/**
 * The fields the contract's `IasReport.Verified` struct carries, normalised (hex lowercase): the
 * TypeScript verifier's result less what only TypeScript reports (status text, id, raw quote).
 * `reportData` is reportDataLow ‖ reportDataHigh (64 bytes).
 */
export type OnchainVerified = Omit<VerifiedReport, "status" | "id" | "timestampText" | "quoteBody">;

/** One verifier's verdict on an input: the verified fields, or a custom error's name and arguments. */
export type VerificationOutcome =
  | { valid: true; verified: OnchainVerified }
  | { valid: false; error: { code: string; args: IasErrorArgument[] } };

export interface GasUsed {
  /** Gas spent by the EVM executing the call (total minus the intrinsic 21,000 and calldata cost). */
  execution: number;
  /** What the transaction paid for (receipt.gasUsed). */
  total: number;
}

/** A deployed IasVerifier with the methods used here. */
export type IasVerifierContract = BaseContract & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The subset of the contract's defaults a VerificationPolicy leaves implicit. */
const CONTRACT_DEFAULT_STATUS = "OK";

/**
 * Deploys `IasVerifier` pinned to `anchor`'s CA (or the given CA DER) with the first signer as admin
 * (admin-transfer delay 0), then makes its policy equal `policy` (see {@link applyPolicy}).
 */
export async function deployIasVerifier(
  hre: HardhatRuntimeEnvironment,
  anchor: TrustAnchor | Uint8Array,
  policy: VerificationPolicy = {},
): Promise<IasVerifierContract> {
  const [admin] = await hre.ethers.getSigners();
  const caDer = typeof anchor === "string" ? caDerOf(anchor) : anchor;
  const artifact = anonifyArtifact(hre, IAS_VERIFIER_CONTRACT);
  const factory = new ContractFactory(artifact.abi, artifact.bytecode, admin);
  const verifier = (await factory.deploy(caDer, await admin.getAddress(), 0)) as IasVerifierContract;
  await verifier.waitForDeployment();
  await applyPolicy(verifier, policy);
  return verifier;
}

async function mined(tx: Promise<ContractTransactionResponse>): Promise<void> {
  await (await tx).wait();
}

/**
 * Makes a verifier's policy equal `policy`, whose meaning is the TypeScript verifier's: statuses default
 * to ["OK"], no MRENCLAVE check unless `allowedMrenclaves` is given, no signer check unless `signer` is
 * given, no age limit unless `maxReportAge` is non-zero. Every setting is written explicitly, except that
 * statuses and MRENCLAVEs allowed earlier (other than "OK") are not revoked: use it on a fresh deployment.
 */
export async function applyPolicy(verifier: IasVerifierContract, policy: VerificationPolicy): Promise<void> {
  const statuses = policy.allowedStatuses ?? [CONTRACT_DEFAULT_STATUS];
  await mined(verifier.setQuoteStatusAllowed(CONTRACT_DEFAULT_STATUS, statuses.includes(CONTRACT_DEFAULT_STATUS)));
  for (const s of statuses) if (s !== CONTRACT_DEFAULT_STATUS) await mined(verifier.setQuoteStatusAllowed(s, true));
  await mined(verifier.setDebugAllowed(policy.allowDebug === true));
  await mined(verifier.setMrenclaveCheck(policy.allowedMrenclaves !== undefined));
  for (const m of policy.allowedMrenclaves ?? []) await mined(verifier.setMrenclaveAllowed(m, true));
  const signer = policy.signer;
  await mined(verifier.setSignerPolicy(signer !== undefined, signer?.mrsigner ?? ZERO_BYTES32, signer?.isvProdId ?? 0, signer?.minIsvSvn ?? 0));
  await mined(verifier.setMaxReportAge(BigInt(policy.maxReportAge ?? 0)));
}

const ZERO_BYTES32 = "0x" + "00".repeat(32);

/** Registers a signing certificate; returns its key id and the gas the transaction used. */
export async function registerSigningCertificateOnchain(verifier: IasVerifierContract, der: Uint8Array): Promise<{ keyId: string; gasUsed: bigint }> {
  const keyId: string = await verifier.registerSigningCertificate.staticCall(der);
  const receipt = await (await verifier.registerSigningCertificate(der)).wait();
  return { keyId: keyId.toLowerCase(), gasUsed: receipt.gasUsed as bigint };
}

function hexOf(v: unknown): string {
  return String(v).toLowerCase();
}

/** The contract's `Verified` struct as plain values. */
export function normalizeOnchainVerified(v: Record<string, unknown>): OnchainVerified {
  return {
    timestamp: BigInt(v.timestamp as bigint),
    version: Number(v.version),
    statusHash: hexOf(v.statusHash),
    mrenclave: hexOf(v.mrenclave),
    mrsigner: hexOf(v.mrsigner),
    isvProdId: Number(v.isvProdId),
    isvSvn: Number(v.isvSvn),
    debug: Boolean(v.debug),
    reportData: hexOf(v.reportDataLow) + hexOf(v.reportDataHigh).slice(2),
  };
}

/** The TypeScript verifier's result in the contract's shape. */
export function onchainShapeOf(v: VerifiedReport): OnchainVerified {
  return {
    timestamp: v.timestamp,
    version: v.version,
    statusHash: v.statusHash,
    mrenclave: v.mrenclave,
    mrsigner: v.mrsigner,
    isvProdId: v.isvProdId,
    isvSvn: v.isvSvn,
    debug: v.debug,
    reportData: v.reportData,
  };
}

/** Finds revert data in an ethers/Hardhat error (it sits at different depths depending on the path). */
function revertDataOf(error: unknown): string | undefined {
  return searchErrorChain(error, (e) => (typeof e.data === "string" && /^0x[0-9a-fA-F]*$/.test(e.data) && e.data.length >= 10 ? e.data : undefined));
}

/**
 * Every custom error of the verification rules with its Solidity parameter types. The contract's ABI
 * omits errors raised only from inline assembly (`ReportMalformed`), so decoding uses this list too.
 */
export const IAS_ERROR_FRAGMENTS = [
  "error SignatureLengthInvalid(uint256 length)",
  "error SigningKeyNotRegistered(bytes32 keyId)",
  "error SigningKeyDenied(bytes32 keyId)",
  "error ReportSignatureInvalid()",
  "error ReportMalformed(uint256 offset)",
  "error ReportFieldDuplicated(string field)",
  "error ReportFieldMissing(string field)",
  "error ReportFieldInvalid(string field)",
  "error QuoteBodyEncodingInvalid()",
  "error QuoteBodyLengthInvalid(uint256 length)",
  "error ReportTimestampInvalid()",
  "error ReportOutsideCertificateValidity(uint64 timestamp, uint64 notBefore, uint64 notAfter)",
  "error ReportTooOld(uint64 timestamp, uint64 maxAge, uint64 now)",
  "error QuoteStatusNotAllowed(string status)",
  "error DebugEnclaveNotAllowed(bytes32 mrenclave)",
  "error MrenclaveNotAllowed(bytes32 mrenclave)",
  "error MrsignerMismatch(bytes32 expected, bytes32 actual)",
  "error IsvProdIdMismatch(uint16 expected, uint16 actual)",
  "error IsvSvnTooLow(uint16 minimum, uint16 actual)",
  "error CertificateMalformed(uint256 offset)",
  "error CertificateAlgorithmUnsupported()",
  "error CertificateIssuerMismatch()",
  "error CertificateSignatureInvalid()",
  "error CertificateKeyUnsupported()",
  "error CertificateVersionUnsupported(uint256 version)",
  "error CertificateExtensionUnsupported(uint256 offset)",
  "error CertificateKeyUsageInvalid(uint256 keyUsage)",
  "error CertificateBasicConstraintsInvalid(bool present, bool isCa)",
  "error SigningKeyAlreadyRegistered(bytes32 keyId)",
];

const IAS_ERRORS = new Interface(IAS_ERROR_FRAGMENTS);

/**
 * Turns a custom-error revert into `{code, args}` (uints as bigint, bools as booleans, bytes32 as lowercase hex, strings
 * as their bytes read as UTF-8 with U+FFFD for invalid sequences, as the TypeScript verifier reads them:
 * a report's status may hold any byte, and ethers would refuse to decode such a string).
 */
export function decodeRevert(iface: Interface, error: unknown): { code: string; args: IasErrorArgument[] } {
  const data = revertDataOf(error);
  const parsed = data === undefined ? null : (iface.parseError(data) ?? IAS_ERRORS.parseError(data));
  if (parsed === null || data === undefined) throw error;
  const types = parsed.fragment.inputs.map((input) => (input.type === "string" ? "bytes" : input.type));
  const values = AbiCoder.defaultAbiCoder().decode(types, "0x" + data.slice(10));
  const args = parsed.fragment.inputs.map((input, i): IasErrorArgument => {
    const v = values[i] as unknown;
    if (input.type === "string") return Buffer.from((v as string).slice(2), "hex").toString("utf8");
    if (typeof v === "bigint" || typeof v === "boolean") return v;
    return String(v).toLowerCase();
  });
  return { code: parsed.name, args };
}

/** Calls `verifyReport` (or `verifyReportWithoutPolicy`) and returns the verdict, never throwing on a custom error. */
export async function verifyReportOnchain(
  verifier: IasVerifierContract,
  keyId: string,
  report: Uint8Array,
  signature: Uint8Array,
  options: { withoutPolicy?: boolean } = {},
): Promise<VerificationOutcome> {
  const fn = options.withoutPolicy === true ? verifier.verifyReportWithoutPolicy : verifier.verifyReport;
  try {
    const result = await fn.staticCall(keyId, report, signature);
    return { valid: true, verified: normalizeOnchainVerified(result.toObject ? result.toObject() : result) };
  } catch (e) {
    return { valid: false, error: decodeRevert(verifier.interface, e) };
  }
}

/** The TypeScript verdict for `fn` in the same shape; errors other than IasVerificationError propagate. */
export function tsOutcome(fn: () => VerifiedReport): VerificationOutcome {
  try {
    return { valid: true, verified: onchainShapeOf(fn()) };
  } catch (e) {
    if (e instanceof IasVerificationError) return { valid: false, error: { code: e.code, args: [...e.args] } };
    throw e;
  }
}

/** Calldata gas before EIP-7623's floor: 4 per zero byte, 16 per non-zero byte. */
export function calldataGas(data: string): number {
  const bytes = Buffer.from(data.slice(2), "hex");
  let gas = 0;
  for (const b of bytes) gas += b === 0 ? 4 : 16;
  return gas;
}

export const TX_BASE_GAS = 21_000;

/**
 * Sends `verifyReport` as a transaction (it is a view, so this only measures) and returns its gas:
 * `total` from the receipt, `execution` = total - 21,000 - calldata gas. (EIP-7623's calldata floor
 * would make `total` larger than that sum only for calls that execute almost nothing.)
 */
export async function measureVerifyReportGas(
  verifier: IasVerifierContract,
  keyId: string,
  report: Uint8Array,
  signature: Uint8Array,
): Promise<GasUsed> {
  const fn = verifier.getFunction("verifyReport");
  const tx = await fn.send(keyId, report, signature);
  const receipt = await tx.wait();
  if (receipt === null) throw new Error("verifyReport transaction was not mined");
  const total = Number(receipt.gasUsed);
  return { total, execution: total - TX_BASE_GAS - calldataGas(tx.data) };
}
