// The membership rule of an Anonify group: an MLS leaf is admitted only when
//  1. the group context carries the Anonify policy (group_policy.h) and, when the caller names a
//     binding (the EIP-712 domain it serves), that policy names the same chain id and contract;
//  2. the leaf's credential is basic with a 20-byte identity;
//  3. the enclave holds verified evidence (evidence_cache.h) for the leaf's signature key, whose
//     address is the credential's identity;
//  4. the evidence passes the group's measurement policy with now = the newest block time the
//     enclave applied (ChainClock), or the time of the block that carries the handshake being
//     applied when that is newer. IAS: attestation::check_policy (report age, isvEnclaveQuoteStatus
//     in allowed_statuses, DEBUG, MRENCLAVE, signer; the two DCAP fields are ignored). DCAP, in
//     this order: the collateral the quote was verified with is still current (now <= its earliest
//     nextUpdate + collateral_grace_seconds, else CollateralExpiredAtAdmission(nextUpdate, now):
//     evidence registered long before the handshake must be registered again with current
//     collateral); max_age_seconds bounds the age of the enclave's verdict (now - the chain time it
//     was verified at, ReportTooOld: a quote carries no time of its own); TCB Info's then QE
//     Identity's tcbEvaluationDataNumber >= min_tcb_evaluation_data_number
//     (TcbEvaluationDataNumberTooLow(kind 0 or 1, minimum, actual), as DcapVerifier); the QE's then
//     the platform's TCB status in allowed_statuses, byte for byte (QeTcbStatusNotAllowed,
//     TcbStatusNotAllowed; "Revoked" is never admitted even if listed); then DEBUG, MRENCLAVE,
//     signer (check_enclave_policy). IAS and DCAP statuses are disjoint names ("OK" … /
//     "UpToDate" …), so one list serves both. The grace and the minimum are the group's mirror of
//     its DcapVerifier's policy (the node copies DcapVerifier.policy() into the genesis policy).
//     Leaves of a tree the enclave joins were admitted by the group when they entered it, so
//     their evidence age and collateral are not judged again (now = the evidence's own time);
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

/// Rule 4 alone: `member`'s evidence under `policy` at `at` (unix seconds), by its kind as above.
/// Throws attestation::EvidenceError (the policy code).
void check_member_policy(const VerifiedMember& member, const attestation::MeasurementPolicy& policy, uint64_t at);

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
