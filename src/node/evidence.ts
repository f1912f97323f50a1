/**
 * Attestation evidence for the enclave's membership rule (enclave/PROTOCOL.md "Membership", docs/treekem.md).
 *
 * The enclave admits an MLS leaf only from evidence it verified itself (`mls_admit_evidence`), so the node hands
 * it, before the handshake that needs it: its own evidence before creating or joining the group, and every other
 * member's from the chain. A join transaction (`AnonifyGroup.join`) carries the evidence (src/attestation/evidence.ts)
 * and the two keys. IAS: keyId ‖ signature ‖ report; the signing certificate is the one the IAS verifier registered
 * under that keyId, taken from the node's own attestation when the keyId matches (every report of a deployment is
 * signed by the same IAS key), else from the verifier's `registerSigningCertificate` transaction. DCAP: the raw
 * quote, with the collateral the chain held at the join (dcapAttestation.ts). The source only matters for
 * availability: the enclave checks every byte under the trust anchor compiled into it.
 */
import { Contract, getBytes, hexlify, Interface, type Provider } from "ethers";
import type { EvidenceResult, Hex, MlsAdmitEvidenceParams, MlsGroupPolicyParams } from "../enclave/protocol";
import { ISV_PROD_ID_OFFSET, ISV_SVN_OFFSET, MEASUREMENT_LENGTH, MRSIGNER_OFFSET } from "../attestation/quote";
import { DevelopmentIas } from "../attestation/devIas";
import { decodeIasEvidence, type IasEvidence } from "../attestation/evidence";
import type { AttestationReport } from "./attester";
import { NodeError } from "./errors";
import { dcapAdmitParams, type ChainCollateral } from "./dcapAttestation";
import { CollateralUnavailableError } from "../attestation/dcap/chainCollateral";
import { GROUP_INTERFACE, type RosterLogEntry } from "./groupContract";
import { TOKEN_RUNTIME } from "../runtimes/name";

export const IAS_VERIFIER_ABI = [
  "function policy() view returns ((bool debugAllowed, bool mrenclaveCheck, bool signerCheck, uint16 isvProdId, uint16 minIsvSvn, uint64 maxReportAge, uint32 deniedSigningKeys, bytes32 mrsigner))",
  "function isQuoteStatusAllowed(string status) view returns (bool)",
  "function registerSigningCertificate(bytes der) returns (bytes32 keyId)",
  "event SigningKeyRegistered(bytes32 indexed keyId, uint64 notBefore, uint64 notAfter)",
] as const;
const VERIFIER_INTERFACE = new Interface(IAS_VERIFIER_ABI);

/** Every isvEnclaveQuoteStatus IAS v4 reports for a valid quote (the verifier's allowed subset goes into the policy). */
export const IAS_QUOTE_STATUSES = [
  "OK",
  "GROUP_OUT_OF_DATE",
  "CONFIGURATION_NEEDED",
  "SW_HARDENING_NEEDED",
  "CONFIGURATION_AND_SW_HARDENING_NEEDED",
] as const;

/** `mls_admit_evidence` params of an attestation report for the two keys its REPORTDATA binds. */
export function admitEvidenceParams(report: AttestationReport, certificate: Uint8Array, hpkePublicKey: string, mlsSignatureKey: string): MlsAdmitEvidenceParams {
  return {
    kind: "ias",
    report: hexlify(report.report) as Hex,
    signature: hexlify(report.signature) as Hex,
    signingCertificate: hexlify(certificate) as Hex,
    hpkePublicKey: hpkePublicKey.toLowerCase() as Hex,
    mlsSignatureKey: mlsSignatureKey.toLowerCase() as Hex,
  };
}

/** MRSIGNER, ISVPRODID and ISVSVN of an enclave's own quote body (its `evidence` answer). */
export function quoteSigner(evidence: EvidenceResult): { mrsigner: Hex; isvProdId: number; isvSvn: number } {
  const quote = Buffer.from(evidence.quote.slice(2), "hex");
  if (quote.length < ISV_SVN_OFFSET + 2) throw new NodeError("attestation_failed", "the enclave's quote is too short", 503);
  return {
    mrsigner: `0x${quote.subarray(MRSIGNER_OFFSET, MRSIGNER_OFFSET + MEASUREMENT_LENGTH).toString("hex")}`,
    isvProdId: quote.readUInt16LE(ISV_PROD_ID_OFFSET),
    isvSvn: quote.readUInt16LE(ISV_SVN_OFFSET),
  };
}

/**
 * The genesis policy of a new group, from the group's IAS verifier: its statuses, DEBUG flag and maximum report age,
 * and the SGX-native upgrade rule (MRSIGNER + ISVPRODID + minimum ISVSVN): the verifier's signer rule when it has
 * one, else the creating enclave's own signer. No MRENCLAVE list, so a new enclave version signed by the same key
 * joins without a policy change (docs/recovery.md). No governance keys: the policy never changes.
 */
export async function genesisPolicy(verifier: Contract, own: EvidenceResult): Promise<MlsGroupPolicyParams> {
  const policy = (await verifier.policy()) as {
    debugAllowed: boolean;
    signerCheck: boolean;
    isvProdId: bigint;
    minIsvSvn: bigint;
    maxReportAge: bigint;
    mrsigner: string;
  };
  const statuses: string[] = [];
  for (const status of IAS_QUOTE_STATUSES) if ((await verifier.isQuoteStatusAllowed(status)) as boolean) statuses.push(status);
  if (statuses.length === 0) throw new NodeError("invalid_policy", "the group's verifier allows no quote status", 409);
  const signer = policy.signerCheck
    ? { mrsigner: policy.mrsigner.toLowerCase() as Hex, isvProdId: Number(policy.isvProdId), minIsvSvn: Number(policy.minIsvSvn) }
    : (({ mrsigner, isvProdId, isvSvn }) => ({ mrsigner, isvProdId, minIsvSvn: isvSvn }))(quoteSigner(own));
  return {
    allowedStatuses: statuses,
    allowDebug: policy.debugAllowed,
    signer,
    maxEvidenceAge: policy.maxReportAge.toString(),
  };
}

/** What the chain sync needs to feed the membership rule. */
export interface EvidenceSource {
  /** `mls_admit_evidence` params of the enclave a roster `joined` entry registered. */
  forJoin(entry: RosterLogEntry): Promise<MlsAdmitEvidenceParams>;
  /** Unix time of a block. */
  blockTimestamp(blockNumber: number): Promise<number>;
}

/** Evidence read from the chain: join transactions' calldata and the verifier's certificate registrations. */
export class ChainEvidence implements EvidenceSource {
  private readonly certificates = new Map<string, Uint8Array>();
  private readonly timestamps = new Map<number, number>();
  /** Set for a DCAP group: joins carry raw quotes, verified with the collateral the chain held then. */
  private dcap: ChainCollateral | undefined;

  constructor(
    private readonly provider: Provider,
    private readonly verifier: () => Promise<string>,
  ) {}

  /** A certificate known to be registered under `keyId` (e.g. the node's own attester's). */
  knowCertificate(keyId: string, der: Uint8Array): void {
    this.certificates.set(keyId.toLowerCase(), der);
  }

  /** The group admits DCAP quotes: joins are read as quotes with the collateral `collateral` finds on chain. */
  useDcap(collateral: ChainCollateral): void {
    this.dcap = collateral;
  }

  async forJoin(entry: RosterLogEntry): Promise<MlsAdmitEvidenceParams> {
    const tx = await this.provider.getTransaction(entry.transactionHash);
    if (tx === null) throw new NodeError("state_unavailable", `join transaction ${entry.transactionHash} not found`, 503);
    const call = GROUP_INTERFACE.parseTransaction({ data: tx.data, value: tx.value });
    if (call === null || call.name !== "join") {
      throw new NodeError("state_unavailable", `${entry.transactionHash} registered ${entry.enclave} but is not a direct AnonifyGroup.join call`, 503);
    }
    const [evidence, hpkePublicKey, mlsSignatureKey] = call.args as unknown as [string, string, string];
    if (this.dcap !== undefined) {
      const quote = getBytes(evidence);
      let collateral;
      try {
        collateral = await this.dcap.at(quote, entry);
      } catch (error) {
        if (error instanceof CollateralUnavailableError) throw new NodeError("state_unavailable", `the join in ${entry.transactionHash}: ${error.message}`, 503);
        throw new NodeError("state_unavailable", `the join in ${entry.transactionHash} carries no readable DCAP quote: ${(error as Error).message}`, 503);
      }
      return dcapAdmitParams(quote, collateral, { hpkePublicKey: hpkePublicKey as Hex, mlsSignatureKey: mlsSignatureKey as Hex }, await this.blockTimestamp(entry.blockNumber));
    }
    let ias: IasEvidence;
    try {
      ias = decodeIasEvidence(evidence);
    } catch (error) {
      throw new NodeError("state_unavailable", `the join in ${entry.transactionHash} carries no IAS evidence: ${(error as Error).message}`, 503);
    }
    const certificate = await this.certificate(ias.keyId);
    return {
      kind: "ias",
      report: hexlify(ias.report) as Hex,
      signature: hexlify(ias.signature) as Hex,
      signingCertificate: hexlify(certificate) as Hex,
      hpkePublicKey: hpkePublicKey.toLowerCase() as Hex,
      mlsSignatureKey: mlsSignatureKey.toLowerCase() as Hex,
    };
  }

  async blockTimestamp(blockNumber: number): Promise<number> {
    const known = this.timestamps.get(blockNumber);
    if (known !== undefined) return known;
    const block = await this.provider.getBlock(blockNumber);
    if (block === null) throw new NodeError("state_unavailable", `block ${blockNumber} not found`, 503);
    this.timestamps.set(blockNumber, block.timestamp);
    if (this.timestamps.size > 1024) this.timestamps.delete(this.timestamps.keys().next().value as number);
    return block.timestamp;
  }

  /** The DER certificate registered under `keyId`: known, else from the verifier's registration transaction. */
  async certificate(keyId: string): Promise<Uint8Array> {
    const known = this.certificates.get(keyId.toLowerCase());
    if (known !== undefined) return known;
    const verifier = await this.verifier();
    const event = VERIFIER_INTERFACE.getEvent("SigningKeyRegistered")!;
    const logs = await this.provider.getLogs({ address: verifier, topics: [event.topicHash, keyId], fromBlock: 0 });
    for (const log of logs) {
      const tx = await this.provider.getTransaction(log.transactionHash);
      const call = tx === null ? null : VERIFIER_INTERFACE.parseTransaction({ data: tx.data, value: tx.value });
      if (call !== null && call.name === "registerSigningCertificate") {
        const der = Buffer.from((call.args[0] as string).slice(2), "hex");
        this.knowCertificate(keyId, der);
        return der;
      }
    }
    throw new NodeError("state_unavailable", `no registration transaction of signing key ${keyId} on verifier ${verifier}`, 503);
  }
}

/**
 * SIMULATION only: `mls_admit_evidence` params for an enclave's `evidence` answer, its quote signed by the
 * development IAS (what the node does before creating or joining; tests and benchmarks hand evidence this way).
 */
export function simulationAdmitParams(evidence: EvidenceResult, timestamp?: Date): MlsAdmitEvidenceParams {
  const ias = new DevelopmentIas();
  const signed = ias.signQuote(Buffer.from(evidence.quote.slice(2), "hex"), timestamp === undefined ? {} : { timestamp });
  return admitEvidenceParams(
    { keyId: signed.keyId, report: signed.report, signature: signed.signature },
    signed.certificates.leaf,
    evidence.hpkePublicKey,
    evidence.mlsSignatureKey,
  );
}

/**
 * The policy of a group running `runtime` whose members share the creating enclave's signer (MRSIGNER, ISVPRODID,
 * ISVSVN >= its own).
 */
export function signerPolicy(evidence: EvidenceResult, runtime: string = TOKEN_RUNTIME): MlsGroupPolicyParams {
  const { mrsigner, isvProdId, isvSvn } = quoteSigner(evidence);
  return { allowedStatuses: ["OK"], allowDebug: false, signer: { mrsigner, isvProdId, minIsvSvn: isvSvn }, runtime };
}
