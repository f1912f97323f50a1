#include "anonify/membership/evidence_cache.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "anonify/crypto/hash.h"
#include "anonify/error.h"
#include "anonify/mls/mls_error.h"
#include "anonify/mls/tls_codec.h"

namespace anonify::membership {
namespace {

// Version 1: IAS entries only (before DCAP). Version 2 adds, after each entry's identity,
// optional<DcapVerdict> (present exactly for kind dcap). Version 3 appends to the verdict TCB
// Info's and QE Identity's tcbEvaluationDataNumber (uint32 each). Version 1 and 2 caches still
// load; a version 2 verdict takes its min for both numbers (never higher than either: a group
// minimum refuses it at worst, and the evidence registered again carries both).
constexpr uint8_t kCacheFormatV1 = 1;
constexpr uint8_t kCacheFormatV2 = 2;
constexpr uint8_t kCacheFormatVersion = 3;
constexpr size_t kFmspcSize = 6;
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
  w.u8(m.dcap ? 1 : 0);
  if (m.dcap) {
    w.opaque(m.dcap->qe_tcb_status);
    w.u64(m.dcap->collateral_next_update);
    w.u32(m.dcap->tcb_evaluation_data_number);
    w.opaque(m.dcap->fmspc);
    w.opaque(m.dcap->pck_serial);
    w.u32(m.dcap->tcb_info_evaluation_data_number);
    w.u32(m.dcap->qe_identity_evaluation_data_number);
  }
}

std::string as_string(const Bytes& b) { return std::string(b.begin(), b.end()); }

[[noreturn]] void corrupt(const std::string& what) {
  throw Error(ErrorCode::kSealedDataCorrupt, "evidence cache: " + what);
}

VerifiedMember decode_member(mls::TlsReader& r, uint8_t version) {
  VerifiedMember m;
  m.address = r.opaque();
  m.hpke_public_key = r.opaque();
  m.mls_signature_key = r.opaque();
  attestation::VerifiedIdentity& id = m.identity;
  const uint8_t kind = r.u8();
  if (kind != static_cast<uint8_t>(attestation::EvidenceKind::kIas) &&
      kind != static_cast<uint8_t>(attestation::EvidenceKind::kDcap)) {
    corrupt("unknown evidence kind " + std::to_string(kind));
  }
  id.kind = static_cast<attestation::EvidenceKind>(kind);
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
  if (version == kCacheFormatV1) {
    if (id.kind != attestation::EvidenceKind::kIas) corrupt("a version 1 cache holds IAS entries only");
    return m;
  }
  const uint8_t has_dcap = r.u8();
  if (has_dcap > 1) corrupt("bad optional flag");
  if ((has_dcap == 1) != (id.kind == attestation::EvidenceKind::kDcap)) {
    corrupt("a DCAP verdict must accompany exactly the DCAP entries");
  }
  if (has_dcap == 1) {
    DcapVerdict d;
    d.qe_tcb_status = as_string(r.opaque());
    d.collateral_next_update = r.u64();
    d.tcb_evaluation_data_number = r.u32();
    d.fmspc = r.opaque();
    if (d.fmspc.size() != kFmspcSize) corrupt("FMSPC is not 6 bytes");
    d.pck_serial = as_string(r.opaque());
    if (version == kCacheFormatV2) {
      d.tcb_info_evaluation_data_number = d.tcb_evaluation_data_number;
      d.qe_identity_evaluation_data_number = d.tcb_evaluation_data_number;
    } else {
      d.tcb_info_evaluation_data_number = r.u32();
      d.qe_identity_evaluation_data_number = r.u32();
      if (d.tcb_evaluation_data_number != std::min(d.tcb_info_evaluation_data_number, d.qe_identity_evaluation_data_number)) {
        corrupt("tcbEvaluationDataNumber is not the min of TCB Info's and QE Identity's");
      }
    }
    m.dcap = std::move(d);
  }
  return m;
}

std::map<Bytes, VerifiedMember> decode_cache(ByteView data) {
  std::map<Bytes, VerifiedMember> out;
  try {
    mls::TlsReader r(data.data(), data.size());
    const uint8_t version = r.u8();
    if (version != kCacheFormatV1 && version != kCacheFormatV2 && version != kCacheFormatVersion) corrupt("unknown version");
    mls::TlsReader entries = r.vector();
    while (!entries.empty()) {
      VerifiedMember m = decode_member(entries, version);
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

void require_key_sizes(ByteView hpke_public_key, ByteView mls_signature_key) {
  if (hpke_public_key.size() != kKeySize || mls_signature_key.size() != kKeySize) {
    throw Error(ErrorCode::kInvalidParams, "hpkePublicKey and mlsSignatureKey must be 32 bytes");
  }
}

/// The REPORTDATA binding, the same for every evidence kind.
VerifiedMember bind_keys(attestation::VerifiedIdentity identity, ByteView hpke_public_key, ByteView mls_signature_key) {
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

}  // namespace

VerifiedMember verify_member_evidence(const attestation::IasEvidence& evidence, ByteView hpke_public_key,
                                      ByteView mls_signature_key, ByteView report_signing_ca_der) {
  require_key_sizes(hpke_public_key, mls_signature_key);
  attestation::VerifiedIdentity identity;
  try {
    identity = attestation::verify_ias(evidence, report_signing_ca_der);
  } catch (const attestation::EvidenceError& e) {
    refuse(e.code(), e.args(), e.what());
  }
  return bind_keys(std::move(identity), hpke_public_key, mls_signature_key);
}

VerifiedMember verify_member_dcap_evidence(const attestation::DcapEvidence& evidence, ByteView hpke_public_key,
                                           ByteView mls_signature_key, ByteView root_ca_der, uint64_t now,
                                           uint64_t collateral_grace) {
  require_key_sizes(hpke_public_key, mls_signature_key);
  // The caller's grace (its group's); no minimum tcbEvaluationDataNumber: admission judges the
  // group's on the verdict's two numbers (admission.h).
  attestation::DcapPolicy registration;
  registration.collateral_grace = collateral_grace;
  attestation::VerifiedQuote quote;
  try {
    quote = attestation::verify_dcap_evidence(evidence, root_ca_der, registration, now);
  } catch (const attestation::EvidenceError& e) {
    refuse(e.code(), e.args(), e.what());
  }
  if (!quote.revocation_checked) {
    refuse("RevocationNotChecked", {},
           "the evidence needs both a root CA CRL and a PCK CA CRL: revocation is always checked");
  }
  DcapVerdict verdict;
  verdict.qe_tcb_status = quote.qe_tcb_status;
  verdict.collateral_next_update = quote.collateral_next_update;
  verdict.tcb_evaluation_data_number = quote.tcb_evaluation_data_number;
  verdict.tcb_info_evaluation_data_number = quote.tcb_info_evaluation_data_number;
  verdict.qe_identity_evaluation_data_number = quote.qe_identity_evaluation_data_number;
  verdict.fmspc = quote.fmspc;
  verdict.pck_serial = quote.pck_serial;
  VerifiedMember m = bind_keys(std::move(quote.identity), hpke_public_key, mls_signature_key);
  m.dcap = std::move(verdict);
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
  return store(verify_member_evidence(evidence, hpke_public_key, mls_signature_key,
                                      attestation::trust_anchors().ias_report_signing_ca));
}

const VerifiedMember& EvidenceCache::admit_dcap(const attestation::DcapEvidence& evidence, ByteView hpke_public_key,
                                                ByteView mls_signature_key, uint64_t now, uint64_t chain_clock,
                                                uint64_t collateral_grace) {
  const Bytes& root = attestation::trust_anchors().dcap_root_ca;
  if (root.empty()) throw Error(ErrorCode::kUnsupported, "this build has no DCAP root: DCAP evidence is not admitted");
  VerifiedMember m =
      verify_member_dcap_evidence(evidence, hpke_public_key, mls_signature_key, root, now, collateral_grace);
  if (chain_clock != 0 && chain_clock < m.identity.timestamp) m.identity.timestamp = chain_clock;
  return store(std::move(m));
}

const VerifiedMember& EvidenceCache::store(VerifiedMember m) {
  const Bytes key = m.mls_signature_key;
  auto existing = entries_.find(key);
  // The newest verdict wins: the report's time (IAS) or the chain time it was verified at (DCAP),
  // then the later collateral. Anything else keeps the entry (the same evidence again included).
  const auto rank = [](const VerifiedMember& v) {
    return std::make_pair(v.identity.timestamp, v.dcap ? v.dcap->collateral_next_update : 0);
  };
  if (existing != entries_.end() && rank(existing->second) >= rank(m)) {
    return existing->second;  // already known (the same evidence, or a newer one)
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
