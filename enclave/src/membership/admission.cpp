#include "anonify/membership/admission.h"

#include <string>

#include "anonify/error.h"

namespace anonify::membership {
namespace {

[[noreturn]] void not_admitted(mls::LeafIndex index, const std::string& message) {
  throw Error(ErrorCode::kLeafNotAdmitted, "leaf " + std::to_string(index) + ": " + message);
}

}  // namespace

void EnclaveAdmission::admit(const mls::LeafNode& leaf, mls::LeafIndex index, const mls::RatchetTree& tree,
                             const mls::GroupContext& context, mls::LeafOrigin origin) const {
  const GroupPolicy policy = group_policy_of(context);
  if (binding_ && (binding_->chain_id != policy.chain_id || binding_->group_contract != policy.group_contract)) {
    throw Error(ErrorCode::kDomainMismatch, "the group's policy is bound to another chain id or group contract");
  }
  if (leaf.credential.type != mls::CredentialType::kBasic || leaf.credential.identity.size() != kAddressSize) {
    not_admitted(index, "the credential is not a basic credential with a 20-byte address");
  }
  const VerifiedMember* evidence = cache_.find(leaf.signature_key);
  if (evidence == nullptr) not_admitted(index, "no verified evidence for its signature key (mls_admit_evidence)");
  if (evidence->address != leaf.credential.identity) {
    not_admitted(index, "the credential's address is not the one its evidence attests");
  }
  const uint64_t at = origin == mls::LeafOrigin::kExistingMember ? evidence->identity.timestamp : now();
  try {
    attestation::check_policy(evidence->identity, policy.measurement, at);
  } catch (const attestation::EvidenceError& e) {
    std::string rendered = e.code() + "(";
    for (size_t i = 0; i < e.args().size(); ++i) rendered += (i ? ", " : "") + e.args()[i];
    not_admitted(index, "the group's policy refuses its evidence: " + rendered + "): " + e.what());
  }
  for (mls::LeafIndex l = 0; l < tree.leaf_count(); ++l) {
    const mls::LeafNode* other = tree.leaf(l);
    if (l != index && other != nullptr && other->credential.identity == leaf.credential.identity) {
      not_admitted(index, "its identity already holds leaf " + std::to_string(l));
    }
  }
}

}  // namespace anonify::membership
