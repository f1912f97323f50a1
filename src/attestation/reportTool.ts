/**
 * What `npx hardhat anonify:verify-report` does: read a report, its signature and the signing
 * certificate from files, verify them under a pinned CA and a policy, optionally replay the same
 * verification on a freshly deployed `IasVerifier` on the in-process Hardhat network, and describe
 * the verdict as one JSON object.
 */
import fs from "node:fs";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { Contract } from "ethers";
import { AnonifyPluginError } from "../errors";
import { addressArgument } from "../addressArgument";
import { KNOWN_QUOTE_STATUSES } from "../config";
import { IAS_ERROR_PARAMETERS, IasVerificationError, jsonValue, type IasErrorArgument } from "./errors";
import { AttestationInputError, decodeSignature, readCertificateInput } from "./encoding";
import { checkSigningCertificate, describeCertificate, pinCa, type PinnedCa, type SigningKey } from "./certificate";
import { checkPolicy, verifyReportWithoutPolicy, type VerificationPolicy, type VerifiedReport } from "./verifier";
import { intelCaDer, intelLeafDer, keyIdOfCertificate, simulationCaDer } from "./roots";
import { isPackageCheckout } from "../package/paths";
import { anonifyArtifact } from "../package/artifacts";
import {
  IAS_VERIFIER_CONTRACT,
  decodeRevert,
  deployIasVerifier,
  measureVerifyReportGas,
  normalizeOnchainVerified,
  onchainShapeOf,
  verifyReportOnchain,
  type GasUsed,
  type IasVerifierContract,
  type VerificationOutcome,
} from "./onchain";

export interface VerifyReportArgs {
  /** Path of the exact report body. */
  report: string;
  /** Path of the signature: base64, hex or the raw 256 bytes. */
  signature: string;
  /** Path of the signing certificate: DER, PEM, or the URL-encoded X-IASReport-Signing-Certificate value. Default: Intel's leaf. */
  cert?: string;
  /** Pinned CA: "intel" (default), "simulation", or a path to a DER/PEM CA certificate. */
  ca?: string;
  /** Comma-separated allowed quote statuses. Default: "OK". */
  allowStatus?: string;
  allowDebug?: boolean;
  /** Comma-separated allowed MRENCLAVEs (32-byte hex); when absent there is no MRENCLAVE check. */
  mrenclave?: string;
  /** Maximum report age in seconds at `at` ("0" = off, the default). */
  maxReportAge?: string;
  /** The verification time: ISO 8601 or unix seconds (default: now). */
  at?: string;
  onchain?: boolean;
  /**
   * Address of an IasVerifier already deployed on the task's network: the report is also checked there
   * (`verifyReport` as a call: its CA, its registered signing keys, its policy, its latest block's time).
   */
  verifier?: string;
}

export interface VerifyReportOutput {
  valid: boolean;
  status: string | null;
  version: number | null;
  /** Unix seconds of the report's timestamp. */
  timestamp: number | null;
  /** The report's timestamp as ISO 8601 UTC. */
  timestampUtc: string | null;
  mrenclave: string | null;
  mrsigner: string | null;
  isvProdId: number | null;
  isvSvn: number | null;
  debug: boolean | null;
  reportData: string | null;
  trustAnchor: string;
  signingKey: { keyId: string; notBefore: number; notAfter: number } | null;
  /** The signing certificate as OpenSSL (node:crypto X509Certificate) reads it; null when it cannot. */
  signingCertificate: { subject: string; issuer: string; serialNumber: string; validFrom: string; validTo: string; fingerprint256: string } | null;
  policy: { allowedStatuses: string[]; allowDebug: boolean; allowedMrenclaves: string[] | null; maxReportAge: number };
  /** The verification time (unix seconds) the age check is judged at. */
  at: number;
  error?: { code: string; message: string; details: Record<string, string | number | boolean> };
  /**
   * When a rejection most likely comes from how the files were saved, not from the report: e.g. a trailing newline
   * after the signed bytes, or a file that is not the JSON body IAS signed. Absent otherwise.
   */
  hint?: string;
  /** Facts worth knowing about a verdict that do not change it (e.g. the signing certificate has expired since). */
  warnings?: string[];
  gasUsed?: GasUsed | null;
  onchainAgrees?: boolean;
  /** The contract's custom error, when it reverted (same shape as `error` minus the message). */
  onchainError?: { code: string; details: Record<string, string | number | boolean> } | null;
  /** With --verifier: the deployed verifier the report was checked against, and the block it was judged at. */
  onchainVerifier?: { address: string; network: string; chainId: number; blockNumber: number; blockTime: number };
  /** With --verifier: that verifier's policy as its `policy()` reads (statuses and MRENCLAVEs are mappings, not listed). */
  onchainPolicy?: {
    debugAllowed: boolean;
    mrenclaveCheck: boolean;
    signerCheck: boolean;
    mrsigner: string;
    isvProdId: number;
    minIsvSvn: number;
    maxReportAge: number;
    deniedSigningKeys: number;
  };
}

function fail(message: string): never {
  throw new AnonifyPluginError(message);
}

function readFile(what: string, file: string | undefined): Buffer {
  if (file === undefined || file === "") fail(`--${what} <file> is required`);
  try {
    return fs.readFileSync(file);
  } catch (e) {
    return fail(`cannot read --${what} file ${JSON.stringify(file)}: ${(e as Error).message}`);
  }
}

function list(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Parses and checks the command-line policy options. */
export function policyFromArgs(args: VerifyReportArgs): VerificationPolicy {
  const allowedStatuses = args.allowStatus === undefined ? ["OK"] : list(args.allowStatus);
  if (allowedStatuses.length === 0) fail("--allow-status needs at least one status");
  for (const s of allowedStatuses) {
    if (!(KNOWN_QUOTE_STATUSES as readonly string[]).includes(s)) {
      fail(`--allow-status: unknown quote status ${JSON.stringify(s)}; known: ${KNOWN_QUOTE_STATUSES.join(", ")}`);
    }
  }
  let allowedMrenclaves: string[] | undefined;
  if (args.mrenclave !== undefined) {
    allowedMrenclaves = list(args.mrenclave).map((m) => {
      const hex = m.startsWith("0x") || m.startsWith("0X") ? m.slice(2) : m;
      if (!/^[0-9a-fA-F]{64}$/.test(hex)) fail(`--mrenclave: ${JSON.stringify(m)} is not 32 bytes of hex`);
      return "0x" + hex.toLowerCase();
    });
    if (allowedMrenclaves.length === 0) fail("--mrenclave needs at least one 32-byte hex value");
  }
  let maxReportAge = 0;
  if (args.maxReportAge !== undefined) {
    if (!/^[0-9]{1,15}$/.test(args.maxReportAge.trim())) fail(`--max-report-age: ${JSON.stringify(args.maxReportAge)} is not a whole number of seconds (0 = off)`);
    maxReportAge = Number(args.maxReportAge.trim());
  }
  return { allowedStatuses, allowDebug: args.allowDebug === true, allowedMrenclaves, maxReportAge };
}

/** `--at`: unix seconds or an ISO 8601 time with a zone (Z or ±hh:mm); default now. */
export function verificationTime(at: string | undefined, now: () => number = Date.now): bigint {
  if (at === undefined) return BigInt(Math.floor(now() / 1000));
  const text = at.trim();
  if (/^[0-9]{1,12}$/.test(text)) return BigInt(text);
  const iso = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:\d{2})$/;
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/;
  const ms = iso.test(text) || dateOnly.test(text) ? Date.parse(dateOnly.test(text) ? `${text}T00:00:00Z` : text) : NaN;
  if (Number.isNaN(ms) || ms < 0) fail(`--at: ${JSON.stringify(at)} is neither unix seconds nor an ISO 8601 time with a zone (e.g. 2024-06-15T14:54:05Z)`);
  return BigInt(Math.floor(ms / 1000));
}

function caOf(arg: string | undefined): { name: string; der: Buffer } {
  if (arg === undefined || arg === "intel") return { name: "intel", der: intelCaDer() };
  if (arg === "simulation") return { name: "simulation", der: simulationCaDer() };
  const chain = wrapInput(() => readCertificateInput(readFile("ca", arg)));
  return { name: arg, der: chain.leaf };
}

function wrapInput<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof AttestationInputError) fail(e.message);
    throw e;
  }
}

function opensslView(der: Buffer): VerifyReportOutput["signingCertificate"] {
  try {
    return describeCertificate(der);
  } catch {
    return null; // not parseable by OpenSSL either; the verdict says why (CertificateMalformed)
  }
}

function errorJson(e: IasVerificationError): NonNullable<VerifyReportOutput["error"]> {
  return e.toJSON();
}

function emptyFields(): Pick<VerifyReportOutput, "status" | "version" | "timestamp" | "timestampUtc" | "mrenclave" | "mrsigner" | "isvProdId" | "isvSvn" | "debug" | "reportData"> {
  return { status: null, version: null, timestamp: null, timestampUtc: null, mrenclave: null, mrsigner: null, isvProdId: null, isvSvn: null, debug: null, reportData: null };
}

function fieldsOf(v: VerifiedReport): ReturnType<typeof emptyFields> {
  return {
    status: v.status,
    version: v.version,
    timestamp: Number(v.timestamp),
    timestampUtc: new Date(Number(v.timestamp) * 1000).toISOString(),
    mrenclave: v.mrenclave,
    mrsigner: v.mrsigner,
    isvProdId: v.isvProdId,
    isvSvn: v.isvSvn,
    debug: v.debug,
    reportData: v.reportData,
  };
}

/** Runs the whole command; bad arguments throw AnonifyPluginError, verdicts are returned. */
export async function verifyReportCommand(hre: HardhatRuntimeEnvironment, args: VerifyReportArgs): Promise<VerifyReportOutput> {
  const report = readFile("report", args.report);
  const signature = wrapInput(() => decodeSignature(readFile("signature", args.signature)));
  const certificate = args.cert === undefined ? intelLeafDer() : wrapInput(() => readCertificateInput(readFile("cert", args.cert))).leaf;
  const policy = policyFromArgs(args);
  const at = verificationTime(args.at);
  const ca = caOf(args.ca);
  if (args.onchain === true && args.verifier !== undefined) {
    fail("--onchain deploys a fresh verifier on the in-process network and --verifier checks against a deployed one: give one of them");
  }
  const deployedVerifier = args.verifier === undefined ? undefined : verifierAddress(args.verifier);
  if (args.onchain === true && hre.network.name !== "hardhat") {
    fail(`--onchain deploys a verifier on the in-process "hardhat" network only; drop --network ${hre.network.name}`);
  }
  let pinned: PinnedCa;
  try {
    pinned = pinCa(ca.der);
  } catch (e) {
    if (e instanceof IasVerificationError) fail(`--ca ${ca.name} cannot be pinned: ${e.signature} ${e.message}`);
    throw e;
  }

  const out: VerifyReportOutput = {
    valid: false,
    ...emptyFields(),
    trustAnchor: ca.name,
    signingKey: null,
    signingCertificate: opensslView(certificate),
    policy: {
      allowedStatuses: [...(policy.allowedStatuses ?? [])],
      allowDebug: policy.allowDebug === true,
      allowedMrenclaves: policy.allowedMrenclaves ? [...policy.allowedMrenclaves] : null,
      maxReportAge: Number(policy.maxReportAge ?? 0),
    },
    at: Number(at),
  };

  // The TypeScript verdict: certificate under the pinned CA, then steps 1-7, then the policy.
  let key: SigningKey | undefined;
  let tsVerdict: VerificationOutcome;
  let registrationError: IasVerificationError | undefined;
  try {
    key = checkSigningCertificate(certificate, pinned);
    out.signingKey = { keyId: key.keyId, notBefore: Number(key.notBefore), notAfter: Number(key.notAfter) };
    const verified = verifyReportWithoutPolicy(key.keyId, report, signature, key);
    Object.assign(out, fieldsOf(verified));
    checkPolicy(verified, policy, at);
    out.valid = true;
    tsVerdict = { valid: true, verified: onchainShapeOf(verified) };
  } catch (e) {
    if (!(e instanceof IasVerificationError)) throw e;
    out.error = errorJson(e);
    if (key === undefined) registrationError = e;
    tsVerdict = { valid: false, error: { code: e.code, args: [...e.args] } };
    if (e.code === "ReportSignatureInvalid" && key !== undefined) {
      const hint = signatureHint(report, signature, key);
      if (hint !== undefined) out.hint = hint;
    }
  }
  const warnings = certificateWarnings(key);
  if (warnings.length > 0) out.warnings = warnings;

  if (args.onchain === true) Object.assign(out, await replayOnchain(hre, ca.der, certificate, report, signature, policy, at, tsVerdict, registrationError));
  if (deployedVerifier !== undefined) Object.assign(out, await checkDeployed(hre, deployedVerifier, certificate, report, signature, tsVerdict));
  if (out.onchainError?.code === "SigningKeyNotRegistered") {
    (out.warnings ??= []).push(
      `the verifier at ${deployedVerifier} has not registered this signing certificate: anyone may register it with ` +
        "registerSigningCertificate(<the certificate's DER>) (it is checked under the verifier's pinned CA), then verify again",
    );
  }
  return out;
}

/** --verifier: an address, with a specific message for a mistyped checksum. */
function verifierAddress(value: string): string {
  return addressArgument("verifier", value) ?? fail(`--verifier ${JSON.stringify(value)} is not an address (0x followed by 40 hex digits)`);
}

/**
 * Checks the report against a verifier already deployed on the task's network, as a call (nothing is sent):
 * the verdict of its CA, registered keys and policy at its latest block's time. The TypeScript verdict keeps
 * the command line's policy and --at, so `onchainAgrees` compares like with like only when those match
 * the verifier's (the output shows both).
 */
async function checkDeployed(
  hre: HardhatRuntimeEnvironment,
  address: string,
  certificate: Buffer,
  report: Buffer,
  signature: Buffer,
  tsVerdict: VerificationOutcome,
): Promise<Pick<VerifyReportOutput, "onchainAgrees" | "onchainError" | "onchainVerifier" | "onchainPolicy">> {
  const provider = hre.ethers.provider;
  const chainId = Number((await provider.getNetwork()).chainId);
  const where = `on network ${hre.network.name} (chain id ${chainId})`;
  if ((await provider.getCode(address)) === "0x") {
    fail(`--verifier ${address}: there is no contract at this address ${where}; check the address and --network`);
  }
  const verifier = new Contract(address, anonifyArtifact(hre, IAS_VERIFIER_CONTRACT).abi, provider) as IasVerifierContract;
  let onchainPolicy: NonNullable<VerifyReportOutput["onchainPolicy"]>;
  try {
    const p = await verifier.policy();
    onchainPolicy = {
      debugAllowed: p.debugAllowed,
      mrenclaveCheck: p.mrenclaveCheck,
      signerCheck: p.signerCheck,
      mrsigner: String(p.mrsigner).toLowerCase(),
      isvProdId: Number(p.isvProdId),
      minIsvSvn: Number(p.minIsvSvn),
      maxReportAge: Number(p.maxReportAge),
      deniedSigningKeys: Number(p.deniedSigningKeys),
    };
  } catch (e) {
    return fail(`--verifier ${address}: the contract ${where} is not an IasVerifier (its policy() call failed: ${(e as Error).message.split("\n")[0]})`);
  }
  const block = (await provider.getBlock("latest"))!;
  const keyId = keyIdOfCertificate(certificate);
  // Pinned to the block read above, so the verdict and the reported block time belong together.
  let chain: VerificationOutcome;
  try {
    const result = await verifier.verifyReport.staticCall(keyId, report, signature, { blockTag: block.number });
    chain = { valid: true, verified: normalizeOnchainVerified(result.toObject ? result.toObject() : result) };
  } catch (e) {
    chain = { valid: false, error: decodeRevert(verifier.interface, e) };
  }
  return {
    onchainVerifier: { address, network: hre.network.name, chainId, blockNumber: block.number, blockTime: block.timestamp },
    onchainPolicy,
    onchainAgrees: JSON.stringify(chain, bigints) === JSON.stringify(tsVerdict, bigints),
    onchainError: chain.valid ? null : namedError(chain.error),
  };
}

/** Why a signature may fail over these bytes although the report is genuine, when the bytes say so. */
function signatureHint(report: Buffer, signature: Buffer, key: SigningKey): string | undefined {
  const trimmed = report.subarray(0, report.toString("latin1").trimEnd().length); // latin1: one character per byte
  if (trimmed.length < report.length && signatureVerifies(key, trimmed, signature)) {
    return (
      `the signature verifies over the report without its last ${report.length - trimmed.length} byte(s) ` +
      `(${JSON.stringify(report.subarray(trimmed.length).toString("latin1"))}): the file has bytes IAS did not sign, ` +
      "e.g. a newline an editor or `echo` added. Remove them: the signature covers the exact bytes of the response body"
    );
  }
  try {
    JSON.parse(report.toString("utf8"));
  } catch {
    return (
      "the report file is not JSON: --report must be the exact body of IAS's attestation response (the bytes " +
      "X-IASReport-Signature signs), not the response headers, a base64 or hex copy of it, or another file"
    );
  }
  return undefined;
}

/** Whether `signature` is the signing key's over `report` (later report errors do not matter here). */
function signatureVerifies(key: SigningKey, report: Buffer, signature: Buffer): boolean {
  try {
    verifyReportWithoutPolicy(key.keyId, report, signature, key);
    return true;
  } catch (e) {
    return !(e instanceof IasVerificationError && (e.code === "ReportSignatureInvalid" || e.code === "SignatureLengthInvalid"));
  }
}

/** A signing certificate past its notAfter today: reports it signed stay valid, but newer ones need its successor. */
function certificateWarnings(key: SigningKey | undefined): string[] {
  if (key === undefined) return [];
  const now = BigInt(Math.floor(Date.now() / 1000));
  if (key.notAfter >= now) return [];
  const expired = new Date(Number(key.notAfter) * 1000).toISOString();
  return [
    `the signing certificate expired on ${expired}: reports it signed while valid still verify, but IAS signs newer ` +
      "ones with its successor (take it from the X-IASReport-Signing-Certificate header and pass it with --cert)",
  ];
}

async function replayOnchain(
  hre: HardhatRuntimeEnvironment,
  caDer: Buffer,
  certificate: Buffer,
  report: Buffer,
  signature: Buffer,
  policy: VerificationPolicy,
  at: bigint,
  tsVerdict: VerificationOutcome,
  registrationError: IasVerificationError | undefined,
): Promise<Pick<VerifyReportOutput, "gasUsed" | "onchainAgrees" | "onchainError">> {
  const ageChecked = BigInt(policy.maxReportAge ?? 0) !== 0n;
  if (ageChecked) await requireChainTimeNotAfter(hre, at);
  // The package's own checkout verifies with its fresh compile; an installed package with its prebuilt artifact.
  if (isPackageCheckout(hre.config.paths.root)) await hre.run("compile", { quiet: true });
  const verifier = await deployIasVerifier(hre, caDer, policy);
  let keyId: string;
  try {
    keyId = ((await verifier.registerSigningCertificate.staticCall(certificate)) as string).toLowerCase();
    await (await verifier.registerSigningCertificate(certificate)).wait();
  } catch (e) {
    const chainError = decodeRevert(verifier.interface, e);
    const agrees = registrationError !== undefined && chainError.code === registrationError.code && sameArgs(chainError.args, [...registrationError.args]);
    return { gasUsed: null, onchainAgrees: agrees, onchainError: namedError(chainError) };
  }
  if (ageChecked) await moveChainTimeTo(hre, at);
  const chain = await verifyReportOnchain(verifier, keyId, report, signature);
  const agrees = registrationError === undefined && JSON.stringify(chain, bigints) === JSON.stringify(tsVerdict, bigints);
  const gasUsed = chain.valid ? await measureVerifyReportGas(verifier, keyId, report, signature) : null;
  return { gasUsed, onchainAgrees: agrees, onchainError: chain.valid ? null : namedError(chain.error) };
}

/** The in-process chain's latest block time. */
async function chainTime(hre: HardhatRuntimeEnvironment): Promise<bigint> {
  const latest = (await hre.network.provider.request({ method: "eth_getBlockByNumber", params: ["latest", false] })) as { timestamp: string };
  return BigInt(latest.timestamp);
}

/** The in-process chain's clock only moves forward: a time before its latest block cannot be replayed on chain. */
async function requireChainTimeNotAfter(hre: HardhatRuntimeEnvironment, at: bigint): Promise<void> {
  const now = await chainTime(hre);
  if (at < now) {
    fail(`--onchain with --max-report-age replays the age check at block time; --at ${at} is before the in-process chain's time ${now}: give a later --at or drop --onchain`);
  }
}

/** The age check reads block.timestamp: mine a block at `at` (or as close after it as the clock allows). */
async function moveChainTimeTo(hre: HardhatRuntimeEnvironment, at: bigint): Promise<void> {
  await requireChainTimeNotAfter(hre, at);
  if (at > (await chainTime(hre))) await hre.network.provider.request({ method: "evm_setNextBlockTimestamp", params: [Number(at)] });
  await hre.network.provider.request({ method: "evm_mine", params: [] });
}

function namedError(e: { code: string; args: IasErrorArgument[] }): { code: string; details: Record<string, string | number | boolean> } {
  const names: readonly string[] = IAS_ERROR_PARAMETERS[e.code as keyof typeof IAS_ERROR_PARAMETERS] ?? e.args.map((_, i) => String(i));
  const details: Record<string, string | number | boolean> = {};
  e.args.forEach((a, i) => (details[names[i] ?? String(i)] = jsonValue(a)));
  return { code: e.code, details };
}

function bigints(_k: string, v: unknown): unknown {
  return typeof v === "bigint" ? v.toString() : v;
}

function sameArgs(a: unknown[], b: unknown[]): boolean {
  return JSON.stringify(a, bigints) === JSON.stringify(b, bigints);
}
