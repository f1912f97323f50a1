/**
 * The node's DCAP path (docs/attestation-dcap.md "The node"): a join carries the enclave's raw SGX ECDSA quote;
 * before posting it the node brings the chain's collateral up to date (the group's DcapVerifier judges the quote
 * against the stored TCB Info, QE Identity and CRLs), and every enclave admits the leaf only after verifying the
 * quote itself with the same collateral (`mls_admit_evidence` kind "dcap").
 *
 * - Quotes. In sgx mode the enclave's quote (Gramine's `/dev/attestation/quote`) is the DCAP quote as is. In
 *   simulation the enclave's 384-byte report body is quoted by the development QE (SIMULATION PKI; a verifier
 *   pinned to Intel's root refuses it).
 * - Collateral for the node's own join comes from a PCS or PCCS (`anonify.dcap.pcsUrl`); in simulation from a
 *   development PCS this process serves on 127.0.0.1 with collateral for the current 30-day window of the chain's
 *   clock (deterministic, so every simulation node serves the same bytes and upserts them once).
 * - Collateral for another enclave's join is the collateral the chain held when that join was verified: the
 *   bodies of the latest upsert transactions at or before the join's block (`ChainCollateral`), so a node
 *   replaying an old log verifies old joins with the collateral that was current then. The source only matters for
 *   availability: the enclave checks every byte under its compiled-in root.
 */
import { Contract, Interface, keccak256, type Provider, type Signer } from "ethers";
import type { EvidenceResult, Hex, MlsAdmitDcapEvidenceParams, MlsGroupPolicyParams } from "../enclave/protocol";
import { TCB_STATUSES } from "../attestation/dcap/collateral";
import { dcapRootDer, type DcapRootName } from "../attestation/dcap/roots";
import { decodeQuote, ENCLAVE_REPORT_LENGTH, QUOTE_HEADER_LENGTH } from "../attestation/dcap/quote";
import { parseCertificate, pinRoot, readSgxExtension, splitPemChain, type PinnedRoot } from "../attestation/dcap/x509";
import { CertificateRole } from "../attestation/dcap/errors";
import { DevelopmentQuotingEnclave } from "../attestation/dcap/devQe";
import { DevelopmentPcs } from "../attestation/dcap/devPcs";
import { DevelopmentPcsServer, developmentPcsContent } from "../attestation/dcap/devPcsServer";
import { PcsClient, type FetchedCollateral } from "../attestation/dcap/pcsClient";
import { DCAP_COLLATERAL_ABI, DCAP_CRLS_ABI, syncCollateral, type CollateralItemResult } from "../attestation/dcap/collateralSync";
import { NodeError } from "./errors";

/** The slice of `DcapVerifier` the node reads. */
export const DCAP_VERIFIER_ABI = [
  "function policy() view returns ((uint8 allowedTcbStatuses, bool debugAllowed, bool mrenclaveCheck, bool signerCheck, uint16 isvProdId, uint16 minIsvSvn, uint32 minTcbEvaluationDataNumber, uint64 collateralGrace, bytes32 mrsigner))",
  "function pinnedRootHash() view returns (bytes32)",
  "function collateralStore() view returns (address)",
  "function crlStore() view returns (address)",
] as const;

/** The simulation quote body (src/attestation/quote.ts): a 48-byte header, then the ISV report body a DCAP quote carries. */
const SIMULATION_REPORT_BODY_OFFSET = QUOTE_HEADER_LENGTH;
/** Intel reissues TCB Info and QE Identity every 30 days; the development PCS serves windows of that length. */
export const DEVELOPMENT_COLLATERAL_WINDOW_SECONDS = 30 * 86_400;
const DAY_SECONDS = 86_400;

/** The collateral a DCAP verdict takes, as `mls_admit_evidence` takes it. */
export interface DcapCollateralBundle {
  tcbInfo: Uint8Array;
  qeIdentity: Uint8Array;
  tcbSigningChainPem: Uint8Array;
  rootCaCrl: Uint8Array;
  pckCaCrl: Uint8Array;
}

/** What a quote's PCK certificate says about the platform: which TCB Info and which PCK CA CRL apply. */
export interface QuotePlatform {
  fmspc: string;
  pceId: string;
  ca: "platform" | "processor";
  /** keccak256 of the PCK CA's subject (DcapCrls' key of its CRL). */
  pckIssuerHash: string;
}

/** Reads the platform of a quote from its PCK certificate (no signature checked: the verifiers do that). */
export function quotePlatform(quote: Uint8Array): QuotePlatform {
  const chain = splitPemChain(decodeQuote(quote).pckChainPem);
  const pck = parseCertificate(chain[0], CertificateRole.Pck);
  const pckCa = parseCertificate(chain[1], CertificateRole.PckCa);
  const sgx = readSgxExtension(pck);
  // Intel names its two PCK CAs "Intel SGX PCK Platform CA" and "Intel SGX PCK Processor CA" (the development PKI alike).
  const ca = Buffer.from(pckCa.subject).toString("latin1").includes("Processor CA") ? "processor" : "platform";
  return { fmspc: sgx.fmspc, pceId: sgx.pceId, ca, pckIssuerHash: keccak256(pck.issuer) };
}

export function dcapAdmitParams(quote: Uint8Array, collateral: DcapCollateralBundle, evidence: Pick<EvidenceResult, "hpkePublicKey" | "mlsSignatureKey">, blockTimestamp?: number): MlsAdmitDcapEvidenceParams {
  const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString("hex")}` as Hex;
  return {
    kind: "dcap",
    quote: hex(quote),
    tcbInfo: hex(collateral.tcbInfo),
    qeIdentity: hex(collateral.qeIdentity),
    tcbSigningChain: hex(collateral.tcbSigningChainPem),
    rootCaCrl: hex(collateral.rootCaCrl),
    pckCaCrl: hex(collateral.pckCaCrl),
    hpkePublicKey: evidence.hpkePublicKey.toLowerCase() as Hex,
    mlsSignatureKey: evidence.mlsSignatureKey.toLowerCase() as Hex,
    ...(blockTimestamp === undefined ? {} : { blockTimestamp: String(blockTimestamp) }),
  };
}

function bundleOf(fetched: FetchedCollateral): DcapCollateralBundle {
  return {
    tcbInfo: fetched.tcbInfo.body,
    qeIdentity: fetched.qeIdentity.body,
    tcbSigningChainPem: fetched.tcbInfo.issuerChainPem,
    rootCaCrl: fetched.rootCaCrl.der,
    pckCaCrl: fetched.pckCrl.der,
  };
}

/** The stores and root of a group's DcapVerifier. */
export interface DcapDeployment {
  verifier: string;
  collateral: string;
  crls: string;
  root: DcapRootName;
  pinned: PinnedRoot;
}

/** Reads a DcapVerifier's stores and names its root; refuses a root this node's mode cannot produce quotes under. */
export async function readDcapDeployment(verifierAddress: string, provider: Provider, mode: "simulation" | "sgx"): Promise<DcapDeployment> {
  const verifier = new Contract(verifierAddress, DCAP_VERIFIER_ABI, provider);
  const [rootHash, collateral, crls] = (await Promise.all([verifier.pinnedRootHash(), verifier.collateralStore(), verifier.crlStore()])) as [string, string, string];
  const roots: DcapRootName[] = ["simulation", "intel"];
  const root = roots.find((name) => keccak256(dcapRootDer(name)) === rootHash.toLowerCase());
  if (root === undefined) throw new NodeError("invalid_options", `the group's DcapVerifier ${verifierAddress} pins an unknown root (${rootHash}): neither Intel's SGX Root CA nor the development PCS's`, 409);
  const wanted: DcapRootName = mode === "sgx" ? "intel" : "simulation";
  if (root !== wanted) {
    throw new NodeError(
      "invalid_options",
      mode === "sgx"
        ? `the group's DcapVerifier ${verifierAddress} pins the development PCS's SIMULATION root: an sgx enclave's quotes would be refused; deploy with Intel's root`
        : `the group's DcapVerifier ${verifierAddress} pins Intel's SGX Root CA: a simulation enclave cannot produce quotes it accepts; run in sgx mode or deploy a simulation group`,
      409,
    );
  }
  return { verifier: verifierAddress, collateral, crls, root, pinned: pinRoot(dcapRootDer(root)) };
}

/**
 * The genesis policy of a DCAP group, from its DcapVerifier: the TCB statuses it allows (for the platform and the
 * QE), its DEBUG flag, and the signer rule (the verifier's when it has one, else the creating enclave's own signer),
 * as genesisPolicy does for IAS. A quote carries no time, so no evidence age: the collateral's freshness bounds it.
 */
export async function dcapGenesisPolicy(verifierAddress: string, provider: Provider, own: { mrsigner: Hex; isvProdId: number; isvSvn: number }): Promise<MlsGroupPolicyParams> {
  const verifier = new Contract(verifierAddress, DCAP_VERIFIER_ABI, provider);
  const policy = (await verifier.policy()) as { allowedTcbStatuses: bigint; debugAllowed: boolean; signerCheck: boolean; isvProdId: bigint; minIsvSvn: bigint; mrsigner: string };
  const statuses = TCB_STATUSES.filter((status, bit) => status !== "Revoked" && ((policy.allowedTcbStatuses >> BigInt(bit)) & 1n) === 1n);
  if (statuses.length === 0) throw new NodeError("invalid_policy", "the group's DcapVerifier allows no TCB status", 409);
  const signer = policy.signerCheck
    ? { mrsigner: policy.mrsigner.toLowerCase() as Hex, isvProdId: Number(policy.isvProdId), minIsvSvn: Number(policy.minIsvSvn) }
    : { mrsigner: own.mrsigner, isvProdId: own.isvProdId, minIsvSvn: own.isvSvn };
  return { allowedStatuses: [...statuses], allowDebug: policy.debugAllowed, signer, maxEvidenceAge: "0" };
}

/**
 * Quotes the node's enclave and fetches collateral for its platform. Simulation: the development QE and a
 * development PCS served by this process (started on first use, closed by `close`). sgx: the enclave's quote and
 * the configured PCS/PCCS.
 */
export class DcapAttester {
  private devPcs: DevelopmentPcsServer | undefined;
  private devWindowStart: number | undefined;
  private readonly devQe: DevelopmentQuotingEnclave | undefined;

  constructor(
    readonly mode: "simulation" | "sgx",
    private readonly pcs: { url: string; apiKey?: string } | undefined,
  ) {
    if (mode === "sgx" && pcs === undefined) throw new NodeError("invalid_options", "sgx mode with DCAP needs anonify.dcap.pcsUrl (Intel's PCS or your PCCS)");
    this.devQe = mode === "simulation" ? new DevelopmentQuotingEnclave() : undefined;
  }

  /** "the development PCS (simulation)" or the PCS/PCCS URL. */
  get source(): string {
    return this.mode === "simulation" ? "the development QE and PCS (simulation)" : `the PCS at ${this.pcs!.url}`;
  }

  /** The DCAP quote of an enclave's `evidence` answer. */
  quote(evidence: EvidenceResult): Uint8Array {
    const quote = Buffer.from(evidence.quote.slice(2), "hex");
    if (evidence.mode !== this.mode) throw new NodeError("attestation_failed", `a ${this.mode} node was handed ${evidence.mode} evidence`, 503);
    if (this.devQe === undefined) return quote;
    if (quote.length < SIMULATION_REPORT_BODY_OFFSET + ENCLAVE_REPORT_LENGTH) throw new NodeError("attestation_failed", "the enclave's quote body is too short", 503);
    return this.devQe.quote(quote.subarray(SIMULATION_REPORT_BODY_OFFSET, SIMULATION_REPORT_BODY_OFFSET + ENCLAVE_REPORT_LENGTH));
  }

  /** A PCS client current at `chainTime` (unix seconds). */
  async client(chainTime: number): Promise<PcsClient> {
    if (this.mode === "sgx") return new PcsClient({ baseUrl: this.pcs!.url, apiKey: this.pcs!.apiKey });
    // The window holding chainTime: issued at the start of a UTC day, valid for 30 days.
    const start = Math.floor(chainTime / DAY_SECONDS) * DAY_SECONDS;
    const windowStart = this.devWindowStart !== undefined && chainTime < this.devWindowStart + DEVELOPMENT_COLLATERAL_WINDOW_SECONDS && chainTime >= this.devWindowStart ? this.devWindowStart : start;
    const content = developmentPcsContent(new DevelopmentPcs(), windowStart, windowStart + DEVELOPMENT_COLLATERAL_WINDOW_SECONDS);
    if (this.devPcs === undefined) this.devPcs = await DevelopmentPcsServer.start({ content });
    else if (windowStart !== this.devWindowStart) this.devPcs.setContent(content);
    this.devWindowStart = windowStart;
    return new PcsClient({ baseUrl: this.devPcs.url });
  }

  /** The platform's current collateral from the PCS. */
  async collateral(quote: Uint8Array, chainTime: number): Promise<DcapCollateralBundle> {
    const platform = quotePlatform(quote);
    return bundleOf(await (await this.client(chainTime)).collateral(platform.fmspc, platform.ca));
  }

  /** Upserts into the group's stores what the PCS has newer than them (anonify:collateral's sync). */
  async syncCollateral(quote: Uint8Array, deployment: DcapDeployment, signer: Signer, chainTime: number, progress: (line: string) => void): Promise<CollateralItemResult[]> {
    const platform = quotePlatform(quote);
    return syncCollateral({
      pcs: await this.client(chainTime),
      collateral: deployment.collateral,
      crls: deployment.crls,
      signer,
      root: deployment.pinned,
      fmspc: platform.fmspc,
      ca: platform.ca,
      progress,
    });
  }

  async close(): Promise<void> {
    await this.devPcs?.close();
    this.devPcs = undefined;
  }
}

const COLLATERAL_INTERFACE = new Interface([
  ...DCAP_COLLATERAL_ABI,
  "event TcbInfoUpdated(bytes6 indexed fmspc, bytes2 indexed pceId, uint32 tcbEvaluationDataNumber, uint64 issueDate, uint64 nextUpdate, address blob, string[][] advisoryIds)",
  "event QeIdentityUpdated(bytes32 indexed mrsigner, uint16 isvProdId, uint32 tcbEvaluationDataNumber, uint64 issueDate, uint64 nextUpdate, address blob, string[][] advisoryIds)",
]);
const CRLS_INTERFACE = new Interface([
  ...DCAP_CRLS_ABI,
  "event CrlUpdated(uint8 indexed kind, bytes32 indexed issuerSubjectHash, uint64 thisUpdate, uint64 nextUpdate, bytes32[] revokedSerialHashes)",
]);

/** The collateral the chain held at a block: the bodies of the latest upsert transactions (see the module's comment). */
export class ChainCollateral {
  constructor(
    private readonly provider: Provider,
    private readonly deployment: DcapDeployment,
  ) {}

  /** The collateral held just before `position` (the join's log): what the group's verifier judged the join with. */
  async at(quote: Uint8Array, position: { blockNumber: number; logIndex: number }): Promise<DcapCollateralBundle> {
    const platform = quotePlatform(quote);
    const rootSubjectHash = keccak256(this.deployment.pinned.certificate.subject);
    const tcb = await this.latestCall(this.deployment.collateral, COLLATERAL_INTERFACE, "TcbInfoUpdated", [`0x${platform.fmspc}`, `0x${platform.pceId}`], "upsertTcbInfo", position);
    const qe = await this.latestCall(this.deployment.collateral, COLLATERAL_INTERFACE, "QeIdentityUpdated", [], "upsertQeIdentity", position);
    const rootCrl = await this.latestCall(this.deployment.crls, CRLS_INTERFACE, "CrlUpdated", [null, rootSubjectHash], "upsertCrl", position);
    const pckCrl = await this.latestCall(this.deployment.crls, CRLS_INTERFACE, "CrlUpdated", [null, platform.pckIssuerHash], "upsertCrl", position);
    const bytes = (v: unknown) => Buffer.from((v as string).slice(2), "hex");
    return { tcbInfo: bytes(tcb[0]), tcbSigningChainPem: bytes(tcb[1]), qeIdentity: bytes(qe[0]), rootCaCrl: bytes(rootCrl[0]), pckCaCrl: bytes(pckCrl[0]) };
  }

  /** The arguments of the upsert call behind the latest `event` log before `position`. */
  private async latestCall(address: string, iface: Interface, event: string, topics: (string | null)[], method: string, position: { blockNumber: number; logIndex: number }): Promise<readonly unknown[]> {
    const fragment = iface.getEvent(event)!;
    // encodeFilterTopics pads bytes6 / bytes2 values to the 32-byte topics the logs carry.
    const logs = await this.provider.getLogs({ address, topics: iface.encodeFilterTopics(fragment, topics), fromBlock: 0, toBlock: position.blockNumber });
    const before = logs.filter((log) => log.blockNumber < position.blockNumber || log.index < position.logIndex);
    for (const log of before.reverse()) {
      const tx = await this.provider.getTransaction(log.transactionHash);
      const call = tx === null ? null : iface.parseTransaction({ data: tx.data, value: tx.value });
      if (call !== null && call.name === method) return call.args.toArray();
    }
    throw new NodeError("state_unavailable", `no ${method} transaction of ${address} before block ${position.blockNumber} log ${position.logIndex} (${event}): the chain held no such collateral for this join`, 503);
  }
}
