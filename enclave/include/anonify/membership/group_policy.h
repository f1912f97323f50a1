// The admission policy of an Anonify group, fixed in its GroupContext at creation (a private-use
// GroupContext extension, kGroupPolicyExtensionType), so every member applies the same rule and
// nobody can change it without a commit every member checks:
//  - the binding: chain id and group contract (the group id is derived from them);
//  - the measurement policy (attestation::MeasurementPolicy): which enclaves may hold a leaf;
//  - the governance keys (k of n Ethereum addresses) that alone may change the policy;
//  - the state runtime the group runs (runtime/registry.h): an enclave creates or joins only a group
//    whose runtime it carries, and no policy change can switch it.
//
// Encoding (TLS presentation language, RFC 9420 section 2.1.2 vectors):
//   struct {
//     uint64 chain_id;
//     opaque group_contract<V>;           // 20 bytes
//     opaque allowed_statuses<V>;         // of opaque status<V>
//     uint8 allow_debug;                  // 0 or 1
//     optional<opaque mrenclaves<V>>;     // of opaque mrenclave<V> (32 bytes each)
//     optional<Signer>;                   // opaque mrsigner<V> (32), uint16 isv_prod_id, uint16 min_isv_svn
//     uint64 max_age_seconds;
//     uint64 collateral_grace_seconds;    // DCAP: 0..2592000 (30 days, DcapVerifier's MAX_COLLATERAL_GRACE)
//     uint32 min_tcb_evaluation_data_number;  // DCAP: TCB Info's and QE Identity's minimum
//     uint8 governance_threshold;
//     opaque governance_keys<V>;          // of opaque address<V> (20 bytes each)
//     opaque runtime<V>;                  // the runtime's name, 1..64 bytes of [a-z0-9._/-]
//   } AnonifyGroupPolicy;
// Exactly one encoding per policy: decode(encode(p)) == p and encode(decode(b)) == b.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "anonify/attestation/evidence.h"
#include "anonify/bytes.h"
#include "anonify/mls/key_schedule.h"
#include "anonify/mls/leaf_node.h"

namespace anonify::membership {

/// Private-use GroupContext extension type (RFC 9420 section 17.3: 0xF000-0xFFFF).
constexpr uint16_t kGroupPolicyExtensionType = mls::kAnonifyGroupPolicyExtension;
/// Group id = chain id (8 bytes, big-endian) ‖ group contract (20 bytes).
constexpr size_t kGroupIdSize = 28;
constexpr size_t kAddressSize = 20;
constexpr size_t kMeasurementSize = 32;
/// Bounds on what a policy may list (they keep the GroupContext small).
constexpr size_t kMaxPolicyEntries = 64;

struct Governance {
  uint8_t threshold = 0;       ///< k: signatures a policy change needs (0 with no keys: never changes)
  std::vector<Bytes> keys;     ///< n distinct Ethereum addresses
  bool operator==(const Governance& o) const { return threshold == o.threshold && keys == o.keys; }
};

struct GroupPolicy {
  uint64_t chain_id = 0;
  Bytes group_contract;  ///< 20 bytes
  attestation::MeasurementPolicy measurement;
  Governance governance;
  std::string runtime;  ///< the state runtime's name ("anonify-token/v1")

  /// Throws Error(PolicyRefused) naming the first rule broken: sizes, at least one status, an
  /// MRENCLAVE allowlist or a signer rule (a policy admitting every measurement is refused),
  /// a collateral grace of at most 30 days, governance 1 <= k <= n with distinct keys (or k = n = 0),
  /// a valid runtime name.
  void validate() const;
  Bytes encode() const;
  /// Throws Error(PolicyRefused) on a malformed or non-canonical encoding or an invalid policy.
  static GroupPolicy decode(ByteView data);
  /// chain id ‖ contract (kGroupIdSize bytes).
  Bytes group_id() const;
};

bool operator==(const attestation::MeasurementPolicy& a, const attestation::MeasurementPolicy& b);
inline bool operator==(const GroupPolicy& a, const GroupPolicy& b) {
  return a.chain_id == b.chain_id && a.group_contract == b.group_contract && a.measurement == b.measurement &&
         a.governance == b.governance && a.runtime == b.runtime;
}

/// The group id of a group contract on a chain.
Bytes group_id_for(uint64_t chain_id, ByteView group_contract);

/// The policy a GroupContext carries; throws Error(PolicyRefused) when the extension is absent or
/// invalid, or when the group id is not the one the policy's binding derives.
GroupPolicy group_policy_of(const mls::GroupContext& context);

}  // namespace anonify::membership
