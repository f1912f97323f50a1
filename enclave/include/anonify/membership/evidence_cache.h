// Attestation evidence the enclave verified itself, per MLS signature key: what the membership
// rule (admission.h) compares a leaf with. The host hands the evidence of every leaf the enclave
// must accept (mls_admit_evidence) before the handshake that brings the leaf; the enclave verifies
// it under the compiled-in trust anchor and checks that REPORTDATA binds the keys:
//
//   REPORTDATA = address (20) ‖ SHA-256(hpkePublicKey ‖ mlsSignatureKey) (32) ‖ zero (12)
//
// Only verified evidence is cached, sealed before it counts (a restart keeps it). The measurement
// policy is not applied here: that is the group's (admission.h), judged when a leaf is admitted.
#pragma once

#include <map>
#include <vector>

#include "anonify/attestation/evidence.h"
#include "anonify/bytes.h"
#include "anonify/enclave/enclave.h"

namespace anonify::membership {

/// Name of the sealed blob holding the cache.
constexpr const char* kEvidenceCacheSealName = "membership-evidence";
/// Most entries kept (members of the group and joiners announced ahead of their join).
constexpr size_t kMaxCachedEvidence = 4096;
constexpr size_t kReportDataSize = 64;
constexpr size_t kKeySize = 32;

/// Verified evidence of one enclave.
struct VerifiedMember {
  Bytes address;            ///< REPORTDATA[0..20]: the enclave's Ethereum address
  Bytes hpke_public_key;    ///< X25519 key users encrypt commands to
  Bytes mls_signature_key;  ///< Ed25519 key of its MLS leaf
  attestation::VerifiedIdentity identity;
};

/// Verifies IAS evidence under `report_signing_ca_der` and its REPORTDATA binding of the two keys.
/// Throws Error(EvidenceRefused) whose message starts with the verifier's code, e.g.
/// "ReportSignatureInvalid()" or "ReportDataKeyHashMismatch(0x…, 0x…)". Pure: caches nothing.
VerifiedMember verify_member_evidence(const attestation::IasEvidence& evidence, ByteView hpke_public_key,
                                      ByteView mls_signature_key, ByteView report_signing_ca_der);

/// An enclave component (Enclave::component<EvidenceCache>()).
class EvidenceCache {
 public:
  explicit EvidenceCache(enclave::Enclave& enclave);

  /// Verifies under trust_anchors() and caches (sealed first). Idempotent: the same keys again
  /// keep one entry (the newest report wins). Throws Error(EvidenceRefused) and changes nothing.
  const VerifiedMember& admit(const attestation::IasEvidence& evidence, ByteView hpke_public_key,
                              ByteView mls_signature_key);
  /// The entry for an MLS signature key, or null.
  const VerifiedMember* find(const Bytes& mls_signature_key) const;
  /// Drops the entries of these signature keys (departed members), sealing the result.
  void forget(const std::vector<Bytes>& mls_signature_keys);
  size_t size() const noexcept { return entries_.size(); }

  Bytes serialize() const;

 private:
  void seal(const std::map<Bytes, VerifiedMember>& next);

  enclave::Enclave& enclave_;
  std::map<Bytes, VerifiedMember> entries_;  ///< by MLS signature key
};

}  // namespace anonify::membership
