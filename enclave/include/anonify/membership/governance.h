// Governance of the group policy (group_policy.h): the policy changes only through a member commit
// of one GroupContextExtensions proposal (by value) replacing the policy extension, whose
// FramedContent.authenticated_data carries approvals (EIP-712) by at least k of the n governance
// keys the CURRENT policy names. Every member and every log follower checks them when it applies
// the commit; the host alone can never change the policy.
//
// An approval is a 65-byte secp256k1 signature (r ‖ s ‖ v, low s) over the EIP-712 digest of
//   PolicyChange(bytes groupId, uint64 epoch, bytes32 policyHash)
// under the group's signing domain {name "Anonify", version "1", chainId, verifyingContract} (the
// binding of the current policy), with groupId = the raw 28-byte MLS group id, epoch = the MLS
// epoch the commit is made in (FramedContent.epoch: an approval is good for one commit), and
// policyHash = keccak256(encoded new AnonifyGroupPolicy).
//
// authenticated_data = PolicyApprovals (TLS presentation language, RFC 9420 vectors):
//   struct { opaque signatures<V>; } PolicyApprovals;   // of opaque signature<V> (65 bytes each)
#pragma once

#include <vector>

#include "anonify/bytes.h"
#include "anonify/crypto/eip712.h"
#include "anonify/membership/group_policy.h"
#include "anonify/mls/leaf_admission.h"

namespace anonify::membership {

/// Most approvals a commit may carry.
constexpr size_t kMaxApprovals = kMaxPolicyEntries;

/// The approvals a policy change commit carries in its authenticated_data.
struct PolicyApprovals {
  std::vector<Bytes> signatures;  ///< 65 bytes each

  Bytes encode() const;
  /// Throws Error(PolicyRefused) on a malformed or non-canonical encoding, a signature that is not
  /// 65 bytes, or more than kMaxApprovals signatures.
  static PolicyApprovals decode(ByteView data);
};

/// The EIP-712 domain approvals are signed under: the group's (chain id and contract of `policy`).
crypto::eip712::Domain governance_domain(const GroupPolicy& policy);

/// The digest a governance key signs to approve `new_policy` (encoded) for the commit of `epoch` in
/// the group of `current`.
Bytes policy_change_digest(const GroupPolicy& current, uint64_t epoch, ByteView new_policy);

/// Throws Error(PolicyRefused, "policy change refused: …") unless `signatures` hold approvals of
/// `new_policy` at `epoch` by at least `current.governance.threshold` distinct governance keys of
/// `current`. A signature that is malformed, has a high s, or recovers to an address that is not a
/// governance key refuses the whole set; the same key twice counts once. A policy without
/// governance keys never changes.
void check_approvals(const GroupPolicy& current, uint64_t epoch, ByteView new_policy,
                     const std::vector<Bytes>& signatures);

/// Judges a proposed GroupContext extension list: the same extensions as `context` but for the
/// policy, which decodes and validates, keeps the binding (chain id and contract, hence the group
/// id) and is approved (check_approvals) by the approvals in `authenticated_data` for the commit
/// of `context.epoch`. Returns the new policy; throws Error(PolicyRefused) otherwise.
GroupPolicy approve_policy_change(const mls::GroupContext& context, const mls::ExtensionList& proposed,
                                  ByteView authenticated_data);

/// The ContextChangeRule of Anonify groups (approve_policy_change). Stateless.
class GovernanceRule final : public mls::ContextChangeRule {
 public:
  void approve(const mls::GroupContext& context, const mls::ExtensionList& proposed,
               ByteView authenticated_data) const override {
    approve_policy_change(context, proposed, authenticated_data);
  }
};

}  // namespace anonify::membership
