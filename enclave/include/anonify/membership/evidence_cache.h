// Attestation evidence the enclave verified itself, per MLS signature key: what the membership
// rule (admission.h) compares a leaf with. The host hands the evidence of every leaf the enclave
// must accept (mls_admit_evidence) before the handshake that brings the leaf; the enclave verifies
// it under the compiled-in trust anchor and checks that REPORTDATA binds the keys:
//
//   REPORTDATA = address (20) ‖ SHA-256(hpkePublicKey ‖ mlsSignatureKey) (32) ‖ zero (12)
//
// Two evidence kinds: an IAS report (verify_ias), or a DCAP quote with its collateral (verify_dcap
// steps 1-10 under trust_anchors().dcap_root_ca, judged at the chain clock, with both CRLs required
// so revocation is always checked; the collateral grace is that of the enclave's group, else 0).
// Only verified evidence is cached, sealed before it counts (a restart keeps it). The measurement
// policy is not applied here: that is the group's (admission.h), judged when a leaf is admitted; so
// are the DCAP collateral's freshness, again, and the minimum tcbEvaluationDataNumber (DcapVerdict).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "anonify/attestation/dcap.h"
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

/// What a verified DCAP quote adds to its VerifiedIdentity (kind kDcap, status = the platform's
/// TCB status, timestamp = the chain time it was verified at): what admission judges again.
struct DcapVerdict {
  std::string qe_tcb_status;
  /// Earliest nextUpdate (unix seconds) of the collateral used: admission refuses after it.
  uint64_t collateral_next_update = 0;
  uint32_t tcb_evaluation_data_number = 0;  ///< min of TCB Info's and QE Identity's
  Bytes fmspc;             ///< 6 bytes
  std::string pck_serial;  ///< lowercase hex
  /// The group's minimum tcbEvaluationDataNumber is judged on each (TCB Info first, as on chain).
  uint32_t tcb_info_evaluation_data_number = 0;
  uint32_t qe_identity_evaluation_data_number = 0;
};

/// Verified evidence of one enclave.
struct VerifiedMember {
  Bytes address;            ///< REPORTDATA[0..20]: the enclave's Ethereum address
  Bytes hpke_public_key;    ///< X25519 key users encrypt commands to
  Bytes mls_signature_key;  ///< Ed25519 key of its MLS leaf
  attestation::VerifiedIdentity identity;
  std::optional<DcapVerdict> dcap;  ///< set exactly when identity.kind is kDcap
};

/// Verifies IAS evidence under `report_signing_ca_der` and its REPORTDATA binding of the two keys.
/// Throws Error(EvidenceRefused) whose message starts with the verifier's code, e.g.
/// "ReportSignatureInvalid()" or "ReportDataKeyHashMismatch(0x…, 0x…)". Pure: caches nothing.
VerifiedMember verify_member_evidence(const attestation::IasEvidence& evidence, ByteView hpke_public_key,
                                      ByteView mls_signature_key, ByteView report_signing_ca_der);

/// Verifies DCAP evidence (steps 1-10 with `collateral_grace`, no minimum tcbEvaluationDataNumber:
/// the group's minimum is judged at admission) under `root_ca_der` at `now` (unix seconds), requires revocation to have been checked (a root CA CRL
/// and a PCK CA CRL: "RevocationNotChecked()" otherwise), then the REPORTDATA binding as for IAS.
/// Throws Error(EvidenceRefused) as verify_member_evidence does. Pure: caches nothing.
VerifiedMember verify_member_dcap_evidence(const attestation::DcapEvidence& evidence, ByteView hpke_public_key,
                                           ByteView mls_signature_key, ByteView root_ca_der, uint64_t now,
                                           uint64_t collateral_grace = 0);

/// An enclave component (Enclave::component<EvidenceCache>()).
class EvidenceCache {
 public:
  explicit EvidenceCache(enclave::Enclave& enclave);

  /// Verifies under trust_anchors() and caches (sealed first). Idempotent: the same keys again
  /// keep one entry (the newest report wins). Throws Error(EvidenceRefused) and changes nothing.
  const VerifiedMember& admit(const attestation::IasEvidence& evidence, ByteView hpke_public_key,
                              ByteView mls_signature_key);
  /// DCAP evidence, verified under trust_anchors().dcap_root_ca at `now` (the caller passes
  /// max(chain clock, the host's block time)) with `collateral_grace` (the caller passes its group's,
  /// admission judges the collateral again with the group's grace); the verdict's timestamp is `chain_clock` when set
  /// (a host cannot post-date it to escape max_age_seconds), else `now`. Throws Error(Unsupported)
  /// when this build has no DCAP root. Idempotent as admit: the same keys keep one entry, the
  /// newest verdict (then the latest collateral) wins.
  const VerifiedMember& admit_dcap(const attestation::DcapEvidence& evidence, ByteView hpke_public_key,
                                   ByteView mls_signature_key, uint64_t now, uint64_t chain_clock,
                                   uint64_t collateral_grace = 0);
  /// The entry for an MLS signature key, or null.
  const VerifiedMember* find(const Bytes& mls_signature_key) const;
  /// Drops the entries of these signature keys (departed members), sealing the result.
  void forget(const std::vector<Bytes>& mls_signature_keys);
  size_t size() const noexcept { return entries_.size(); }

  Bytes serialize() const;

 private:
  void seal(const std::map<Bytes, VerifiedMember>& next);
  const VerifiedMember& store(VerifiedMember m);

  enclave::Enclave& enclave_;
  std::map<Bytes, VerifiedMember> entries_;  ///< by MLS signature key
};

}  // namespace anonify::membership
