// Host protocol methods of the MLS group (docs/treekem.md lists them with their parameters).
//
// What the host may see: handshakes, GroupInfos and trees (all public on chain anyway), the epoch
// authenticator, exporter values for labels outside the reserved "anonify" namespace, and
// application messages it wrapped itself (authenticated data "anonify/host"). Group secrets, keys
// and application messages of the state runtime never leave the enclave.
#include <optional>
#include <string>
#include <string_view>

#include "anonify/crypto/eip712.h"
#include "anonify/crypto/keccak.h"
#include "anonify/crypto/secp256k1.h"
#include "anonify/enclave/chain_clock.h"
#include "anonify/enclave/methods.h"
#include "anonify/membership/admission.h"
#include "anonify/membership/evidence_cache.h"
#include "anonify/membership/governance.h"
#include "anonify/membership/group_policy.h"
#include "anonify/mls/group.h"
#include "anonify/mls/handshake_entry.h"
#include "anonify/mls/mls_error.h"
#include "anonify/mls/public_group.h"
#include "anonify/runtime/registry.h"
#include "member_group.h"

namespace anonify::enclave {
namespace {

using mls::Group;
using mls::HandshakeEntry;
using mls::PublicGroup;
using protocol::hex_param;
using protocol::Params;

constexpr const char* kSealName = "mls-group";
constexpr const char* kReservedExportPrefix = "anonify";
constexpr std::string_view kHostMessageLabel = "anonify/host";
constexpr size_t kMaxExportLength = 1024;
// mls_unprotect's one answer for anything that is not a host-wrapped message it can open (it does
// not decrypt, fails to verify, replays a used key, or is a runtime message).
constexpr const char* kNotHostMessage =
    "not a host-wrapped message of this epoch that this enclave can open; runtime messages stay in the enclave";
constexpr const char* kNoFollowedLog =
    "no followed log: start from the log's genesis entry (mls_process_handshake or mls_follow)";
constexpr const char* kNoGroupNoLog =
    "no group and no followed log: start from the log's genesis entry (mls_process_handshake or mls_follow) "
    "or create a group";

// Per-enclave MLS state: the group (once created or joined) and a follower of the public state.
// Built at `init` (ANONIFY_ENCLAVE_COMPONENT): the sealed group is read then and never again. The
// group admits leaves under the membership rule (anonify/membership/admission.h), whose evidence
// cache and clock are the enclave's own components.
class MlsComponent {
 public:
  explicit MlsComponent(Enclave& enclave)
      : evidence(enclave.component<membership::EvidenceCache>()),
        clock(enclave.component<ChainClock>()),
        admission(evidence, clock),
        enclave_(enclave) {
    if (enclave.initialized()) {
      std::optional<SecretBytes> sealed = enclave.sealed_store().get(kSealName);
      if (sealed && !sealed->empty()) {
        group = Group::deserialize(*sealed);
        group->set_leaf_admission(&admission);
        // Another copy of the data directory may hold the same leaf secrets: retire them first.
        self_update_required = true;
      }
    }
    enclave.add_sealer(kSealName, [this] { return group ? group->serialize().reveal() : Bytes{}; });
  }

  // Seals `next` (the group as it will be; null once dropped) before it replaces `group`, so a
  // restart never resumes from an older epoch than the host saw, and a failed seal changes nothing.
  void seal(const Group* next) { enclave_.sealed_store().put(kSealName, next ? next->serialize() : SecretBytes()); }

  // Makes `next` the group (after seal()), holding the enclave's admission rule.
  void adopt(std::optional<Group> next) {
    group = std::move(next);
    if (group) group->set_leaf_admission(&admission);
  }

  membership::EvidenceCache& evidence;
  ChainClock& clock;
  const membership::EnclaveAdmission admission;
  // What a follower (no evidence, no secrets) checks of a policy change: the governance approvals.
  const membership::GovernanceRule governance;

  Group& member_group() {
    if (!group) throw Error(ErrorCode::kInvalidState, "no MLS group: create or join one first");
    return *group;
  }

  void require_fresh_leaf(const char* what) const {
    if (self_update_required) {
      throw Error(ErrorCode::kSelfUpdateRequired,
                  std::string(what) + " refused: restarted from sealed state, this enclave must first post a "
                                      "self-update (mls_commit_update) and apply it from the log");
    }
  }

  std::optional<Group> group;
  std::optional<PublicGroup> follower;
  // Restarted from a sealed group and its own self-update of this run not yet applied.
  bool self_update_required = false;
  // The self-update commit made in this run while self_update_required (cleared when applied).
  Bytes pending_self_update;

 private:
  Enclave& enclave_;
};

ANONIFY_ENCLAVE_COMPONENT(MlsComponent);

MlsComponent& mls_state(Enclave& enclave) {
  require_identity(enclave);
  return enclave.component<MlsComponent>();
}

Bytes host_message_label() { return Bytes(kHostMessageLabel.begin(), kHostMessageLabel.end()); }

mls::MemberIdentity member_identity(const Identity& identity) {
  return mls::MemberIdentity{mls::Credential::basic(identity.eth_address()),
                             mls::SignatureKeyPair{identity.mls_signature_private_key(),
                                                   identity.mls_signature_public_key()}};
}

// The optional EIP-712 `domain` of the methods that return a handshake entry. Read before anything
// changes, so a bad domain refuses the whole request. Errors name the full path (params.domain.x).
std::optional<crypto::eip712::Domain> signing_domain(const Params& params) {
  if (!params.has("domain")) return std::nullopt;
  const Params d = params.object("domain");
  try {
    crypto::eip712::Domain domain;
    if (auto name = d.optional_string("name")) domain.name = *name;
    if (auto version = d.optional_string("version")) domain.version = *version;
    domain.chain_id = d.u64("chainId");
    domain.verifying_contract = d.bytes("verifyingContract", crypto::kEthAddressSize);
    return domain;
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kInvalidParams) throw;
    // The nested Params names members relative to the domain object.
    constexpr std::string_view kPrefix = "params.";
    std::string message = e.what();
    if (message.rfind(kPrefix, 0) == 0) message.insert(kPrefix.size(), "domain.");
    throw Error(ErrorCode::kInvalidParams, message);
  }
}

crypto::eip712::Domain required_domain(const Params& params) {
  std::optional<crypto::eip712::Domain> domain = signing_domain(params);
  if (!domain) throw Error(ErrorCode::kInvalidParams, "params.domain is required: the group is bound to its contract");
  return *domain;
}

membership::GroupBinding binding_of(const crypto::eip712::Domain& domain) {
  return membership::GroupBinding{domain.chain_id, domain.verifying_contract};
}

void require_carried_runtime(const membership::GroupPolicy& policy) {
  if (!runtime::carries_runtime(policy.runtime)) {
    throw Error(ErrorCode::kRuntimeUnavailable, "the group runs the runtime \"" + policy.runtime +
                                                    "\", which this enclave binary does not carry");
  }
}

[[noreturn]] void invalid_policy(const std::string& path, const std::string& expected) {
  throw Error(ErrorCode::kInvalidParams, "params.policy." + path + " must be " + expected);
}

Bytes hex_item(const Json& item, const std::string& path, size_t size) {
  const std::string what = "0x-prefixed hex of " + std::to_string(size) + " bytes";
  if (!item.is_string()) invalid_policy(path, what);
  try {
    return Params(Json{{"value", item}}).bytes("value", size);
  } catch (const Error&) {
    invalid_policy(path, what);
  }
}

uint16_t u16_item(const Params& p, const char* name, const std::string& path) {
  const uint64_t v = p.u64(name);
  if (v > UINT16_MAX) invalid_policy(path, "a uint16");
  return static_cast<uint16_t>(v);
}

// The group policy of mls_create_group: the measurement policy and governance from `params.policy`,
// bound to the signing domain's chain id and contract (PROTOCOL.md "mls_create_group").
// `current_runtime`: the group's runtime on a policy change (params.policy.runtime may repeat it, never
// change it); nullopt at creation, where params.policy.runtime is required.
membership::GroupPolicy policy_from_params(const Params& params, const crypto::eip712::Domain& domain,
                                           const std::optional<std::string>& current_runtime) {
  const Params p = params.object("policy");
  membership::GroupPolicy policy;
  policy.chain_id = domain.chain_id;
  policy.group_contract = domain.verifying_contract;
  if (p.has("runtime")) {
    const Json& name = p.raw("runtime");
    if (!name.is_string() || !runtime::valid_runtime_name(name.get_ref<const std::string&>())) {
      invalid_policy("runtime", "a runtime name (1..64 bytes of [a-z0-9._/-])");
    }
    policy.runtime = name.get<std::string>();
    if (current_runtime && policy.runtime != *current_runtime) {
      throw Error(ErrorCode::kPolicyRefused, "group policy: a policy change cannot change the group's runtime (\"" +
                                                 *current_runtime + "\")");
    }
  } else if (current_runtime) {
    policy.runtime = *current_runtime;
  } else {
    invalid_policy("runtime", "the name of the runtime the group runs (status lists the ones this enclave carries)");
  }
  attestation::MeasurementPolicy& m = policy.measurement;
  if (p.has("allowedStatuses")) {
    const Json& statuses = p.raw("allowedStatuses");
    if (!statuses.is_array()) invalid_policy("allowedStatuses", "an array of strings");
    m.allowed_statuses.clear();
    for (const Json& s : statuses) {
      if (!s.is_string()) invalid_policy("allowedStatuses", "an array of strings");
      m.allowed_statuses.push_back(s.get<std::string>());
    }
  }
  if (p.has("allowDebug")) m.allow_debug = p.boolean("allowDebug");
  if (p.has("mrenclaves")) {
    const Json& list = p.raw("mrenclaves");
    if (!list.is_array()) invalid_policy("mrenclaves", "an array of 32-byte hex values");
    std::vector<Bytes> mrenclaves;
    for (const Json& e : list) mrenclaves.push_back(hex_item(e, "mrenclaves[]", membership::kMeasurementSize));
    m.allowed_mrenclaves = std::move(mrenclaves);
  }
  if (p.has("signer")) {
    const Params signer = p.object("signer");
    m.signer = attestation::MeasurementPolicy::Signer{signer.bytes("mrsigner", membership::kMeasurementSize),
                                                      u16_item(signer, "isvProdId", "signer.isvProdId"),
                                                      u16_item(signer, "minIsvSvn", "signer.minIsvSvn")};
  }
  if (p.has("maxEvidenceAge")) m.max_age_seconds = p.u64("maxEvidenceAge");
  // DCAP: the group's mirror of DcapVerifier.policy(); a uint64 / uint32 as a number or decimal string
  // (as maxEvidenceAge). The 30-day bound on the grace is a policy rule (validate: policy_refused).
  if (p.has("collateralGrace")) {
    try {
      m.collateral_grace_seconds = p.u64("collateralGrace");
    } catch (const Error&) {
      invalid_policy("collateralGrace", "a non-negative integer (seconds; a number or decimal string)");
    }
  }
  if (p.has("minTcbEvaluationDataNumber")) {
    constexpr const char* kWhat = "a uint32 (a non-negative integer below 2^32; a number or decimal string)";
    uint64_t minimum = 0;
    try {
      minimum = p.u64("minTcbEvaluationDataNumber");
    } catch (const Error&) {
      invalid_policy("minTcbEvaluationDataNumber", kWhat);
    }
    if (minimum > UINT32_MAX) invalid_policy("minTcbEvaluationDataNumber", kWhat);
    m.min_tcb_evaluation_data_number = static_cast<uint32_t>(minimum);
  }
  if (p.has("governance")) {
    const Params g = p.object("governance");
    const uint64_t threshold = g.u64("threshold");
    if (threshold > UINT8_MAX) invalid_policy("governance.threshold", "a uint8");
    policy.governance.threshold = static_cast<uint8_t>(threshold);
    const Json& keys = g.raw("keys");
    if (!keys.is_array()) invalid_policy("governance.keys", "an array of addresses");
    for (const Json& k : keys) policy.governance.keys.push_back(hex_item(k, "governance.keys[]", membership::kAddressSize));
  }
  if (m.allow_debug && !attestation::trust_anchors().simulation) {
    throw Error(ErrorCode::kPolicyRefused, "group policy: an sgx build never admits DEBUG enclaves");
  }
  policy.validate();
  return policy;
}

// Encodes a handshake entry and, with a `domain`, signs it for the group contract:
// Handshake(chainEpoch, keccak256(handshake)), or RemovalCommit(chainEpoch, keccak256(handshake),
// removed) when `removed` names the revoked enclaves the commit removes (checked by check_removal).
Json handshake_json(Enclave& enclave, const std::optional<crypto::eip712::Domain>& domain, const HandshakeEntry& entry,
                    uint64_t chain_epoch, const std::optional<std::vector<Bytes>>& removed = std::nullopt) {
  const Bytes handshake = mls::tls_encode(entry);
  const Bytes hash = crypto::keccak256(handshake);
  Json out{{"handshake", hex_param(handshake)},
           {"handshakeHash", hex_param(hash)},
           {"chainEpoch", chain_epoch},
           {"groupInfo", hex_param(entry.group_info)}};
  if (!entry.commit.empty()) out["commit"] = hex_param(entry.commit);
  if (removed) {
    Json list = Json::array();
    for (const Bytes& address : *removed) list.push_back(hex_param(address));
    out["removedEnclaves"] = std::move(list);
  }
  if (domain) {
    const Bytes struct_hash = removed ? crypto::eip712::removal_commit_struct_hash(chain_epoch, hash, *removed)
                                      : crypto::eip712::handshake_struct_hash(chain_epoch, hash);
    const Bytes digest = crypto::eip712::typed_data_digest(crypto::eip712::domain_separator(*domain), struct_hash);
    out["signature"] = hex_param(crypto::eth_sign_digest(enclave.identity().secp256k1_private_key(), digest));
  }
  return out;
}

// The optional `enclaves` of mls_commit_remove / mls_commit_update (audit F-6): the revoked enclave
// addresses the commit is to vouch for, 20 bytes each, in strictly ascending order (the order the
// group contract takes them in, so one set has one signed form). Requires `domain`: the list exists
// only to be signed.
std::optional<std::vector<Bytes>> removal_list(const Params& params) {
  if (!params.has("enclaves")) return std::nullopt;
  constexpr const char* kWhat = "params.enclaves: a non-empty array of 20-byte addresses in strictly ascending order";
  const Json& list = params.raw("enclaves");
  if (!list.is_array() || list.empty()) throw Error(ErrorCode::kInvalidParams, kWhat);
  if (!params.has("domain")) throw Error(ErrorCode::kInvalidParams, "params.enclaves needs params.domain (it is signed)");
  std::vector<Bytes> out;
  for (const Json& item : list) {
    if (!item.is_string()) throw Error(ErrorCode::kInvalidParams, kWhat);
    Bytes address;
    try {
      address = Params(Json{{"value", item}}).bytes("value", crypto::kEthAddressSize);
    } catch (const Error&) {
      throw Error(ErrorCode::kInvalidParams, kWhat);
    }
    // Big-endian bytes of equal length compare as the numbers do.
    if (!out.empty() && !(out.back() < address)) throw Error(ErrorCode::kInvalidParams, kWhat);
    out.push_back(std::move(address));
  }
  return out;
}

bool holds_leaf(const mls::RatchetTree& tree, const Bytes& identity) {
  for (mls::LeafIndex l = 0; l < tree.leaf_count(); ++l) {
    const mls::LeafNode* leaf = tree.leaf(l);
    if (leaf != nullptr && leaf->credential.identity == identity) return true;
  }
  return false;
}

// What a RemovalCommit signature vouches for (audit F-6): after the commit (`after`: the tree a log
// follower gets from the commit and its GroupInfo, checked as PublicGroup::apply checks it, not the
// staged epoch's own bookkeeping) none of `named` holds a leaf, and every identity the commit took
// out of `before` is named. So the contract, which
// cannot parse MLS, clears exactly the pending removals the commit carries out. A named address
// already without a leaf in `before` (removed by an earlier commit, e.g. a policy change) is fine.
void check_removal(const mls::RatchetTree& before, const mls::RatchetTree& after, const std::vector<Bytes>& named) {
  for (const Bytes& address : named) {
    if (holds_leaf(after, address)) {
      throw Error(ErrorCode::kInvalidParams,
                  "params.enclaves: 0x" + to_hex(address) + " still holds a leaf after this commit");
    }
  }
  for (mls::LeafIndex l = 0; l < before.leaf_count(); ++l) {
    const mls::LeafNode* leaf = before.leaf(l);
    if (leaf == nullptr || holds_leaf(after, leaf->credential.identity)) continue;
    bool listed = false;
    for (const Bytes& address : named) listed = listed || address == leaf->credential.identity;
    if (!listed) {
      throw Error(ErrorCode::kInvalidParams, "params.enclaves: this commit removes leaf " + std::to_string(l) + " (0x" +
                                                 to_hex(leaf->credential.identity) +
                                                 "), which the list does not name");
    }
  }
}

// The genesis entry sits at chain epoch 0 and creates MLS epoch 0; the commit leaving MLS epoch e
// is the log's entry number e + 1.
uint64_t chain_epoch_of_commit(uint64_t mls_epoch) { return mls_epoch + 1; }

// `interop: true` joins a group of another MLS implementation without the membership rule. Only
// simulation builds (development trust anchors, ANONIFY_SGX_BUILD=OFF) have it; the state runtime
// never takes keys from such a group.
bool interop_join(const Params& params) {
  if (!params.has("interop") || !params.boolean("interop")) return false;
  if (!attestation::trust_anchors().simulation) {
    throw Error(ErrorCode::kUnsupported, "params.interop: an sgx build (Intel's trust anchors) has no interop joins");
  }
  return true;
}

HandshakeEntry decode_entry(const Params& params) {
  const Bytes bytes = params.bytes("handshake");
  return mls::tls_decode<HandshakeEntry>(bytes, "handshake entry");
}

// Signature keys of the leaves of `before` that `after` no longer holds (departed members).
std::vector<Bytes> departed_keys(const mls::RatchetTree& before, const mls::RatchetTree& after) {
  std::vector<Bytes> out;
  for (mls::LeafIndex l = 0; l < before.leaf_count(); ++l) {
    const mls::LeafNode* leaf = before.leaf(l);
    if (leaf != nullptr && !after.find_leaf_by_signature_key(leaf->signature_key)) out.push_back(leaf->signature_key);
  }
  return out;
}

Json group_status(const Group& g) {
  Json out{{"member", g.is_member()},
           {"epoch", g.epoch()},
           {"groupId", hex_param(g.group_id())},
           {"stagedCommit", g.has_staged_commit()}};
  if (g.is_member()) {
    out["leaf"] = g.own_leaf();
    out["memberCount"] = g.member_count();
    out["epochAuthenticator"] = hex_param(g.epoch_authenticator());
    // Who holds which leaf (the basic credential is the enclave's address), so hosts can name
    // members they did not see join, e.g. for a removal.
    Json members = Json::array();
    const mls::RatchetTree& tree = g.tree();
    for (mls::LeafIndex l = 0; l < tree.leaf_count(); ++l) {
      if (const mls::LeafNode* leaf = tree.leaf(l)) {
        members.push_back(Json{{"leaf", l}, {"identity", hex_param(leaf->credential.identity)}});
      }
    }
    out["members"] = std::move(members);
  }
  return out;
}

}  // namespace

const mls::Group* mls_group(Enclave& enclave) {
  if (!enclave.initialized()) return nullptr;
  MlsComponent& mls = enclave.component<MlsComponent>();
  return mls.group ? &*mls.group : nullptr;
}

uint64_t mls_collateral_grace(Enclave& enclave) {
  if (!enclave.initialized()) return 0;
  MlsComponent& mls = enclave.component<MlsComponent>();
  const mls::GroupContext* context =
      mls.group ? &mls.group->context() : mls.follower ? &mls.follower->context() : nullptr;
  if (context == nullptr) return 0;
  try {
    return membership::group_policy_of(*context).measurement.collateral_grace_seconds;
  } catch (const Error&) {
    return 0;  // no valid policy: no grace (admission refuses every leaf of such a group anyway)
  }
}

bool mls_self_update_required(Enclave& enclave) {
  return enclave.initialized() && enclave.component<MlsComponent>().self_update_required;
}

void require_no_pending_self_update(Enclave& enclave, const char* what) {
  if (enclave.initialized()) enclave.component<MlsComponent>().require_fresh_leaf(what);
}

ANONIFY_PROTOCOL_METHOD(mls_create_group)(Enclave& enclave, const Params& params) {
  MlsComponent& mls = mls_state(enclave);
  if (mls.group) throw Error(ErrorCode::kInvalidState, "this enclave already has an MLS group");
  const crypto::eip712::Domain domain = required_domain(params);
  const membership::GroupPolicy policy = policy_from_params(params, domain, std::nullopt);
  require_carried_runtime(policy);
  const Bytes group_id = policy.group_id();
  if (const auto given = params.optional_bytes("groupId"); given && *given != group_id) {
    throw Error(ErrorCode::kDomainMismatch, "params.groupId is not chainId || verifyingContract of params.domain");
  }
  if (mls.evidence.find(enclave.identity().mls_signature_public_key()) == nullptr) {
    throw Error(ErrorCode::kLeafNotAdmitted, "this enclave's own evidence is not admitted yet (mls_admit_evidence)");
  }
  const mls::ExtensionList extensions{mls::Extension{membership::kGroupPolicyExtensionType, policy.encode()}};
  // The creator's leaf passes the policy it fixes, or nothing is created.
  Group group = Group::create(group_id, member_identity(enclave.identity()), extensions, &mls.admission);
  Json out = handshake_json(enclave, domain, HandshakeEntry{Bytes{}, group.group_info(true)}, 0);
  out["status"] = group_status(group);
  mls.seal(&group);
  mls.adopt(std::move(group));
  return out;
}

ANONIFY_PROTOCOL_METHOD(mls_follow)(Enclave& enclave, const Params& params) {
  MlsComponent& mls = mls_state(enclave);
  const HandshakeEntry entry = decode_entry(params);
  if (entry.is_genesis()) {
    if (mls.follower) throw Error(ErrorCode::kInvalidState, "the follower already has a genesis entry");
    mls.follower = PublicGroup::from_group_info(entry.group_info, Bytes{});
  } else {
    if (!mls.follower) throw Error(ErrorCode::kInvalidState, kNoFollowedLog);
    mls.follower->apply(entry.commit, entry.group_info, &mls.governance);
  }
  return Json{{"epoch", mls.follower->epoch()}, {"memberCount", mls.follower->tree().member_count()}};
}

ANONIFY_PROTOCOL_METHOD(mls_public_state)(Enclave& enclave, const Params&) {
  MlsComponent& mls = mls_state(enclave);
  if (mls.group && mls.group->is_member()) {
    return Json{{"epoch", mls.group->epoch()},
                {"groupInfo", hex_param(mls.group->group_info(false))},
                {"ratchetTree", hex_param(mls.group->ratchet_tree())}};
  }
  if (!mls.follower) throw Error(ErrorCode::kInvalidState, "no group and no followed log");
  return Json{{"epoch", mls.follower->epoch()},
              {"groupInfo", hex_param(mls.follower->group_info())},
              {"ratchetTree", hex_param(mls.follower->ratchet_tree())}};
}

ANONIFY_PROTOCOL_METHOD(mls_join_external)(Enclave& enclave, const Params& params) {
  MlsComponent& mls = mls_state(enclave);
  if (mls.group && mls.group->is_member()) throw Error(ErrorCode::kInvalidState, "already a member");
  Bytes group_info;
  Bytes tree;
  if (params.has("groupInfo")) {
    group_info = params.bytes("groupInfo");
    tree = params.optional_bytes("ratchetTree").value_or(Bytes{});
  } else if (mls.follower) {
    group_info = mls.follower->group_info();
    tree = mls.follower->ratchet_tree();
  } else {
    throw Error(ErrorCode::kInvalidParams, "params.groupInfo missing and no followed log");
  }
  mls::CommitOutput out;
  std::optional<Group> joining;
  std::optional<crypto::eip712::Domain> domain;
  if (interop_join(params)) {
    // Interop with other MLS implementations (test/mls/interop.test.ts): no admission, and the state
    // runtime never takes keys from such a group (Group::admission_required() is false).
    domain = signing_domain(params);
    joining = Group::join_external(group_info, tree, member_identity(enclave.identity()), out);
  } else {
    domain = required_domain(params);
    const membership::EnclaveAdmission admission(mls.evidence, mls.clock, 0, binding_of(*domain));
    joining = Group::join_external(group_info, tree, member_identity(enclave.identity()), out, &admission);
    // Admission passed; the group must also run an application this binary carries.
    require_carried_runtime(membership::group_policy_of(joining->context()));
  }
  Json result = handshake_json(enclave, domain, HandshakeEntry{out.commit, out.group_info},
                               chain_epoch_of_commit(joining->epoch()));
  mls.seal(&*joining);
  mls.adopt(std::move(joining));
  // A join made in this run: its leaf secrets were never sealed before.
  mls.self_update_required = false;
  mls.pending_self_update.clear();
  return result;
}

ANONIFY_PROTOCOL_METHOD(mls_commit_update)(Enclave& enclave, const Params& params) {
  MlsComponent& mls = mls_state(enclave);
  const Group& current = mls.member_group();
  const auto domain = signing_domain(params);
  const auto named = removal_list(params);
  Group next = current.clone();
  const mls::CommitOutput out = next.commit_update();
  if (named) check_removal(current.tree(), current.public_state_after(out.commit, out.group_info).tree(), *named);
  Json result = handshake_json(enclave, domain, HandshakeEntry{out.commit, out.group_info},
                               chain_epoch_of_commit(next.epoch()), named);
  mls.seal(&next);
  mls.adopt(std::move(next));
  if (mls.self_update_required) mls.pending_self_update = out.commit;
  return result;
}

ANONIFY_PROTOCOL_METHOD(mls_commit_remove)(Enclave& enclave, const Params& params) {
  MlsComponent& mls = mls_state(enclave);
  const Group& current = mls.member_group();
  mls.require_fresh_leaf("mls_commit_remove");
  const Json& leaves = params.raw("leaves");
  if (!leaves.is_array() || leaves.empty()) throw Error(ErrorCode::kInvalidParams, "params.leaves: non-empty array");
  std::vector<mls::LeafIndex> removed;
  for (const Json& leaf : leaves) {
    if (!leaf.is_number_unsigned() || leaf.get<uint64_t>() > UINT32_MAX) {
      throw Error(ErrorCode::kInvalidParams, "params.leaves: leaf indices (uint32)");
    }
    removed.push_back(leaf.get<mls::LeafIndex>());
  }
  const auto domain = signing_domain(params);
  const auto named = removal_list(params);
  Group next = current.clone();
  const mls::CommitOutput out = next.commit_remove(removed);
  if (named) check_removal(current.tree(), current.public_state_after(out.commit, out.group_info).tree(), *named);
  Json result = handshake_json(enclave, domain, HandshakeEntry{out.commit, out.group_info},
                               chain_epoch_of_commit(next.epoch()), named);
  mls.seal(&next);
  mls.adopt(std::move(next));
  return result;
}

// A commit changing the group policy under governance approvals (anonify/membership/governance.h):
// `policy` is the new policy (mls_create_group's format, bound to `domain`, which must be the
// group's), `approvals` the governance keys' signatures of PolicyChange{groupId, epoch, policyHash}
// for the current epoch. Refused up front unless the approvals meet the current threshold: the host
// cannot make the enclave produce a commit its group refuses. Leaves the new policy does not admit
// are removed by the same commit (listed in "removed"); this enclave's own leaf must be admitted.
ANONIFY_PROTOCOL_METHOD(mls_commit_policy_change)(Enclave& enclave, const Params& params) {
  MlsComponent& mls = mls_state(enclave);
  const Group& current = mls.member_group();
  mls.require_fresh_leaf("mls_commit_policy_change");
  const crypto::eip712::Domain domain = required_domain(params);
  const membership::GroupPolicy current_policy = membership::group_policy_of(current.context());
  if (domain.chain_id != current_policy.chain_id || domain.verifying_contract != current_policy.group_contract) {
    throw Error(ErrorCode::kDomainMismatch, "params.domain is not the group's chain id and contract");
  }
  const membership::GroupPolicy next_policy = policy_from_params(params, domain, current_policy.runtime);
  const Json& list = params.raw("approvals");
  if (!list.is_array()) throw Error(ErrorCode::kInvalidParams, "params.approvals: an array of 65-byte hex signatures");
  if (list.size() > membership::kMaxApprovals) {
    throw Error(ErrorCode::kInvalidParams, "params.approvals: at most " + std::to_string(membership::kMaxApprovals));
  }
  membership::PolicyApprovals approvals;
  for (const Json& item : list) {
    if (!item.is_string()) throw Error(ErrorCode::kInvalidParams, "params.approvals[]: 65-byte hex signatures");
    try {
      approvals.signatures.push_back(Params(Json{{"value", item}}).bytes("value", crypto::kEthSignatureSize));
    } catch (const Error&) {
      throw Error(ErrorCode::kInvalidParams, "params.approvals[]: 65-byte hex signatures");
    }
  }
  const Bytes encoded = next_policy.encode();
  membership::check_approvals(current_policy, current.epoch(), encoded, approvals.signatures);

  // The context the commit creates, and the leaves its policy no longer admits.
  mls::ExtensionList extensions = current.context().extensions;
  for (mls::Extension& e : extensions) {
    if (e.type == membership::kGroupPolicyExtensionType) e.data = encoded;
  }
  mls::GroupContext changed = current.context();
  changed.extensions = extensions;
  const mls::RatchetTree& tree = current.tree();
  std::vector<mls::LeafIndex> removed;
  for (mls::LeafIndex l = 0; l < tree.leaf_count(); ++l) {
    const mls::LeafNode* leaf = tree.leaf(l);
    if (leaf == nullptr) continue;
    try {
      mls.admission.admit(*leaf, l, tree, changed, mls::LeafOrigin::kExistingMember);
    } catch (const Error& e) {
      if (l == current.own_leaf()) {
        throw Error(ErrorCode::kPolicyRefused, std::string("policy change refused: the new policy does not admit this "
                                                           "enclave's own leaf: ") + e.what());
      }
      removed.push_back(l);
    }
  }
  Group next = current.clone();
  const mls::CommitOutput out = next.commit_context_extensions(extensions, approvals.encode(), removed);
  Json result = handshake_json(enclave, domain, HandshakeEntry{out.commit, out.group_info},
                               chain_epoch_of_commit(next.epoch()));
  result["policyHash"] = hex_param(crypto::keccak256(encoded));
  result["removed"] = removed;
  mls.seal(&next);
  mls.adopt(std::move(next));
  return result;
}

ANONIFY_PROTOCOL_METHOD(mls_process_handshake)(Enclave& enclave, const Params& params) {
  MlsComponent& mls = mls_state(enclave);
  const HandshakeEntry entry = decode_entry(params);
  // The time of the block carrying the entry: evidence age is judged at it (never before the
  // newest block already applied), and the chain clock moves to it once the entry is applied.
  const uint64_t block_time = params.has("blockTimestamp") ? params.u64("blockTimestamp") : 0;
  const membership::EnclaveAdmission admission(mls.evidence, mls.clock, block_time);
  std::vector<Bytes> departed;  // signature keys of leaves the entry removes
  Json out;
  if (entry.is_genesis()) {
    // Nothing for a group to apply: its creator already holds epoch 0, everyone else follows it.
    const bool member = mls.group && mls.group->is_member();
    if (!member && !mls.follower) mls.follower = PublicGroup::from_group_info(entry.group_info, Bytes{});
    out["outcome"] = "genesis";
  } else if (mls.group) {
    // Everything is decided on copies and swapped in at the end: a refused entry changes nothing.
    std::optional<Group> next_group = mls.group->clone();
    next_group->set_leaf_admission(&admission);
    std::optional<PublicGroup> next_follower;
    try {
      const mls::HandshakeResult r = next_group->process_handshake(entry.commit, &entry.group_info);
      if (mls.group->is_member()) departed = departed_keys(mls.group->tree(), next_group->tree());
      static const char* const kOutcomes[] = {"own_commit", "commit", "external_join", "removed", "proposal_stored"};
      out["outcome"] = kOutcomes[static_cast<int>(r.outcome)];
      out["committer"] = r.committer;
      if (r.outcome == mls::HandshakeOutcome::kRemovedFromGroup) {
        // Out of the group, the enclave keeps following the log from the epoch the removal created.
        next_follower = mls.group->public_state_after(entry.commit, entry.group_info);
        next_group.reset();
      }
    } catch (const mls::MlsError& e) {
      if (e.reason() != mls::Reason::kNotMember || mls.group->is_member()) throw;
      // Another entry for the epoch our external join was made for. Only an entry a follower of
      // that epoch accepts supersedes the join (else its refusal stands and nothing changes); the
      // enclave then follows the log, so the host can rejoin from the new public state.
      next_follower = mls.group->public_state_after(entry.commit, entry.group_info);
      next_group.reset();
      out["outcome"] = "join_superseded";
    }
    mls.seal(next_group ? &*next_group : nullptr);
    mls.adopt(std::move(next_group));
    mls.follower = std::move(next_follower);  // a member serves the public state itself
    mls.evidence.forget(departed);
    const bool own_self_update = out["outcome"] == "own_commit" && !mls.pending_self_update.empty() &&
                                 constant_time_equal(mls.pending_self_update, entry.commit);
    if (!mls.group || own_self_update) {
      mls.self_update_required = false;
      mls.pending_self_update.clear();
    }
  } else if (mls.follower) {
    mls.follower->apply(entry.commit, entry.group_info, &mls.governance);
    out["outcome"] = "followed";
  } else {
    throw Error(ErrorCode::kInvalidState, kNoGroupNoLog);
  }
  mls.clock.observe(block_time);
  if (mls.group) out["status"] = group_status(*mls.group);
  return out;
}

ANONIFY_PROTOCOL_METHOD(mls_status)(Enclave& enclave, const Params&) {
  MlsComponent& mls = mls_state(enclave);
  Json out{{"group", mls.group ? group_status(*mls.group) : Json(nullptr)}};
  out["followedEpoch"] = mls.follower ? Json(mls.follower->epoch()) : Json(nullptr);
  out["selfUpdateRequired"] = mls.self_update_required;
  return out;
}

ANONIFY_PROTOCOL_METHOD(mls_protect)(Enclave& enclave, const Params& params) {
  MlsComponent& mls = mls_state(enclave);
  const Bytes data = params.bytes("data");
  mls.require_fresh_leaf("mls_protect");
  // The message key is used up: sealed before the group in memory moves on.
  Group next = mls.member_group().clone();
  const Bytes message = next.protect(data, host_message_label());
  const uint64_t epoch = next.epoch();
  mls.seal(&next);
  mls.adopt(std::move(next));
  return Json{{"message", hex_param(message)}, {"epoch", epoch}};
}

ANONIFY_PROTOCOL_METHOD(mls_unprotect)(Enclave& enclave, const Params& params) {
  MlsComponent& mls = mls_state(enclave);
  Group& g = mls.member_group();
  // Decrypt on a copy: only host-wrapped messages may be revealed, and only those consume a key.
  Group scratch = g.clone();
  const Bytes message = params.bytes("message");
  std::optional<mls::ApplicationMessage> m;
  try {
    m = scratch.unprotect(message);
  } catch (const mls::MlsError& e) {
    // Framing, group and epoch are public; past them, whether the message decrypted and verified
    // must not show, so every later failure gets the one answer a non-host message gets.
    const mls::Reason r = e.reason();
    if (r == mls::Reason::kMalformed || r == mls::Reason::kUnsupported || r == mls::Reason::kWrongGroup ||
        r == mls::Reason::kStaleEpoch || r == mls::Reason::kFutureEpoch || r == mls::Reason::kInternal) {
      throw;
    }
  }
  if (!m || m->authenticated_data != host_message_label()) throw Error(ErrorCode::kInvalidMessage, kNotHostMessage);
  mls.seal(&scratch);
  g = std::move(scratch);
  return Json{{"sender", m->sender}, {"data", hex_param(m->data)}};
}

ANONIFY_PROTOCOL_METHOD(mls_export_secret)(Enclave& enclave, const Params& params) {
  MlsComponent& mls = mls_state(enclave);
  const std::string label = params.string("label");
  if (label.rfind(kReservedExportPrefix, 0) == 0) {
    throw Error(ErrorCode::kInvalidParams, "exporter labels starting with \"anonify\" are reserved for the enclave");
  }
  const uint64_t length = params.u64("length");
  if (length == 0 || length > kMaxExportLength) throw Error(ErrorCode::kInvalidParams, "params.length: 1..1024");
  const Bytes context = params.optional_bytes("context").value_or(Bytes{});
  const SecretBytes secret = mls.member_group().export_secret(label, context, static_cast<size_t>(length));
  return Json{{"secret", hex_param(secret)}, {"epoch", mls.group->epoch()}};
}

}  // namespace anonify::enclave
