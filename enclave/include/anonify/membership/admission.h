// The membership rule of an Anonify group: an MLS leaf is admitted only when
//  1. the group context carries the Anonify policy (group_policy.h) and, when the caller names a
//     binding (the EIP-712 domain it serves), that policy names the same chain id and contract;
//  2. the leaf's credential is basic with a 20-byte identity;
//  3. the enclave holds verified evidence (evidence_cache.h) for the leaf's signature key, whose
//     address is the credential's identity;
//  4. the evidence passes the group's measurement policy (attestation::check_policy) with
//     now = the newest block time the enclave applied (ChainClock), or the time of the block that
//     carries the handshake being applied when that is newer. Leaves of a tree the enclave joins
//     were admitted by the group when they entered it, so their evidence age is not judged again;
//  5. no other leaf of the tree holds the same identity.
// A commit that changes the policy needs governance approvals (governance.h); every leaf of the
// epoch it creates must then pass the new policy (as an existing member).
// Refusals are Error(LeafNotAdmitted) naming the rule (and the policy code), or Error(PolicyRefused).
#pragma once

#include <optional>

#include "anonify/enclave/chain_clock.h"
#include "anonify/membership/evidence_cache.h"
#include "anonify/membership/governance.h"
#include "anonify/membership/group_policy.h"
#include "anonify/mls/leaf_admission.h"

namespace anonify::membership {

/// The chain id and group contract a caller expects the group to be bound to.
struct GroupBinding {
  uint64_t chain_id = 0;
  Bytes group_contract;  ///< 20 bytes
};

class EnclaveAdmission final : public mls::LeafAdmission {
 public:
  EnclaveAdmission(const EvidenceCache& cache, const enclave::ChainClock& clock, uint64_t block_time = 0,
                   std::optional<GroupBinding> binding = std::nullopt)
      : cache_(cache), clock_(clock), block_time_(block_time), binding_(std::move(binding)) {}

  void admit(const mls::LeafNode& leaf, mls::LeafIndex index, const mls::RatchetTree& tree,
             const mls::GroupContext& context, mls::LeafOrigin origin) const override;

  /// Policy changes need governance approvals (governance.h).
  const mls::ContextChangeRule* context_change_rule() const override { return &governance_; }

  /// The time evidence age is judged at.
  uint64_t now() const noexcept { return block_time_ > clock_.newest() ? block_time_ : clock_.newest(); }

 private:
  const EvidenceCache& cache_;
  const enclave::ChainClock& clock_;
  uint64_t block_time_;
  std::optional<GroupBinding> binding_;
  GovernanceRule governance_;
};

}  // namespace anonify::membership
