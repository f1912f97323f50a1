/**
 * Governance-approved changes of a group's policy (enclave/PROTOCOL.md "Policy changes"; docs/recovery.md
 * "MRENCLAVE upgrades").
 *
 * The policy in the group's context changes only through a member commit carrying approvals by k of the n
 * governance keys the current policy names: EIP-712 signatures of
 *   PolicyChange(bytes groupId, uint64 epoch, bytes32 policyHash)
 * under the group contract's domain, with groupId = the 28-byte MLS group id (chainId ‖ contract), epoch = the
 * MLS epoch the commit is made in, policyHash = keccak256(encoded AnonifyGroupPolicy). This module encodes the
 * policy exactly as the enclave does (so signers compute the hash themselves), builds the typed data for
 * `signer.signTypedData`, and asks an enclave for the commit.
 */
import { getAddress, keccak256, type TypedDataDomain, type TypedDataField } from "ethers";
import type { EnclaveProcess } from "../enclave/EnclaveProcess";
import type { Eip712DomainParams, Hex, MlsCommitPolicyChangeResult, MlsGroupPolicyParams } from "../enclave/protocol";
import { NodeError } from "./errors";

/** EIP-712 types of a governance approval (the enclave's `kPolicyChangeType`). */
export const POLICY_CHANGE_TYPES: Record<string, TypedDataField[]> = {
  PolicyChange: [
    { name: "groupId", type: "bytes" },
    { name: "epoch", type: "uint64" },
    { name: "policyHash", type: "bytes32" },
  ],
};

/** The EIP-712 domain name and version approvals are signed under (the group contract's, enclave `governance_domain`). */
export const GOVERNANCE_DOMAIN_NAME = "Anonify";
export const GOVERNANCE_DOMAIN_VERSION = "1";
const ADDRESS_LENGTH = 20;
const MEASUREMENT_LENGTH = 32;
const MAX_VARINT = 2 ** 30 - 1;

class TlsWriter {
  private readonly parts: number[] = [];

  u8(v: number): void {
    this.parts.push(v & 0xff);
  }
  u16(v: number): void {
    this.parts.push((v >> 8) & 0xff, v & 0xff);
  }
  u32(v: number): void {
    this.parts.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
  }
  u64(v: bigint): void {
    for (let i = 7; i >= 0; i--) this.parts.push(Number((v >> BigInt(8 * i)) & 0xffn));
  }
  /** RFC 9420 section 2.1.2 variable-length integer. */
  varint(v: number): void {
    if (v < 0x40) this.u8(v);
    else if (v < 0x4000) this.u16(0x4000 | v);
    else if (v <= MAX_VARINT) {
      this.u16(0x8000 | (v >>> 16));
      this.u16(v & 0xffff);
    } else throw new RangeError(`vector length ${v} exceeds 2^30 - 1`);
  }
  opaque(bytes: Uint8Array): void {
    this.varint(bytes.length);
    this.parts.push(...bytes);
  }
  vector(body: (inner: TlsWriter) => void): void {
    const inner = new TlsWriter();
    body(inner);
    this.opaque(inner.bytes());
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

function hexBytes(value: string, length: number, what: string): Uint8Array {
  const body = value.replace(/^0x/, "");
  if (!/^[0-9a-fA-F]*$/.test(body) || body.length !== 2 * length) {
    throw new NodeError("invalid_policy", `${what} must be ${length} bytes of hex`, 400);
  }
  return Uint8Array.from(Buffer.from(body, "hex"));
}

/** The MLS group id of a group contract: chainId (8 bytes, big-endian) ‖ contract (20 bytes). */
export function groupIdOf(chainId: bigint | number, groupContract: string): Hex {
  const w = new TlsWriter();
  w.u64(BigInt(chainId));
  return `0x${Buffer.from(w.bytes()).toString("hex")}${getAddress(groupContract).slice(2).toLowerCase()}` as Hex;
}

/**
 * The AnonifyGroupPolicy encoding (enclave/include/anonify/membership/group_policy.h) of `policy` bound to the
 * domain's chain id and contract, with the enclave's defaults for absent fields. It does not validate the policy
 * (the enclave does); it only encodes it so that keccak256 of the result is the enclave's policyHash.
 */
export function encodeGroupPolicy(domain: Eip712DomainParams, policy: MlsGroupPolicyParams): Uint8Array {
  const w = new TlsWriter();
  w.u64(BigInt(domain.chainId));
  w.opaque(hexBytes(domain.verifyingContract, ADDRESS_LENGTH, "domain.verifyingContract"));
  const statuses = policy.allowedStatuses ?? ["OK"];
  w.vector((inner) => statuses.forEach((s) => inner.opaque(new TextEncoder().encode(s))));
  w.u8(policy.allowDebug === true ? 1 : 0);
  if (policy.mrenclaves !== undefined) {
    w.u8(1);
    const list = policy.mrenclaves;
    w.vector((inner) => list.forEach((m) => inner.opaque(hexBytes(m, MEASUREMENT_LENGTH, "policy.mrenclaves[]"))));
  } else {
    w.u8(0);
  }
  if (policy.signer !== undefined) {
    w.u8(1);
    w.opaque(hexBytes(policy.signer.mrsigner, MEASUREMENT_LENGTH, "policy.signer.mrsigner"));
    w.u16(policy.signer.isvProdId);
    w.u16(policy.signer.minIsvSvn);
  } else {
    w.u8(0);
  }
  w.u64(BigInt(policy.maxEvidenceAge ?? 0));
  w.u64(BigInt(policy.collateralGrace ?? 0));
  w.u32(Number(policy.minTcbEvaluationDataNumber ?? 0));
  const governance = policy.governance ?? { threshold: 0, keys: [] };
  w.u8(governance.threshold);
  w.vector((inner) => governance.keys.forEach((k) => inner.opaque(hexBytes(k, ADDRESS_LENGTH, "policy.governance.keys[]"))));
  if (policy.runtime === undefined) {
    // The enclave keeps the group's runtime when a change omits it, but the hash covers it: it must be known here.
    throw new NodeError("invalid_policy", "policy.runtime is required to encode a group policy: the group's runtime (AnonifyGroup.runtime())", 400);
  }
  w.opaque(new TextEncoder().encode(policy.runtime));
  return w.bytes();
}

/** keccak256 of the encoded policy: the approvals' `policyHash` and `mls_commit_policy_change`'s result. */
export function policyHash(domain: Eip712DomainParams, policy: MlsGroupPolicyParams): Hex {
  return keccak256(encodeGroupPolicy(domain, policy)) as Hex;
}

export interface PolicyChangeTypedData {
  domain: TypedDataDomain;
  types: Record<string, TypedDataField[]>;
  value: { groupId: Hex; epoch: bigint; policyHash: Hex };
}

/**
 * What a governance key signs to approve `policy` for the commit of MLS epoch `epoch` (the group's current epoch,
 * `mls_status`): `signer.signTypedData(t.domain, t.types, t.value)`.
 */
export function policyChangeTypedData(domain: Eip712DomainParams, epoch: bigint | number, policy: MlsGroupPolicyParams): PolicyChangeTypedData {
  return {
    // The enclave verifies under the group contract's domain, whatever name the caller's domain carries.
    domain: {
      name: GOVERNANCE_DOMAIN_NAME,
      version: GOVERNANCE_DOMAIN_VERSION,
      chainId: BigInt(domain.chainId),
      verifyingContract: getAddress(domain.verifyingContract),
    },
    types: POLICY_CHANGE_TYPES,
    value: { groupId: groupIdOf(BigInt(domain.chainId), domain.verifyingContract), epoch: BigInt(epoch), policyHash: policyHash(domain, policy) },
  };
}

/**
 * Asks a member enclave for the policy-change commit (`mls_commit_policy_change`) and checks it commits the policy
 * the approvals were made for. The entry is then posted and applied like any handshake.
 */
export async function commitPolicyChange(
  enclave: EnclaveProcess,
  domain: Eip712DomainParams,
  policy: MlsGroupPolicyParams,
  approvals: Hex[],
): Promise<MlsCommitPolicyChangeResult> {
  const entry = await enclave.call("mls_commit_policy_change", { domain, policy, approvals });
  const expected = policyHash(domain, policy);
  if (entry.policyHash.toLowerCase() !== expected.toLowerCase()) {
    throw new NodeError("policy_mismatch", `the enclave committed policy ${entry.policyHash}, the approvals are for ${expected}`, 500);
  }
  return entry;
}
