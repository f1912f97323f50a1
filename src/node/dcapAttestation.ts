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
 *   bodies of the latest upsert transactions before the join (`ChainCollateral`), so a node
 *   replaying an old log verifies old joins with the collateral that was current then. The source only matters for
 *   availability: the enclave checks every byte under its compiled-in root.
 */
import { Contract, type Provider, type Signer } from "ethers";
import type { EvidenceResult, Hex, MlsAdmitDcapEvidenceParams, MlsGroupPolicyParams } from "../enclave/protocol";
import type { DcapRootName } from "../attestation/dcap/roots";
import { ENCLAVE_REPORT_LENGTH, QUOTE_HEADER_LENGTH } from "../attestation/dcap/quote";
import { DCAP_VERIFIER_ABI, quotePlatform, readDcapStores, tcbStatusesOfMask, type DcapCollateralBundle, type DcapStores } from "../attestation/dcap/chainCollateral";
import { DevelopmentQuotingEnclave } from "../attestation/dcap/devQe";
import { DevelopmentPcs } from "../attestation/dcap/devPcs";
import { DevelopmentPcsServer, developmentPcsContent } from "../attestation/dcap/devPcsServer";
import { PcsClient, type FetchedCollateral } from "../attestation/dcap/pcsClient";
import { syncCollateral, type CollateralItemResult } from "../attestation/dcap/collateralSync";
import { NodeError } from "./errors";

export { ChainCollateral, DCAP_VERIFIER_ABI, quotePlatform, type DcapCollateralBundle } from "../attestation/dcap/chainCollateral";

/** A DCAP group's verifier, stores and root, as a node of this mode can use them. */
export type DcapDeployment = DcapStores & { root: DcapRootName; pinned: NonNullable<DcapStores["pinned"]> };

/** The simulation quote body (src/attestation/quote.ts): a 48-byte header, then the ISV report body a DCAP quote carries. */
const SIMULATION_REPORT_BODY_OFFSET = QUOTE_HEADER_LENGTH;
/** Intel reissues TCB Info and QE Identity every 30 days; the development PCS serves windows of that length. */
export const DEVELOPMENT_COLLATERAL_WINDOW_SECONDS = 30 * 86_400;
const DAY_SECONDS = 86_400;

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

/** Reads a DcapVerifier's stores and names its root; refuses a root this node's mode cannot produce quotes under. */
export async function readDcapDeployment(verifierAddress: string, provider: Provider, mode: "simulation" | "sgx"): Promise<DcapDeployment> {
  const stores = await readDcapStores(verifierAddress, provider);
  if (stores.root === undefined) {
    throw new NodeError("invalid_options", `the group's DcapVerifier ${verifierAddress} pins an unknown root (${stores.rootHash}): neither Intel's SGX Root CA nor the development PCS's`, 409);
  }
  const wanted: DcapRootName = mode === "sgx" ? "intel" : "simulation";
  if (stores.root !== wanted) {
    throw new NodeError(
      "invalid_options",
      mode === "sgx"
        ? `the group's DcapVerifier ${verifierAddress} pins the development PCS's SIMULATION root: an sgx enclave's quotes would be refused; deploy with Intel's root`
        : `the group's DcapVerifier ${verifierAddress} pins Intel's SGX Root CA: a simulation enclave cannot produce quotes it accepts; run in sgx mode or deploy a simulation group`,
      409,
    );
  }
  return { ...stores, root: stores.root, pinned: stores.pinned! };
}

/**
 * The genesis policy of a DCAP group, from its DcapVerifier: the TCB statuses it allows (for the platform and the
 * QE), its DEBUG flag, and the signer rule (the verifier's when it has one, else the creating enclave's own signer),
 * as genesisPolicy does for IAS, and its collateral grace and minimum tcbEvaluationDataNumber (the enclaves judge both
 * at admission, as the verifier does). A quote carries no time, so no evidence age: the collateral's freshness bounds it.
 */
export async function dcapGenesisPolicy(verifierAddress: string, provider: Provider, own: { mrsigner: Hex; isvProdId: number; isvSvn: number }): Promise<MlsGroupPolicyParams> {
  const verifier = new Contract(verifierAddress, DCAP_VERIFIER_ABI, provider);
  const policy = (await verifier.policy()) as {
    allowedTcbStatuses: bigint;
    debugAllowed: boolean;
    signerCheck: boolean;
    isvProdId: bigint;
    minIsvSvn: bigint;
    minTcbEvaluationDataNumber: bigint;
    collateralGrace: bigint;
    mrsigner: string;
  };
  const statuses = tcbStatusesOfMask(policy.allowedTcbStatuses);
  if (statuses.length === 0) throw new NodeError("invalid_policy", "the group's DcapVerifier allows no TCB status", 409);
  const signer = policy.signerCheck
    ? { mrsigner: policy.mrsigner.toLowerCase() as Hex, isvProdId: Number(policy.isvProdId), minIsvSvn: Number(policy.minIsvSvn) }
    : { mrsigner: own.mrsigner, isvProdId: own.isvProdId, minIsvSvn: own.isvSvn };
  return {
    allowedStatuses: [...statuses],
    allowDebug: policy.debugAllowed,
    signer,
    maxEvidenceAge: "0",
    collateralGrace: BigInt(policy.collateralGrace).toString(),
    minTcbEvaluationDataNumber: Number(policy.minTcbEvaluationDataNumber),
  };
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
    if (this.devPcs === undefined || windowStart !== this.devWindowStart) {
      const content = developmentPcsContent(new DevelopmentPcs(), windowStart, windowStart + DEVELOPMENT_COLLATERAL_WINDOW_SECONDS);
      if (this.devPcs === undefined) this.devPcs = await DevelopmentPcsServer.start({ content });
      else this.devPcs.setContent(content);
      this.devWindowStart = windowStart;
    }
    return new PcsClient({ baseUrl: this.devPcs.url });
  }

  /**
   * Fetches the platform's collateral from the PCS, upserts into the group's stores what is newer than theirs
   * (anonify:collateral's sync), and returns it for the enclave's own admission: the same bytes the stores now hold
   * or have newer.
   */
  async syncCollateral(
    quote: Uint8Array,
    deployment: DcapDeployment,
    signer: Signer,
    chainTime: number,
    progress: (line: string) => void,
  ): Promise<{ collateral: DcapCollateralBundle; results: CollateralItemResult[] }> {
    const platform = quotePlatform(quote);
    const pcs = await this.client(chainTime);
    progress(`fetching TCB Info (FMSPC ${platform.fmspc}), QE Identity and the CRLs from ${this.source}`);
    const fetched = await pcs.collateral(platform.fmspc, platform.ca);
    const results = await syncCollateral({
      pcs,
      fetched,
      collateral: deployment.collateral,
      crls: deployment.crls,
      signer,
      root: deployment.pinned,
      fmspc: platform.fmspc,
      ca: platform.ca,
      progress,
    });
    return { collateral: bundleOf(fetched), results };
  }

  async close(): Promise<void> {
    await this.devPcs?.close();
    this.devPcs = undefined;
  }
}
