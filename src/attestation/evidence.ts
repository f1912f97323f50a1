/**
 * The evidence a join carries (`AnonifyGroup.join(bytes evidence, …)`), in the layout of the group's verifier
 * (contracts/attestation/IEnclaveVerifier.sol): the group passes it through unread, so one group contract serves
 * every evidence kind.
 *
 *   IAS  (kind 1): keyId (32) ‖ RSA-2048 signature (256) ‖ report (the exact bytes IAS signed)
 *   DCAP (kind 2): the raw SGX ECDSA quote
 */
import { getBytes, hexlify, type BytesLike } from "ethers";

/** `IEnclaveVerifier.evidenceKind()` values. */
export const EVIDENCE_KIND = { ias: 1, dcap: 2 } as const;
export type EvidenceKindName = keyof typeof EVIDENCE_KIND;

/** IAS evidence offsets (IasVerifier's EVIDENCE_SIGNATURE_OFFSET / EVIDENCE_REPORT_OFFSET). */
export const IAS_EVIDENCE_SIGNATURE_OFFSET = 32;
export const IAS_SIGNATURE_LENGTH = 256;
export const IAS_EVIDENCE_REPORT_OFFSET = IAS_EVIDENCE_SIGNATURE_OFFSET + IAS_SIGNATURE_LENGTH;

export class EvidenceFormatError extends Error {
  readonly code = "EVIDENCE_FORMAT_INVALID";
  constructor(message: string) {
    super(message);
    this.name = "EvidenceFormatError";
  }
}

/** An IAS report as a join carries it. */
export interface IasEvidence {
  /** keccak256 of the signing key's modulus (0x + 64 hex). */
  keyId: string;
  /** The exact report bytes IAS signed. */
  report: Uint8Array;
  /** The 256-byte RSA signature. */
  signature: Uint8Array;
}

/** The kind name of an `evidenceKind()` answer; throws on a kind this package does not know. */
export function evidenceKindName(kind: number | bigint): EvidenceKindName {
  for (const [name, value] of Object.entries(EVIDENCE_KIND)) if (BigInt(value) === BigInt(kind)) return name as EvidenceKindName;
  throw new EvidenceFormatError(`unknown evidence kind ${kind} (this package knows 1 = IAS and 2 = DCAP)`);
}

/** `keyId ‖ signature ‖ report` as 0x-hex. */
export function encodeIasEvidence(evidence: IasEvidence): string {
  const keyId = getBytes(evidence.keyId);
  if (keyId.length !== IAS_EVIDENCE_SIGNATURE_OFFSET) throw new EvidenceFormatError(`an IAS key id is 32 bytes, got ${keyId.length}`);
  if (evidence.signature.length !== IAS_SIGNATURE_LENGTH) {
    throw new EvidenceFormatError(`an IAS report signature is ${IAS_SIGNATURE_LENGTH} bytes, got ${evidence.signature.length}`);
  }
  if (evidence.report.length === 0) throw new EvidenceFormatError("the IAS report is empty");
  const out = new Uint8Array(IAS_EVIDENCE_REPORT_OFFSET + evidence.report.length);
  out.set(keyId, 0);
  out.set(evidence.signature, IAS_EVIDENCE_SIGNATURE_OFFSET);
  out.set(evidence.report, IAS_EVIDENCE_REPORT_OFFSET);
  return hexlify(out);
}

/** The parts of IAS evidence; throws EvidenceFormatError when it is shorter than its fixed part. */
export function decodeIasEvidence(evidence: BytesLike): IasEvidence {
  const bytes = getBytes(evidence);
  if (bytes.length < IAS_EVIDENCE_REPORT_OFFSET) {
    throw new EvidenceFormatError(`IAS evidence is ${bytes.length} bytes, shorter than keyId and signature (${IAS_EVIDENCE_REPORT_OFFSET})`);
  }
  return {
    keyId: hexlify(bytes.subarray(0, IAS_EVIDENCE_SIGNATURE_OFFSET)),
    signature: bytes.slice(IAS_EVIDENCE_SIGNATURE_OFFSET, IAS_EVIDENCE_REPORT_OFFSET),
    report: bytes.slice(IAS_EVIDENCE_REPORT_OFFSET),
  };
}
