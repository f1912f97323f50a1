/**
 * What `npx hardhat anonify:verify-quote` does: read a raw DCAP quote and its PCS collateral from files,
 * verify them at a given time under the pinned Intel SGX Root CA and a policy, optionally replay the same
 * verification on the DCAP contracts (./onchain.ts), and describe the verdict as one JSON object
 * (docs/attestation-dcap.md, "`npx hardhat anonify:verify-quote`").
 */
import fs from "node:fs";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { AnonifyPluginError } from "../../errors";
import { DcapVerificationError } from "./errors";
import { TCB_STATUSES, type TcbStatus } from "./collateral";
import { checkEnclavePolicy, checkTcbPolicy, intelSgxRoot, verifyQuoteEvidence, type DcapPolicy, type VerifiedQuote } from "./verifier";
import { dcapRootDer, intelTcbSigningChainPem } from "./roots";
import { comparedFieldsOf, replayQuoteOnchain, requireBothCrls, type OnchainQuoteReport, type QuoteOutcome } from "./onchain";

export interface VerifyQuoteArgs {
  quote: string;
  tcbInfo: string;
  qeIdentity: string;
  /** PEM file: TCB Signing certificate, then the root. Default: the chain the project ships. */
  tcbChain?: string;
  /** CRL files (DER or PEM), one or more. */
  crl?: string | string[];
  /** ISO-8601 or unix seconds; default now. */
  at?: string;
  /** Comma-separated TCB statuses; default UpToDate. */
  allowTcbStatus?: string;
  allowDebug?: boolean;
  /** Comma-separated MRENCLAVE allowlist (32-byte hex). */
  mrenclave?: string;
  onchain?: boolean;
}

export interface VerifyQuoteOutput {
  valid: boolean;
  error?: { code: string; message: string; details: Record<string, string | number | boolean> };
  tcbStatus: TcbStatus | null;
  qeTcbStatus: TcbStatus | null;
  advisoryIds: string[] | null;
  fmspc: string | null;
  mrenclave: string | null;
  mrsigner: string | null;
  isvProdId: number | null;
  isvSvn: number | null;
  debug: boolean | null;
  reportData: string | null;
  revocationChecked: boolean;
  quoteVersion: number | null;
  /** The verification time: unix seconds and ISO-8601. */
  at: number;
  atUtc: string;
  /** The earliest nextUpdate of the collateral used (ISO-8601), when verified. */
  collateralNextUpdate: string | null;
  policy: { allowedTcbStatuses: TcbStatus[]; allowDebug: boolean; allowedMrenclaves: string[] | null };
  /** With --onchain: verifyQuote's gas (execution and total), null when the chain refused. */
  gasUsed?: OnchainQuoteReport["gasUsed"];
  /** With --onchain: each collateral upsert's gas. */
  collateralGas?: OnchainQuoteReport["collateralGas"];
  /** With --onchain: the chain gave the same verdict (same error and arguments, or the same fields). */
  onchainAgrees?: boolean;
  /** With --onchain: why the chain refused, in the off-chain error's terms, and which call reverted. */
  onchainError?: OnchainQuoteReport["onchainError"];
  onchainRevert?: OnchainQuoteReport["onchainRevert"];
  collateralRefused?: OnchainQuoteReport["collateralRefused"];
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

/** `--at`: unix seconds (digits) or an ISO-8601 date-time with a zone. */
export function parseAt(value: string | undefined, now: () => number = Date.now): bigint {
  if (value === undefined) return BigInt(Math.floor(now() / 1000));
  const v = value.trim();
  if (/^\d+$/.test(v)) return BigInt(v);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(v)) {
    fail(`--at ${JSON.stringify(value)} is neither unix seconds nor an ISO-8601 date-time with a zone (e.g. 2025-08-15T05:45:00Z)`);
  }
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) fail(`--at ${JSON.stringify(value)} is not a valid date`);
  return BigInt(Math.floor(ms / 1000));
}

/** Parses and checks the command-line policy options. */
export function dcapPolicyFromArgs(args: VerifyQuoteArgs): DcapPolicy {
  const statuses = args.allowTcbStatus === undefined ? ["UpToDate"] : list(args.allowTcbStatus);
  if (statuses.length === 0) fail("--allow-tcb-status needs at least one status");
  for (const s of statuses) {
    if (!(TCB_STATUSES as readonly string[]).includes(s) || s === "Revoked") {
      fail(`--allow-tcb-status: ${JSON.stringify(s)} cannot be allowed; known: ${TCB_STATUSES.filter((t) => t !== "Revoked").join(", ")}`);
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
  return { allowedTcbStatuses: statuses as TcbStatus[], allowDebug: args.allowDebug === true, allowedMrenclaves };
}

const PEM_CRL = /^\s*-----BEGIN X509 CRL-----([A-Za-z0-9+/=\s]*)-----END X509 CRL-----\s*$/;

/** A CRL file: DER as is, or one PEM "X509 CRL" block. */
export function readCrl(file: string): Buffer {
  const bytes = readFile("crl", file);
  const text = bytes.toString("latin1");
  if (!text.includes("-----BEGIN")) return bytes;
  const m = PEM_CRL.exec(text);
  if (m === null) fail(`--crl ${JSON.stringify(file)} is PEM but not a single "X509 CRL" block`);
  return Buffer.from(m[1].replace(/\s+/g, ""), "base64");
}

function fieldsOf(v: VerifiedQuote): Partial<VerifyQuoteOutput> {
  return {
    tcbStatus: v.tcbStatus,
    qeTcbStatus: v.qeTcbStatus,
    advisoryIds: v.advisoryIds,
    fmspc: v.fmspc,
    mrenclave: v.mrenclave,
    mrsigner: v.mrsigner,
    isvProdId: v.isvProdId,
    isvSvn: v.isvSvn,
    debug: v.debug,
    reportData: v.reportData,
    revocationChecked: v.revocationChecked,
    quoteVersion: v.quoteVersion,
    collateralNextUpdate: new Date(Number(v.collateralNextUpdate) * 1000).toISOString(),
  };
}

export interface QuoteInputs {
  quote: Buffer;
  tcbInfo: Buffer;
  qeIdentity: Buffer;
  tcbSigningChainPem: Buffer;
  crls: Buffer[];
  now: bigint;
  policy: DcapPolicy;
}

/** Reads every input named by the arguments (bad arguments throw AnonifyPluginError). */
export function readQuoteInputs(args: VerifyQuoteArgs): QuoteInputs {
  const crls = (typeof args.crl === "string" ? [args.crl] : (args.crl ?? [])).map(readCrl);
  return {
    quote: readFile("quote", args.quote),
    tcbInfo: readFile("tcb-info", args.tcbInfo),
    qeIdentity: readFile("qe-identity", args.qeIdentity),
    tcbSigningChainPem: args.tcbChain === undefined ? intelTcbSigningChainPem() : readFile("tcb-chain", args.tcbChain),
    crls,
    now: parseAt(args.at),
    policy: dcapPolicyFromArgs(args),
  };
}

/** The off-chain verdict: evidence, TCB policy, enclave policy; fields shown once the evidence verified. */
export function verifyQuoteInputs(inputs: QuoteInputs): VerifyQuoteOutput {
  return judgeQuote(inputs).out;
}

/** {@link verifyQuoteInputs}, with the verdict also in the form the on-chain one is compared with. */
function judgeQuote(inputs: QuoteInputs): { out: VerifyQuoteOutput; outcome: QuoteOutcome } {
  const { policy, now } = inputs;
  const out: VerifyQuoteOutput = {
    valid: false,
    tcbStatus: null,
    qeTcbStatus: null,
    advisoryIds: null,
    fmspc: null,
    mrenclave: null,
    mrsigner: null,
    isvProdId: null,
    isvSvn: null,
    debug: null,
    reportData: null,
    revocationChecked: false,
    quoteVersion: null,
    at: Number(now),
    atUtc: new Date(Number(now) * 1000).toISOString(),
    collateralNextUpdate: null,
    policy: { allowedTcbStatuses: [...(policy.allowedTcbStatuses ?? [])], allowDebug: policy.allowDebug === true, allowedMrenclaves: policy.allowedMrenclaves ? [...policy.allowedMrenclaves] : null },
  };
  let outcome: QuoteOutcome;
  try {
    const collateral = { tcbInfo: inputs.tcbInfo, qeIdentity: inputs.qeIdentity, tcbSigningChainPem: inputs.tcbSigningChainPem, crls: inputs.crls };
    const verified = verifyQuoteEvidence(inputs.quote, collateral, { now, policy });
    Object.assign(out, fieldsOf(verified));
    checkTcbPolicy(verified, policy);
    checkEnclavePolicy(verified, policy);
    out.valid = true;
    outcome = { valid: true, verified: comparedFieldsOf(verified) };
  } catch (e) {
    if (!(e instanceof DcapVerificationError)) throw e;
    out.error = e.toJSON();
    outcome = { valid: false, error: { code: e.code, args: [...e.args] } };
  }
  // The error (when any) right after `valid`, as a reader looks for it.
  const { valid, error, ...rest } = out;
  return { out: error === undefined ? { valid, ...rest } : { valid, error, ...rest }, outcome };
}

/** Runs the whole command; bad arguments throw AnonifyPluginError, verdicts are returned. */
export async function verifyQuoteCommand(hre: HardhatRuntimeEnvironment, args: VerifyQuoteArgs): Promise<VerifyQuoteOutput> {
  if (args.onchain === true && hre.network.name !== "hardhat") {
    fail(`--onchain deploys the DCAP verifier on the in-process "hardhat" network only; drop --network ${hre.network.name}`);
  }
  const inputs = readQuoteInputs(args);
  // The off-chain verdict pins Intel's SGX Root CA (verifier.ts's default); the contracts pin the same.
  const root = intelSgxRoot();
  if (args.onchain === true) requireBothCrls(inputs.crls, root);
  const { out, outcome } = judgeQuote(inputs);
  if (args.onchain !== true) return out;
  const onchain = await replayQuoteOnchain(hre, { ...inputs, rootDer: dcapRootDer("intel"), root }, outcome);
  return { ...out, ...onchain };
}
