#include "anonify/membership/admission.h"

#include <string>

#include "anonify/attestation/dcap.h"
#include "anonify/error.h"

namespace anonify::membership {
namespace {

[[noreturn]] void not_admitted(mls::LeafIndex index, const std::string& message) {
  throw Error(ErrorCode::kLeafNotAdmitted, "leaf " + std::to_string(index) + ": " + message);
}

void check_dcap_policy(const VerifiedMember& member, const attestation::MeasurementPolicy& policy, uint64_t at) {
  const attestation::VerifiedIdentity& id = member.identity;
  if (!member.dcap) {
    throw attestation::EvidenceError("DcapVerdictMissing", {}, "a DCAP entry without its verdict");
  }
  const DcapVerdict& dcap = *member.dcap;
  if (at > dcap.collateral_next_update && at - dcap.collateral_next_update > policy.collateral_grace_seconds) {
    throw attestation::EvidenceError(
        "CollateralExpiredAtAdmission", {std::to_string(dcap.collateral_next_update), std::to_string(at)},
        "the collateral the evidence was verified with is past its nextUpdate and the group's grace: register it "
        "again with current collateral");
  }
  if (policy.max_age_seconds != 0 && at > id.timestamp && at - id.timestamp > policy.max_age_seconds) {
    throw attestation::EvidenceError(
        "ReportTooOld", {std::to_string(id.timestamp), std::to_string(policy.max_age_seconds), std::to_string(at)},
        "the evidence was verified longer ago than the policy's maximum age");
  }
  // As DcapVerifier and verifier.ts: TCB Info (CollateralKind 0) then QE Identity (1).
  const uint32_t minimum = policy.min_tcb_evaluation_data_number;
  const auto check_minimum = [&](const char* kind, uint32_t actual) {
    if (actual < minimum) {
      throw attestation::EvidenceError("TcbEvaluationDataNumberTooLow",
                                       {kind, std::to_string(minimum), std::to_string(actual)},
                                       "tcbEvaluationDataNumber " + std::to_string(actual) +
                                           " is below the group's minimum " + std::to_string(minimum));
    }
  };
  check_minimum("0", dcap.tcb_info_evaluation_data_number);
  check_minimum("1", dcap.qe_identity_evaluation_data_number);
  attestation::VerifiedQuote quote;
  quote.identity = id;
  quote.qe_tcb_status = dcap.qe_tcb_status;
  attestation::DcapPolicy statuses;
  statuses.allowed_tcb_statuses.clear();
  for (const std::string& s : policy.allowed_statuses) {
    if (s != "Revoked") statuses.allowed_tcb_statuses.push_back(s);
  }
  attestation::check_tcb_policy(quote, statuses);
  attestation::check_enclave_policy(id, policy);
}

}  // namespace

void check_member_policy(const VerifiedMember& member, const attestation::MeasurementPolicy& policy, uint64_t at) {
  if (member.identity.kind == attestation::EvidenceKind::kDcap) {
    check_dcap_policy(member, policy, at);
  } else {
    attestation::check_policy(member.identity, policy, at);
  }
}

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
    check_member_policy(*evidence, policy.measurement, at);
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
