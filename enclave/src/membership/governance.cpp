#include "anonify/membership/governance.h"

#include <set>
#include <string>

#include "anonify/crypto/keccak.h"
#include "anonify/crypto/secp256k1.h"
#include "anonify/error.h"
#include "anonify/mls/mls_error.h"
#include "anonify/mls/tls_codec.h"

namespace anonify::membership {
namespace {

[[noreturn]] void refuse(const std::string& message) {
  throw Error(ErrorCode::kPolicyRefused, "policy change refused: " + message);
}

std::string hex_address(ByteView address) { return "0x" + to_hex(address); }

}  // namespace

Bytes PolicyApprovals::encode() const {
  if (signatures.size() > kMaxApprovals) refuse("more than " + std::to_string(kMaxApprovals) + " approvals");
  mls::TlsWriter w;
  w.vector([&](mls::TlsWriter& inner) {
    for (const Bytes& s : signatures) {
      if (s.size() != crypto::kEthSignatureSize) refuse("an approval must be a 65-byte signature");
      inner.opaque(s);
    }
  });
  return w.take();
}

PolicyApprovals PolicyApprovals::decode(ByteView data) {
  PolicyApprovals out;
  try {
    mls::TlsReader r(data.data(), data.size());
    mls::TlsReader list = r.vector();
    while (!list.empty()) {
      Bytes signature = list.opaque();
      if (signature.size() != crypto::kEthSignatureSize) refuse("an approval must be a 65-byte signature");
      if (out.signatures.size() == kMaxApprovals) refuse("more than " + std::to_string(kMaxApprovals) + " approvals");
      out.signatures.push_back(std::move(signature));
    }
    r.finish("policy approvals");
  } catch (const mls::MlsError& e) {
    refuse(std::string("malformed approvals in the commit's authenticated_data: ") + e.what());
  }
  if (out.encode() != Bytes(data.begin(), data.end())) refuse("non-canonical approvals encoding");
  return out;
}

crypto::eip712::Domain governance_domain(const GroupPolicy& policy) {
  crypto::eip712::Domain domain;
  domain.chain_id = policy.chain_id;
  domain.verifying_contract = policy.group_contract;
  return domain;
}

Bytes policy_change_digest(const GroupPolicy& current, uint64_t epoch, ByteView new_policy) {
  return crypto::eip712::typed_data_digest(
      crypto::eip712::domain_separator(governance_domain(current)),
      crypto::eip712::policy_change_struct_hash(current.group_id(), epoch, crypto::keccak256(new_policy)));
}

void check_approvals(const GroupPolicy& current, uint64_t epoch, ByteView new_policy,
                     const std::vector<Bytes>& signatures) {
  const Governance& governance = current.governance;
  if (governance.threshold == 0 || governance.keys.empty()) {
    refuse("the group's policy names no governance keys: it never changes");
  }
  if (signatures.size() > kMaxApprovals) refuse("more than " + std::to_string(kMaxApprovals) + " approvals");
  const Bytes digest = policy_change_digest(current, epoch, new_policy);
  const std::set<Bytes> keys(governance.keys.begin(), governance.keys.end());
  std::set<Bytes> approvers;
  for (size_t i = 0; i < signatures.size(); ++i) {
    Bytes signer;
    try {
      signer = crypto::eth_recover_address(digest, signatures[i]);
    } catch (const Error& e) {
      refuse("approval " + std::to_string(i) + " is not a valid signature: " + e.what());
    }
    if (keys.count(signer) == 0) {
      refuse("approval " + std::to_string(i) + " recovers to " + hex_address(signer) +
             ", not a governance key of the current policy (a forged approval, or one of another epoch or policy)");
    }
    approvers.insert(std::move(signer));  // the same key twice counts once
  }
  if (approvers.size() < governance.threshold) {
    refuse(std::to_string(approvers.size()) + " distinct governance approvals, the policy needs " +
           std::to_string(governance.threshold));
  }
}

GroupPolicy approve_policy_change(const mls::GroupContext& context, const mls::ExtensionList& proposed,
                                  ByteView authenticated_data) {
  const GroupPolicy current = group_policy_of(context);
  // Only the policy extension may change: the same extension types, in the same order.
  if (proposed.size() != context.extensions.size()) refuse("the proposal adds or drops GroupContext extensions");
  const mls::Extension* replacement = nullptr;
  for (size_t i = 0; i < proposed.size(); ++i) {
    if (proposed[i].type != context.extensions[i].type) refuse("the proposal reorders or replaces GroupContext extensions");
    if (proposed[i].type == kGroupPolicyExtensionType) {
      replacement = &proposed[i];
    } else if (proposed[i].data != context.extensions[i].data) {
      refuse("the proposal changes a GroupContext extension other than the policy");
    }
  }
  if (replacement == nullptr) refuse("the proposal carries no Anonify policy extension");
  GroupPolicy next;
  try {
    next = GroupPolicy::decode(replacement->data);
  } catch (const Error& e) {
    refuse(std::string("the new policy is invalid: ") + e.what());
  }
  if (next.chain_id != current.chain_id || next.group_contract != current.group_contract) {
    refuse("the new policy changes the binding (chain id " + std::to_string(next.chain_id) + ", contract " +
           hex_address(next.group_contract) + "); a group stays bound to its contract");
  }
  if (next.runtime != current.runtime) {
    refuse("the new policy changes the group's runtime (\"" + next.runtime + "\"); a group runs one runtime for life");
  }
  if (authenticated_data.empty()) refuse("no governance approvals in the commit's authenticated_data");
  check_approvals(current, context.epoch, replacement->data, PolicyApprovals::decode(authenticated_data).signatures);
  return next;
}

}  // namespace anonify::membership
