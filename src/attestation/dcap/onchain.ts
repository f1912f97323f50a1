/**
 * `anonify:verify-quote --onchain`: the same quote and collateral verified by the contracts a DCAP deployment uses
 * (`DcapCollateral` with its linked `TcbInfo` / `QeIdentity`, `DcapCrls`, `DcapVerifier` with its linked
 * `PckChainVerification`, all pinned to the root the off-chain verdict used), at the same time, under the same
 * policy; the chain's verdict is put in the off-chain verifier's terms so the two can be compared.
 *
 * Time. The collateral is judged at `block.timestamp` (upserts and `verifyQuote` alike), and Intel's collateral is
 * current for a month only, so `--at` is usually in the past, where the task's in-process chain cannot go back. The
 * harnesses in contracts/test/ override `_now()`, but they are not what users deploy. So the replay runs on a fresh
 * in-process chain of its own, built from the project's `hardhat` network config (hardfork, gas limits) with its
 * genesis at `--at` and every block mined at exactly `--at` (`allowBlocksWithSameTimestamp`): the production
 * contracts see `block.timestamp == --at`, and the task's own chain (and any test snapshot on it) is left untouched.
 */
import type { Artifact, HardhatNetworkConfig, HardhatRuntimeEnvironment } from "hardhat/types";
// Internal paths of the peer dependencies (hardhat ~2.29, hardhat-ethers ^3): how Hardhat builds its in-process network
// from a config, and the ethers provider hre.ethers wraps it in (so reverts carry their data as on hre's own chain).
import { createProvider } from "hardhat/internal/core/providers/construction";
import { HardhatEthersProvider } from "@nomicfoundation/hardhat-ethers/internal/hardhat-ethers-provider";
import { Interface, type BaseContract, type ContractTransactionReceipt, type ContractTransactionResponse, type Signer } from "ethers";
import { AnonifyPluginError } from "../../errors";
import { isPackageCheckout } from "../../package/paths";
import { anonifyArtifact, type ShippedContract } from "../../package/artifacts";
import { TX_BASE_GAS, calldataGas, decodeRevert, type GasUsed } from "../onchain";
import { jsonValue } from "../errors";
import { TCB_STATUSES, type TcbStatus } from "./collateral";
import { DCAP_ERROR_PARAMETERS, DcapVerificationError, type DcapErrorArgument } from "./errors";
import { decodeQuote } from "./quote";
import { parseCrl } from "./crl";
import { splitPemChain, type PinnedRoot } from "./x509";
import { equalBytes } from "./der";
import type { DcapPolicy, VerifiedQuote } from "./verifier";
import type { QuoteInputs } from "./quoteTool";

/** The contracts deployed: a DCAP deployment's (deploy/modules/anonifyDcapModule.ts), shipped prebuilt with the package. */
const CONTRACTS = ["TcbInfo", "QeIdentity", "PckChainVerification", "DcapCollateral", "DcapCrls", "DcapVerifier"] as const satisfies readonly ShippedContract[];
type DcapContract = (typeof CONTRACTS)[number];

/** Osaka's per-transaction gas cap (EIP-7825): upserts and a new-chain verification are sent with it, not estimated. */
const TX_GAS_CAP = 16_777_216n;
/** The verifier's admin-transfer delay: irrelevant on a throwaway chain. */
const NO_ADMIN_DELAY = 0;
const EMPTY_CHAIN = "0x";

/** An error argument as either side gives it (the chain's ABI could also carry booleans). */
type ErrorArgument = DcapErrorArgument | boolean;

/** One verifier's verdict in comparable form: the verified fields, or an error's code and arguments. */
export type QuoteOutcome =
  | { valid: true; verified: ComparedFields }
  | { valid: false; error: { code: string; args: ErrorArgument[] } };

/** What both sides report for a verified quote (advisory IDs: the chain keeps only their hashes). */
export interface ComparedFields {
  mrenclave: string;
  mrsigner: string;
  isvProdId: number;
  isvSvn: number;
  debug: boolean;
  reportData: string;
  tcbStatus: string;
  qeTcbStatus: string;
  fmspc: string;
  pceId: string;
  tcbEvaluationDataNumber: number;
  collateralNextUpdate: string;
  quoteVersion: number;
}

export function comparedFieldsOf(v: VerifiedQuote): ComparedFields {
  return {
    mrenclave: v.mrenclave,
    mrsigner: v.mrsigner,
    isvProdId: v.isvProdId,
    isvSvn: v.isvSvn,
    debug: v.debug,
    reportData: v.reportData,
    tcbStatus: v.tcbStatus,
    qeTcbStatus: v.qeTcbStatus,
    fmspc: v.fmspc,
    pceId: v.pceId,
    tcbEvaluationDataNumber: v.tcbEvaluationDataNumber,
    collateralNextUpdate: v.collateralNextUpdate.toString(),
    quoteVersion: v.quoteVersion,
  };
}

/** `IDcapVerifier.Verified` as ethers returns it. */
export interface ChainVerified {
  mrenclave: string;
  mrsigner: string;
  isvProdId: bigint;
  isvSvn: bigint;
  debug: boolean;
  reportDataLow: string;
  reportDataHigh: string;
  tcbStatus: bigint;
  qeTcbStatus: bigint;
  fmspc: string;
  pceId: string;
  tcbEvaluationDataNumber: bigint;
  collateralNextUpdate: bigint;
  quoteVersion: bigint;
}

/** A verified quote as the chain returns it, in {@link ComparedFields} form. */
export function chainFieldsOf(v: ChainVerified): ComparedFields {
  return {
    mrenclave: v.mrenclave.toLowerCase(),
    mrsigner: v.mrsigner.toLowerCase(),
    isvProdId: Number(v.isvProdId),
    isvSvn: Number(v.isvSvn),
    debug: v.debug,
    reportData: (v.reportDataLow + v.reportDataHigh.slice(2)).toLowerCase(),
    tcbStatus: TCB_STATUSES[Number(v.tcbStatus)],
    qeTcbStatus: TCB_STATUSES[Number(v.qeTcbStatus)],
    fmspc: v.fmspc.toLowerCase(),
    pceId: v.pceId.toLowerCase(),
    tcbEvaluationDataNumber: Number(v.tcbEvaluationDataNumber),
    collateralNextUpdate: v.collateralNextUpdate.toString(),
    quoteVersion: Number(v.quoteVersion),
  };
}

/** A contract call's refusal as the task prints it. */
export interface OnchainRefusal {
  /** The call that reverted: `verifyQuote`, `upsertTcbInfo`, `upsertQeIdentity` or `upsertCrl` (with the --crl index). */
  call: string;
  code: string;
  details: Record<string, string | number | boolean>;
}

export interface OnchainQuoteReport {
  /** verifyQuote's gas (a PCK chain new to the verifier: verified and cached); null when it refused. */
  gasUsed: GasUsed | null;
  /** Each upsert's gas (null: refused, see `collateralRefused`); CRLs in --crl order. */
  collateralGas: { tcbInfo: GasUsed | null; qeIdentity: GasUsed | null; crls: (GasUsed | null)[] };
  /** Same verdict, and the same error and arguments or the same verified fields, as off chain. */
  onchainAgrees: boolean;
  /** Why the chain refused, in the off-chain verifier's terms (see {@link chainVerdict}); null when it verified. */
  onchainError: OnchainRefusal | null;
  /** verifyQuote's own revert, when the reason above is another call's (an upsert refused) or a documented equivalent. */
  onchainRevert?: OnchainRefusal;
  /** The upserts the stores refused. */
  collateralRefused?: OnchainRefusal[];
}

/** What the off-chain verdict took (quoteTool.ts), and the root it pinned. */
export interface OnchainQuoteInputs extends QuoteInputs {
  /** The root the off-chain verdict pinned, as DER and parsed. */
  rootDer: Buffer;
  root: PinnedRoot;
}

function fail(message: string): never {
  throw new AnonifyPluginError(message);
}

/**
 * DcapVerifier reads both CRLs for every quote (`CrlNotStored` without them) where the off-chain verifier runs
 * without and says `revocationChecked: false`; so `--onchain` requires CRLs of two issuers (the root CA's and a PCK
 * CA's) to compare like with like: off chain, two issuers are both checked or one is refused (`CrlIssuerUnknown`).
 * CRLs that do not parse are left to the verdicts (`CrlMalformed` on both sides).
 */
export function requireBothCrls(crls: readonly Uint8Array[], root: PinnedRoot): void {
  const issuers = new Map<string, boolean>(); // issuer name (hex) -> issued by the pinned root
  for (const der of crls) {
    let issuer: Uint8Array;
    try {
      issuer = parseCrl(der).issuer;
    } catch (e) {
      if (e instanceof DcapVerificationError) return;
      throw e;
    }
    issuers.set(Buffer.from(issuer).toString("hex"), equalBytes(issuer, root.certificate.subject));
  }
  if (issuers.size >= 2) return;
  const rootCrl = [...issuers.values()].includes(true);
  const missing = rootCrl ? "a PCK CA CRL" : issuers.size === 0 ? "both" : "the root CA CRL";
  fail(
    `--onchain needs both CRLs (--crl <root CA CRL> --crl <PCK CA CRL>), missing ${missing}: DcapVerifier checks ` +
      "revocation for every quote and refuses one whose CRLs are not stored (CrlNotStored), while off chain the verdict only " +
      "says revocationChecked: false. The PCS serves them at /sgx/certification/v4/rootcacrl and /pckcrl?ca=platform|processor",
  );
}

async function readArtifacts(hre: HardhatRuntimeEnvironment): Promise<Record<DcapContract, Artifact>> {
  // The package's own checkout verifies with its fresh compile; an installed package with its prebuilt artifacts.
  if (isPackageCheckout(hre.config.paths.root)) await hre.run("compile", { quiet: true });
  const out = {} as Record<DcapContract, Artifact>;
  for (const name of CONTRACTS) out[name] = anonifyArtifact(hre, name);
  return out;
}

/** A fresh in-process chain whose every block is at `at` (see the module comment). */
class ChainAt {
  private constructor(
    readonly provider: HardhatEthersProvider,
    readonly at: bigint,
  ) {}

  static async create(hre: HardhatRuntimeEnvironment, at: bigint): Promise<ChainAt> {
    const base = hre.config.networks.hardhat as HardhatNetworkConfig;
    const network: HardhatNetworkConfig = {
      ...base,
      initialDate: new Date(Number(at) * 1000).toISOString(),
      allowBlocksWithSameTimestamp: true,
      forking: undefined,
      // The verdict is read from reverts, and stdout carries only the JSON verdict.
      throwOnTransactionFailures: true,
      throwOnCallFailures: true,
      loggingEnabled: false,
      mining: { ...base.mining, auto: true, interval: 0 },
    };
    const provider = await createProvider({ ...hre.config, networks: { ...hre.config.networks, hardhat: network } }, "hardhat", hre.artifacts);
    return new ChainAt(new HardhatEthersProvider(provider, "hardhat"), at);
  }

  /** Mines `send`'s transaction at exactly `at`; returns its receipt and gas. */
  async mine(send: () => Promise<ContractTransactionResponse>): Promise<{ receipt: ContractTransactionReceipt; gas: GasUsed }> {
    await this.provider.send("evm_setNextBlockTimestamp", [Number(this.at)]);
    const tx = await send();
    const receipt = await tx.wait();
    if (receipt === null || receipt.status !== 1) throw new Error(`transaction ${tx.hash} was not mined successfully`);
    const block = await this.provider.getBlock(receipt.blockNumber);
    if (BigInt(block!.timestamp) !== this.at) throw new Error(`block ${receipt.blockNumber} is at ${block!.timestamp}, not ${this.at}`);
    const total = Number(receipt.gasUsed);
    return { receipt, gas: { execution: total - TX_BASE_GAS - calldataGas(tx.data), total } };
  }

  async deploy(hre: HardhatRuntimeEnvironment, artifact: Artifact, signer: Signer, args: unknown[], libraries: Record<string, string> = {}): Promise<Contract> {
    const factory = await hre.ethers.getContractFactoryFromArtifact(artifact, { signer, libraries });
    await this.provider.send("evm_setNextBlockTimestamp", [Number(this.at)]);
    const contract = await factory.deploy(...args);
    await contract.waitForDeployment();
    return contract as Contract;
  }
}

type Contract = BaseContract & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Every custom error the deployed contracts and their linked libraries can revert with. */
export function errorsOf(artifacts: Record<string, Artifact>): Interface {
  const seen = new Set<string>();
  const fragments = Object.values(artifacts)
    .flatMap((a) => a.abi)
    .filter((f: { type: string; name: string }) => f.type === "error" && !seen.has(f.name) && seen.add(f.name));
  return new Interface(fragments);
}

export function refusal(errors: Interface, call: string, error: { code: string; args: ErrorArgument[] }): OnchainRefusal {
  const known = DCAP_ERROR_PARAMETERS[error.code as keyof typeof DCAP_ERROR_PARAMETERS] as readonly string[] | undefined;
  const names = known ?? errors.getError(error.code)?.inputs.map((i) => i.name) ?? [];
  const details: Record<string, string | number | boolean> = {};
  error.args.forEach((a, i) => (details[names[i] || String(i)] = jsonValue(a)));
  return { call, code: error.code, details };
}

/** The PCK CA then the root from the quote's PCK chain: the issuer chain a PCK CA CRL is upserted with. */
export function pckCaChainPemOf(quote: Uint8Array): string {
  try {
    const [, pckCa, root] = splitPemChain(decodeQuote(quote).pckChainPem);
    if (pckCa === undefined || root === undefined) return EMPTY_CHAIN;
    const pem = (der: Uint8Array) => `-----BEGIN CERTIFICATE-----\n${Buffer.from(der).toString("base64").match(/.{1,64}/g)!.join("\n")}\n-----END CERTIFICATE-----\n`;
    return "0x" + Buffer.from(pem(pckCa) + pem(root), "latin1").toString("hex");
  } catch (e) {
    if (e instanceof DcapVerificationError) return EMPTY_CHAIN; // verifyQuote refuses the quote itself first
    throw e;
  }
}

/**
 * The issuer chain `DcapCrls.upsertCrl` takes with `der`: none for the root CA CRL (issued by the pinned root), else
 * `pckCaChain` ({@link pckCaChainPemOf} of the quote); a CRL that does not parse gets `pckCaChain` and is refused by the upsert.
 */
export function crlIssuerChainOf(der: Uint8Array, root: PinnedRoot, pckCaChain: string): string {
  let issuedByRoot = false;
  try {
    issuedByRoot = equalBytes(parseCrl(der).issuer, root.certificate.subject);
  } catch (e) {
    if (!(e instanceof DcapVerificationError)) throw e;
  }
  return issuedByRoot ? EMPTY_CHAIN : pckCaChain;
}

/** Sets the verifier's policy to `policy`'s meaning (the off-chain defaults: UpToDate only, no MRENCLAVE check unless listed). */
async function applyPolicy(chain: ChainAt, verifier: Contract, policy: DcapPolicy): Promise<void> {
  const allowed = new Set<TcbStatus>(policy.allowedTcbStatuses ?? ["UpToDate"]);
  for (const [i, status] of TCB_STATUSES.entries()) {
    if (status === "Revoked") continue; // never allowable
    if ((await verifier.isTcbStatusAllowed(i)) !== allowed.has(status)) await chain.mine(() => verifier.setTcbStatusAllowed(i, allowed.has(status)));
  }
  await chain.mine(() => verifier.setDebugAllowed(policy.allowDebug === true));
  await chain.mine(() => verifier.setMrenclaveCheck(policy.allowedMrenclaves !== undefined));
  for (const m of policy.allowedMrenclaves ?? []) await chain.mine(() => verifier.setMrenclaveAllowed(m, true));
}

const NOT_STORED_BY_UPSERT: Record<string, string> = {
  TcbInfoNotStored: "upsertTcbInfo",
  QeIdentityNotStored: "upsertQeIdentity",
  CrlNotStored: "upsertCrl",
};

/** Errors of the TCB Signing chain (step 3), which the chain checks only when TCB Info or QE Identity is upserted. */
const TCB_SIGNING_CHAIN_ERROR = /^(RootCaNotPinned|PckChain|Certificate)/;

/** A refusal with its raw arguments, as compared. */
export type ChainRefusal = OnchainRefusal & { args: ErrorArgument[] };

/**
 * The chain's verdict in the off-chain verifier's terms. The contracts check collateral when it is upserted, so a
 * `…NotStored` revert of verifyQuote (steps 1 and 2 passed) whose upsert was refused is that refusal (for CRLs the
 * first refused, in --crl order, as off chain), except that a TCB Signing chain refused at a TCB Info or QE Identity
 * upsert comes first (step 3, before the CRLs of step 4). TCB Info stored for another platform is
 * `TcbInfoNotStored(fmspc, pceId)` on chain (it is looked up by the PCK's FMSPC and PCEID) where off chain it is
 * `FmspcMismatch` / `PceIdMismatch` (docs/attestation-dcap.md, "DcapVerifier").
 */
export function chainVerdict(revert: ChainRefusal, refused: readonly ChainRefusal[], storedTcbInfo: { fmspc: string; pceId: string } | null): ChainRefusal {
  const upsert = NOT_STORED_BY_UPSERT[revert.code];
  if (upsert !== undefined) {
    const signingChain = refused.find((r) => (r.call === "upsertTcbInfo" || r.call === "upsertQeIdentity") && TCB_SIGNING_CHAIN_ERROR.test(r.code));
    const cause = signingChain ?? refused.find((r) => r.call.startsWith(upsert));
    if (cause !== undefined) return cause;
  }
  if (revert.code === "TcbInfoNotStored" && storedTcbInfo !== null) {
    const [fmspc, pceId] = revert.args as string[];
    const [code, args] = fmspc !== storedTcbInfo.fmspc ? ["FmspcMismatch", [fmspc, storedTcbInfo.fmspc]] : ["PceIdMismatch", [pceId, storedTcbInfo.pceId]];
    return { call: revert.call, code, details: { expected: args[0], actual: args[1] }, args };
  }
  return revert;
}

function bigints(_k: string, v: unknown): unknown {
  return typeof v === "bigint" ? v.toString() : v;
}

/**
 * Deploys the stores and the verifier on a chain at `inputs.now`, upserts the collateral given, sets the policy,
 * verifies the quote and compares the verdict with `offchain`.
 */
export async function replayQuoteOnchain(hre: HardhatRuntimeEnvironment, inputs: OnchainQuoteInputs, offchain: QuoteOutcome): Promise<OnchainQuoteReport> {
  const artifacts = await readArtifacts(hre);
  const errors = errorsOf(artifacts);
  const chain = await ChainAt.create(hre, inputs.now);
  const signer = await chain.provider.getSigner(0);
  const rootDer = "0x" + inputs.rootDer.toString("hex");

  const tcbInfoLib = await chain.deploy(hre, artifacts.TcbInfo, signer, []);
  const qeIdentityLib = await chain.deploy(hre, artifacts.QeIdentity, signer, []);
  const pckLib = await chain.deploy(hre, artifacts.PckChainVerification, signer, []);
  const collateral = await chain.deploy(hre, artifacts.DcapCollateral, signer, [rootDer], {
    TcbInfo: await tcbInfoLib.getAddress(),
    QeIdentity: await qeIdentityLib.getAddress(),
  });
  const crls = await chain.deploy(hre, artifacts.DcapCrls, signer, [rootDer]);
  const verifier = await chain.deploy(
    hre,
    artifacts.DcapVerifier,
    signer,
    [rootDer, await collateral.getAddress(), await crls.getAddress(), await signer.getAddress(), NO_ADMIN_DELAY],
    { PckChainVerification: await pckLib.getAddress() },
  );
  await applyPolicy(chain, verifier, inputs.policy);

  const refused: ChainRefusal[] = [];
  const upsert = async (call: string, send: () => Promise<ContractTransactionResponse>): Promise<{ gas: GasUsed; receipt: ContractTransactionReceipt } | null> => {
    try {
      return await chain.mine(send);
    } catch (e) {
      const error = decodeRevert(errors, e);
      refused.push({ ...refusal(errors, call, error), args: error.args });
      return null;
    }
  };
  const gasLimit = { gasLimit: TX_GAS_CAP };
  const tcbInfo = await upsert("upsertTcbInfo", () => collateral.upsertTcbInfo(inputs.tcbInfo, inputs.tcbSigningChainPem, gasLimit));
  const qeIdentity = await upsert("upsertQeIdentity", () => collateral.upsertQeIdentity(inputs.qeIdentity, inputs.tcbSigningChainPem, gasLimit));
  const pckCaChain = pckCaChainPemOf(inputs.quote);
  const crlGas: (GasUsed | null)[] = [];
  for (const [i, der] of inputs.crls.entries()) {
    const result = await upsert(`upsertCrl[${i}]`, () => crls.upsertCrl(der, crlIssuerChainOf(der, inputs.root, pckCaChain), gasLimit));
    crlGas.push(result?.gas ?? null);
  }
  const storedTcbInfo = tcbInfoStored(collateral, tcbInfo?.receipt);

  // The verdict of the mined transaction (at --at), then the returned fields by a call on the resulting state.
  let outcome: QuoteOutcome;
  let gasUsed: GasUsed | null = null;
  let onchainError: ChainRefusal | null = null;
  let onchainRevert: ChainRefusal | undefined;
  try {
    const { gas, receipt } = await chain.mine(() => verifier.verifyQuote(inputs.quote, gasLimit));
    gasUsed = gas;
    const verified = (await verifier.verifyQuote.staticCall(inputs.quote, { ...gasLimit, blockTag: receipt.blockNumber })) as ChainVerified;
    outcome = { valid: true, verified: chainFieldsOf(verified) };
  } catch (e) {
    const error = decodeRevert(errors, e);
    const revert: ChainRefusal = { ...refusal(errors, "verifyQuote", error), args: error.args };
    onchainError = chainVerdict(revert, refused, storedTcbInfo);
    if (onchainError !== revert) onchainRevert = revert;
    outcome = { valid: false, error: { code: onchainError.code, args: onchainError.args } };
  }
  const strip = (r: ChainRefusal): OnchainRefusal => ({ call: r.call, code: r.code, details: r.details });
  const report: OnchainQuoteReport = {
    gasUsed,
    collateralGas: { tcbInfo: tcbInfo?.gas ?? null, qeIdentity: qeIdentity?.gas ?? null, crls: crlGas },
    onchainAgrees: JSON.stringify(outcome, bigints) === JSON.stringify(offchain, bigints),
    onchainError: onchainError === null ? null : strip(onchainError),
  };
  if (onchainRevert !== undefined) report.onchainRevert = strip(onchainRevert);
  if (refused.length > 0) report.collateralRefused = refused.map(strip);
  return report;
}

/** The (FMSPC, PCEID) the TCB Info upsert stored, from its `TcbInfoUpdated` event. */
export function tcbInfoStored(collateral: Contract, receipt: ContractTransactionReceipt | undefined): { fmspc: string; pceId: string } | null {
  for (const log of receipt?.logs ?? []) {
    const parsed = collateral.interface.parseLog(log);
    if (parsed?.name === "TcbInfoUpdated") return { fmspc: String(parsed.args.fmspc).toLowerCase(), pceId: String(parsed.args.pceId).toLowerCase() };
  }
  return null;
}
