/**
 * What a node does to attest its enclave for a join, per evidence kind: the bytes `AnonifyGroup.join` carries and
 * the `mls_admit_evidence` params with which the enclave admits its own leaf (it admits its own leaf, like every
 * other, only from evidence it verified itself).
 *
 *   IAS:  the quote goes to the attester (development IAS or Intel IAS); the join carries keyId ‖ signature ‖ report.
 *   DCAP: the enclave's quote (quoted by the development QE in simulation); stale collateral is upserted into the
 *         group's stores first, so the group's DcapVerifier can judge the quote; the join carries the raw quote.
 */
import { hexlify, type Provider, type Signer } from "ethers";
import type { EvidenceResult, MlsAdmitEvidenceParams } from "../enclave/protocol";
import { encodeIasEvidence } from "../attestation/evidence";
import type { Attester } from "./attester";
import { admitEvidenceParams, type ChainEvidence } from "./evidence";
import { dcapAdmitParams, type DcapAttester, type DcapDeployment } from "./dcapAttestation";
import { NodeError } from "./errors";
import type { NodeLogger } from "./logger";

export interface JoinAttestation {
  /** `AnonifyGroup.join`'s evidence argument (0x-hex). */
  evidence: string;
  /** The enclave's own evidence for `mls_admit_evidence`. */
  admit: MlsAdmitEvidenceParams;
  /** Who attested, for the log. */
  attestedBy: string;
}

/** IAS: the attester signs a report over the quote; the enclave learns the signing certificate from it. */
export async function attestIas(attester: Attester, chainEvidence: ChainEvidence, evidence: EvidenceResult): Promise<JoinAttestation> {
  const report = await attester.attest(evidence);
  if (report.signingCertificate === undefined) {
    throw new NodeError("attestation_failed", "the attestation service sent no signing certificate: the enclave cannot verify the report", 503);
  }
  chainEvidence.knowCertificate(report.keyId, report.signingCertificate);
  return {
    evidence: encodeIasEvidence(report),
    admit: admitEvidenceParams(report, report.signingCertificate, evidence.hpkePublicKey, evidence.mlsSignatureKey),
    attestedBy: attester.name === "simulation" ? "the development IAS (simulation)" : "Intel IAS",
  };
}

export interface DcapJoinContext {
  attester: DcapAttester;
  deployment: DcapDeployment;
  /** Pays for the collateral upserts (the node's account; nothing else is in flight before a join). */
  signer: Signer;
  provider: Provider;
  logger: NodeLogger;
}

/**
 * DCAP: the quote, the group's stores brought up to the PCS's collateral (items the contract would refuse stop the
 * join with the contract's error), and the enclave's own admission with that collateral at the chain's time.
 */
export async function attestDcap(ctx: DcapJoinContext, evidence: EvidenceResult): Promise<JoinAttestation> {
  const quote = ctx.attester.quote(evidence);
  const latest = await ctx.provider.getBlock("latest");
  if (latest === null) throw new NodeError("state_unavailable", "the chain has no latest block", 503);
  const now = latest.timestamp;
  const { collateral, results } = await ctx.attester.syncCollateral(quote, ctx.deployment, ctx.signer, now, (line) => ctx.logger.info(`collateral: ${line}`));
  const refused = results.filter((r) => r.action === "refused");
  if (refused.length > 0) {
    throw new NodeError(
      "attestation_failed",
      `the group's collateral stores would refuse what ${ctx.attester.source} serves: ${refused.map((r) => `${r.item} ${r.id}: ${r.error}`).join("; ")}`,
      503,
    );
  }
  for (const r of results) {
    if (r.action === "updated") ctx.logger.info(`collateral: ${r.item} ${r.id} upserted (tx ${r.transactionHash}, ${r.gasUsed} gas), valid until ${new Date(r.fetched.nextUpdate * 1000).toISOString()}`);
  }
  return { evidence: hexlify(quote), admit: dcapAdmitParams(quote, collateral, evidence, now), attestedBy: ctx.attester.source };
}
