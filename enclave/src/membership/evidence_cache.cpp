#include "anonify/membership/evidence_cache.h"

#include <optional>
#include <string>

#include "anonify/crypto/hash.h"
#include "anonify/error.h"
#include "anonify/mls/mls_error.h"
#include "anonify/mls/tls_codec.h"

namespace anonify::membership {
namespace {

constexpr uint8_t kCacheFormatVersion = 1;
constexpr size_t kAddressSize = 20;
constexpr size_t kKeyHashOffset = 20;
constexpr size_t kReservedOffset = 52;

[[noreturn]] void refuse(const std::string& code, const std::vector<std::string>& args, const std::string& message) {
  std::string rendered = code + "(";
  for (size_t i = 0; i < args.size(); ++i) rendered += (i ? ", " : "") + args[i];
  throw Error(ErrorCode::kEvidenceRefused, rendered + "): " + message);
}

void encode_member(mls::TlsWriter& w, const VerifiedMember& m) {
  w.opaque(m.address);
  w.opaque(m.hpke_public_key);
  w.opaque(m.mls_signature_key);
  const attestation::VerifiedIdentity& id = m.identity;
  w.u8(static_cast<uint8_t>(id.kind));
  w.opaque(id.mrenclave);
  w.opaque(id.mrsigner);
  w.u16(id.isv_prod_id);
  w.u16(id.isv_svn);
  w.u8(id.debug ? 1 : 0);
  w.opaque(id.report_data);
  w.opaque(id.status);
  w.u64(id.timestamp);
  w.vector([&](mls::TlsWriter& inner) {
    for (const std::string& a : id.advisory_ids) inner.opaque(a);
  });
}

std::string as_string(const Bytes& b) { return std::string(b.begin(), b.end()); }

VerifiedMember decode_member(mls::TlsReader& r) {
  VerifiedMember m;
  m.address = r.opaque();
  m.hpke_public_key = r.opaque();
  m.mls_signature_key = r.opaque();
  attestation::VerifiedIdentity& id = m.identity;
  id.kind = static_cast<attestation::EvidenceKind>(r.u8());
  id.mrenclave = r.opaque();
  id.mrsigner = r.opaque();
  id.isv_prod_id = r.u16();
  id.isv_svn = r.u16();
  id.debug = r.u8() == 1;
  id.report_data = r.opaque();
  id.status = as_string(r.opaque());
  id.timestamp = r.u64();
  mls::TlsReader advisories = r.vector();
  while (!advisories.empty()) id.advisory_ids.push_back(as_string(advisories.opaque()));
  return m;
}

std::map<Bytes, VerifiedMember> decode_cache(ByteView data) {
  std::map<Bytes, VerifiedMember> out;
  try {
    mls::TlsReader r(data.data(), data.size());
    if (r.u8() != kCacheFormatVersion) throw Error(ErrorCode::kSealedDataCorrupt, "evidence cache: unknown version");
    mls::TlsReader entries = r.vector();
    while (!entries.empty()) {
      VerifiedMember m = decode_member(entries);
      Bytes key = m.mls_signature_key;
      out.emplace(std::move(key), std::move(m));
    }
    r.finish("evidence cache");
  } catch (const mls::MlsError& e) {
    throw Error(ErrorCode::kSealedDataCorrupt, std::string("evidence cache: ") + e.what());
  }
  return out;
}

Bytes encode_cache(const std::map<Bytes, VerifiedMember>& entries) {
  mls::TlsWriter w;
  w.u8(kCacheFormatVersion);
  w.vector([&](mls::TlsWriter& inner) {
    for (const auto& [key, member] : entries) encode_member(inner, member);
  });
  return w.take();
}

}  // namespace

VerifiedMember verify_member_evidence(const attestation::IasEvidence& evidence, ByteView hpke_public_key,
                                      ByteView mls_signature_key, ByteView report_signing_ca_der) {
  if (hpke_public_key.size() != kKeySize || mls_signature_key.size() != kKeySize) {
    throw Error(ErrorCode::kInvalidParams, "hpkePublicKey and mlsSignatureKey must be 32 bytes");
  }
  attestation::VerifiedIdentity identity;
  try {
    identity = attestation::verify_ias(evidence, report_signing_ca_der);
  } catch (const attestation::EvidenceError& e) {
    refuse(e.code(), e.args(), e.what());
  }
  if (identity.report_data.size() != kReportDataSize) {
    refuse("ReportDataInvalid", {}, "REPORTDATA is not 64 bytes");
  }
  const ByteView rd(identity.report_data);
  const Bytes expected_hash = crypto::sha256(concat({hpke_public_key, mls_signature_key}));
  const ByteView actual_hash = rd.subview(kKeyHashOffset, kKeySize);
  if (!constant_time_equal(actual_hash, expected_hash)) {
    refuse("ReportDataKeyHashMismatch", {"0x" + to_hex(expected_hash), "0x" + to_hex(actual_hash)},
           "REPORTDATA does not bind this hpkePublicKey and mlsSignatureKey");
  }
  const ByteView reserved = rd.subview(kReservedOffset, kReportDataSize - kReservedOffset);
  for (uint8_t b : reserved) {
    if (b != 0) refuse("ReportDataReservedNotZero", {"0x" + to_hex(reserved)}, "REPORTDATA[52..64] is not zero");
  }
  VerifiedMember m;
  m.address = Bytes(rd.begin(), rd.begin() + kAddressSize);
  m.hpke_public_key = Bytes(hpke_public_key.begin(), hpke_public_key.end());
  m.mls_signature_key = Bytes(mls_signature_key.begin(), mls_signature_key.end());
  m.identity = std::move(identity);
  return m;
}

EvidenceCache::EvidenceCache(enclave::Enclave& enclave) : enclave_(enclave) {
  if (enclave.initialized()) {
    std::optional<SecretBytes> sealed = enclave.sealed_store().get(kEvidenceCacheSealName);
    if (sealed) entries_ = decode_cache(*sealed);
  }
  enclave.add_sealer(kEvidenceCacheSealName, [this] { return serialize(); });
}

Bytes EvidenceCache::serialize() const { return encode_cache(entries_); }

void EvidenceCache::seal(const std::map<Bytes, VerifiedMember>& next) {
  enclave_.sealed_store().put(kEvidenceCacheSealName, encode_cache(next));
}

const VerifiedMember& EvidenceCache::admit(const attestation::IasEvidence& evidence, ByteView hpke_public_key,
                                           ByteView mls_signature_key) {
  VerifiedMember m = verify_member_evidence(evidence, hpke_public_key, mls_signature_key,
                                            attestation::trust_anchors().ias_report_signing_ca);
  const Bytes key = m.mls_signature_key;
  auto existing = entries_.find(key);
  if (existing != entries_.end() && existing->second.identity.timestamp >= m.identity.timestamp) {
    return existing->second;  // already known (the same report, or a newer one)
  }
  if (existing == entries_.end() && entries_.size() >= kMaxCachedEvidence) {
    throw Error(ErrorCode::kEvidenceRefused, "EvidenceCacheFull(): " + std::to_string(kMaxCachedEvidence) + " entries");
  }
  std::map<Bytes, VerifiedMember> next = entries_;
  next[key] = std::move(m);
  seal(next);
  entries_ = std::move(next);
  return entries_.at(key);
}

const VerifiedMember* EvidenceCache::find(const Bytes& mls_signature_key) const {
  auto it = entries_.find(mls_signature_key);
  return it == entries_.end() ? nullptr : &it->second;
}

void EvidenceCache::forget(const std::vector<Bytes>& mls_signature_keys) {
  std::map<Bytes, VerifiedMember> next = entries_;
  size_t dropped = 0;
  for (const Bytes& k : mls_signature_keys) dropped += next.erase(k);
  if (dropped == 0) return;
  seal(next);
  entries_ = std::move(next);
}

}  // namespace anonify::membership
