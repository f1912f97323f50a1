// Remote-attestation evidence as the enclave itself verifies it, before it admits a member.
//
// One evidence kind per way Intel signs a quote (IAS here, DCAP in anonify/attestation/dcap.h),
// each yielding the same VerifiedIdentity. The rules, their order and the error codes are those of the on-chain verifier
// (contracts/attestation/) and of the TypeScript verifier (src/attestation/): the three are held
// equal by a differential test over every real vector and a mutation corpus.
//
// The trust anchor is compiled in (trust_anchors()): Intel's roots in an sgx build
// (ANONIFY_SGX_BUILD), the development roots in a simulation build, so a simulation binary never
// admits real evidence as its own kind and an sgx binary never admits development evidence. The
// development DCAP root is the development PCS's (src/attestation/simulation/dcap/).
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "anonify/bytes.h"

namespace anonify::attestation {

enum class EvidenceKind : uint8_t {
  kIas = 1,   ///< IAS (EPID) report: JSON body + RSA-2048 signature + signing certificate
  kDcap = 2,  ///< DCAP ECDSA quote + collateral (the DCAP issue)
};

/// "ias" / "dcap".
const char* evidence_kind_name(EvidenceKind kind) noexcept;

/// A refusal. `code()` is the Solidity custom error's name (e.g. "ReportSignatureInvalid",
/// "MrenclaveNotAllowed"), `args()` its arguments rendered as the differential test compares them:
/// unsigned integers in decimal, bytes32 as 0x-lowercase hex, booleans as "true"/"false", strings
/// as they are.
class EvidenceError : public std::runtime_error {
 public:
  EvidenceError(std::string code, std::vector<std::string> args, const std::string& message)
      : std::runtime_error(message), code_(std::move(code)), args_(std::move(args)) {}
  const std::string& code() const noexcept { return code_; }
  const std::vector<std::string>& args() const noexcept { return args_; }

 private:
  std::string code_;
  std::vector<std::string> args_;
};

/// What verified evidence attests, whatever its kind.
struct VerifiedIdentity {
  EvidenceKind kind = EvidenceKind::kIas;
  Bytes mrenclave;    ///< 32 bytes
  Bytes mrsigner;     ///< 32 bytes
  uint16_t isv_prod_id = 0;
  uint16_t isv_svn = 0;
  bool debug = false;
  Bytes report_data;  ///< 64 bytes
  /// IAS: isvEnclaveQuoteStatus as its raw bytes; DCAP: the platform's TCB status.
  std::string status;
  /// Unix seconds: IAS the report's timestamp; DCAP the time the collateral was judged at.
  uint64_t timestamp = 0;
  std::vector<std::string> advisory_ids;
};

/// IAS evidence: what a join transaction carries, plus the signing certificate the contract cached.
struct IasEvidence {
  Bytes report;               ///< the exact response-body bytes Intel signed
  Bytes signature;            ///< 256-byte RSA PKCS#1 v1.5 SHA-256 signature over `report`
  Bytes signing_certificate;  ///< DER X.509 of the report-signing (leaf) certificate
};

/// The roots an evidence kind is checked under.
struct TrustAnchors {
  Bytes ias_report_signing_ca;  ///< DER, RSA-3072
  /// DER, P-256: Intel SGX Root CA in an sgx build; the development PCS's root
  /// (src/attestation/simulation/dcap/simulation_dcap_root_ca.der) in a simulation build.
  Bytes dcap_root_ca;
  bool simulation = true;       ///< development roots (simulation build) or Intel's (sgx build)
};

/// The roots compiled into this binary.
const TrustAnchors& trust_anchors();

/// The measurement policy a group fixes at creation (see anonify/membership). Same semantics and
/// check order as `IasVerifier`'s policy: age, status, DEBUG, MRENCLAVE allowlist, signer.
struct MeasurementPolicy {
  std::vector<std::string> allowed_statuses{"OK"};  ///< compared byte for byte
  bool allow_debug = false;
  std::optional<std::vector<Bytes>> allowed_mrenclaves;  ///< unset: no MRENCLAVE check
  struct Signer {
    Bytes mrsigner;  ///< 32 bytes
    uint16_t isv_prod_id = 0;
    uint16_t min_isv_svn = 0;
  };
  std::optional<Signer> signer;  ///< unset: no MRSIGNER/ISVPRODID/ISVSVN check
  uint64_t max_age_seconds = 0;  ///< 0 = off; judged against `now`
  /// DCAP only (IAS ignores both), the group's mirror of DcapVerifier.policy(): seconds a
  /// collateral item is still accepted after its nextUpdate (at most kMaxCollateralGrace), and the
  /// minimum tcbEvaluationDataNumber of TCB Info and of QE Identity (0 = none).
  uint64_t collateral_grace_seconds = 0;
  uint32_t min_tcb_evaluation_data_number = 0;
};

/// DcapVerifier's MAX_COLLATERAL_GRACE: 30 days.
constexpr uint64_t kMaxCollateralGrace = 30ull * 24 * 60 * 60;

/// Steps 1-7 for IAS: certificate under the CA (issuer, sha256WithRSA, RSA-2048 key, validity),
/// report signature, report JSON, quote body, report time inside the certificate's validity.
/// Throws EvidenceError; never applies a policy.
VerifiedIdentity verify_ias(const IasEvidence& evidence, ByteView report_signing_ca_der);

/// Step 8: the policy, in the contract's order. `now` plays block.timestamp (unix seconds).
void check_policy(const VerifiedIdentity& identity, const MeasurementPolicy& policy, uint64_t now);

/// The enclave part of check_policy, shared by every evidence kind (DCAP's step 12): DEBUG,
/// MRENCLAVE allowlist, signer; `allowed_statuses` and `max_age_seconds` are not read.
void check_enclave_policy(const VerifiedIdentity& identity, const MeasurementPolicy& policy);

}  // namespace anonify::attestation
