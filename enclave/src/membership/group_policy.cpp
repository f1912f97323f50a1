#include "anonify/membership/group_policy.h"

#include <set>
#include <string>

#include "anonify/error.h"
#include "anonify/mls/credential.h"
#include "anonify/mls/mls_error.h"
#include "anonify/mls/tls_codec.h"
#include "anonify/runtime/registry.h"

namespace anonify::membership {
namespace {

[[noreturn]] void refuse(const std::string& message) { throw Error(ErrorCode::kPolicyRefused, "group policy: " + message); }

void require_size(const Bytes& b, size_t size, const char* what) {
  if (b.size() != size) refuse(std::string(what) + " must be " + std::to_string(size) + " bytes");
}

uint8_t read_flag(mls::TlsReader& r, const char* what) {
  const uint8_t v = r.u8();
  if (v > 1) refuse(std::string(what) + " must be 0 or 1");
  return v;
}

}  // namespace

bool operator==(const attestation::MeasurementPolicy& a, const attestation::MeasurementPolicy& b) {
  const bool signers_equal =
      a.signer.has_value() == b.signer.has_value() &&
      (!a.signer || (a.signer->mrsigner == b.signer->mrsigner && a.signer->isv_prod_id == b.signer->isv_prod_id &&
                     a.signer->min_isv_svn == b.signer->min_isv_svn));
  return a.allowed_statuses == b.allowed_statuses && a.allow_debug == b.allow_debug &&
         a.allowed_mrenclaves == b.allowed_mrenclaves && signers_equal && a.max_age_seconds == b.max_age_seconds &&
         a.collateral_grace_seconds == b.collateral_grace_seconds &&
         a.min_tcb_evaluation_data_number == b.min_tcb_evaluation_data_number;
}

Bytes group_id_for(uint64_t chain_id, ByteView group_contract) {
  if (group_contract.size() != kAddressSize) throw Error(ErrorCode::kInvalidArgument, "group contract must be 20 bytes");
  Bytes id(kGroupIdSize);
  for (size_t i = 0; i < 8; ++i) id[i] = static_cast<uint8_t>(chain_id >> (8 * (7 - i)));
  std::copy(group_contract.begin(), group_contract.end(), id.begin() + 8);
  return id;
}

Bytes GroupPolicy::group_id() const { return group_id_for(chain_id, group_contract); }

void GroupPolicy::validate() const {
  require_size(group_contract, kAddressSize, "group contract");
  const attestation::MeasurementPolicy& m = measurement;
  if (m.allowed_statuses.empty()) refuse("at least one quote status must be allowed");
  if (m.allowed_statuses.size() > kMaxPolicyEntries) refuse("too many quote statuses");
  std::set<std::string> statuses;
  for (const std::string& s : m.allowed_statuses) {
    if (s.empty() || s.size() > 64) refuse("a quote status must be 1..64 bytes");
    if (!statuses.insert(s).second) refuse("quote status listed twice: " + s);
  }
  if (!m.allowed_mrenclaves && !m.signer) refuse("neither an MRENCLAVE allowlist nor a signer rule: it would admit any enclave");
  if (m.allowed_mrenclaves) {
    if (m.allowed_mrenclaves->empty()) refuse("an MRENCLAVE allowlist must not be empty");
    if (m.allowed_mrenclaves->size() > kMaxPolicyEntries) refuse("too many MRENCLAVEs");
    std::set<Bytes> seen;
    for (const Bytes& e : *m.allowed_mrenclaves) {
      require_size(e, kMeasurementSize, "an MRENCLAVE");
      if (!seen.insert(e).second) refuse("MRENCLAVE listed twice");
    }
  }
  if (m.signer) require_size(m.signer->mrsigner, kMeasurementSize, "MRSIGNER");
  if (m.collateral_grace_seconds > attestation::kMaxCollateralGrace) {
    refuse("collateral_grace_seconds must be at most " + std::to_string(attestation::kMaxCollateralGrace) +
           " (30 days, DcapVerifier's MAX_COLLATERAL_GRACE)");
  }
  if (governance.keys.size() > kMaxPolicyEntries) refuse("too many governance keys");
  std::set<Bytes> keys;
  for (const Bytes& k : governance.keys) {
    require_size(k, kAddressSize, "a governance key");
    if (!keys.insert(k).second) refuse("governance key listed twice");
  }
  if (governance.keys.empty() ? governance.threshold != 0
                              : (governance.threshold == 0 || governance.threshold > governance.keys.size())) {
    refuse("governance threshold must be 1..n (or 0 with no keys)");
  }
  if (!runtime::valid_runtime_name(runtime)) refuse("the runtime name must be 1..64 bytes of [a-z0-9._/-]");
}

Bytes GroupPolicy::encode() const {
  validate();
  mls::TlsWriter w;
  w.u64(chain_id);
  w.opaque(group_contract);
  w.vector([&](mls::TlsWriter& inner) {
    for (const std::string& s : measurement.allowed_statuses) inner.opaque(s);
  });
  w.u8(measurement.allow_debug ? 1 : 0);
  w.optional(measurement.allowed_mrenclaves, [](mls::TlsWriter& out, const std::vector<Bytes>& list) {
    out.vector([&](mls::TlsWriter& inner) {
      for (const Bytes& e : list) inner.opaque(e);
    });
  });
  w.optional(measurement.signer, [](mls::TlsWriter& out, const attestation::MeasurementPolicy::Signer& s) {
    out.opaque(s.mrsigner);
    out.u16(s.isv_prod_id);
    out.u16(s.min_isv_svn);
  });
  w.u64(measurement.max_age_seconds);
  w.u64(measurement.collateral_grace_seconds);
  w.u32(measurement.min_tcb_evaluation_data_number);
  w.u8(governance.threshold);
  w.vector([&](mls::TlsWriter& inner) {
    for (const Bytes& k : governance.keys) inner.opaque(k);
  });
  w.opaque(runtime);
  return w.take();
}

GroupPolicy GroupPolicy::decode(ByteView data) {
  GroupPolicy p;
  try {
    mls::TlsReader r(data.data(), data.size());
    p.chain_id = r.u64();
    p.group_contract = r.opaque();
    p.measurement.allowed_statuses.clear();
    mls::TlsReader statuses = r.vector();
    while (!statuses.empty()) {
      const Bytes s = statuses.opaque();
      p.measurement.allowed_statuses.emplace_back(s.begin(), s.end());
    }
    p.measurement.allow_debug = read_flag(r, "allow_debug") == 1;
    if (read_flag(r, "optional MRENCLAVE list") == 1) {
      std::vector<Bytes> list;
      mls::TlsReader inner = r.vector();
      while (!inner.empty()) list.push_back(inner.opaque());
      p.measurement.allowed_mrenclaves = std::move(list);
    }
    if (read_flag(r, "optional signer") == 1) {
      attestation::MeasurementPolicy::Signer s;
      s.mrsigner = r.opaque();
      s.isv_prod_id = r.u16();
      s.min_isv_svn = r.u16();
      p.measurement.signer = std::move(s);
    }
    p.measurement.max_age_seconds = r.u64();
    p.measurement.collateral_grace_seconds = r.u64();
    p.measurement.min_tcb_evaluation_data_number = r.u32();
    p.governance.threshold = r.u8();
    mls::TlsReader keys = r.vector();
    while (!keys.empty()) p.governance.keys.push_back(keys.opaque());
    const Bytes runtime_name = r.opaque();
    p.runtime.assign(runtime_name.begin(), runtime_name.end());
    r.finish("group policy");
  } catch (const mls::MlsError& e) {
    refuse(std::string("malformed encoding: ") + e.what());
  }
  p.validate();
  if (p.encode() != Bytes(data.begin(), data.end())) refuse("non-canonical encoding");
  return p;
}

GroupPolicy group_policy_of(const mls::GroupContext& context) {
  const mls::Extension* found = nullptr;
  for (const mls::Extension& e : context.extensions) {
    if (e.type == kGroupPolicyExtensionType) found = &e;
  }
  if (found == nullptr) refuse("the group context carries no Anonify policy extension");
  GroupPolicy policy = GroupPolicy::decode(found->data);
  if (context.group_id != policy.group_id()) refuse("the group id is not chain id || group contract of the policy");
  return policy;
}

}  // namespace anonify::membership
