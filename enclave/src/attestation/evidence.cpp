#include "anonify/attestation/evidence.h"

#include <algorithm>
#include <string>

#include "attestation/ias_report.h"
#include "attestation/ias_report_json.h"
#include "attestation/quote_body.h"
#include "attestation/rsa_pkcs1.h"
#include "attestation/x509.h"

namespace anonify::attestation {

namespace {

/// RSA-2048 report signature length in bytes.
constexpr size_t kReportSignatureLength = 256;

std::string hex32(ByteView bytes) { return "0x" + to_hex(bytes); }

std::string decimal(uint64_t v) { return std::to_string(v); }

}  // namespace

const char* evidence_kind_name(EvidenceKind kind) noexcept {
  switch (kind) {
    case EvidenceKind::kIas:
      return "ias";
    case EvidenceKind::kDcap:
      return "dcap";
  }
  return "unknown";
}

VerifiedIdentity verify_ias(const IasEvidence& evidence, ByteView report_signing_ca_der) {
  // Step 1: the signing certificate under the CA (the contract's registerSigningCertificate).
  const PinnedCa ca = pin_ca(report_signing_ca_der);
  const SigningKey key = check_signing_certificate(evidence.signing_certificate, ca);
  return verify_ias_report(evidence.report, evidence.signature, key);
}

VerifiedIdentity verify_ias_report(ByteView report, ByteView signature, const SigningKey& key) {
  // Steps 2-3: signature length, then RSA PKCS#1 v1.5 SHA-256 over the exact report bytes.
  if (signature.size() != kReportSignatureLength) {
    throw EvidenceError("SignatureLengthInvalid", {decimal(signature.size())},
                        "report signature must be 256 bytes (RSA-2048), got " + decimal(signature.size()));
  }
  if (!rsa_pkcs1_sha256_verify(report, signature, key.modulus, rsa_exponent_65537())) {
    throw EvidenceError("ReportSignatureInvalid", {},
                        "RSA PKCS#1 v1.5 SHA-256 signature does not verify over the exact report bytes");
  }

  // Steps 4-6: the report's JSON, fields, quote body and timestamp.
  ReportFields fields = read_report_fields(report);

  // Step 7: the report's own time inside the certificate's validity.
  if (fields.timestamp < key.not_before || fields.timestamp > key.not_after) {
    throw EvidenceError("ReportOutsideCertificateValidity",
                        {decimal(fields.timestamp), decimal(key.not_before), decimal(key.not_after)},
                        "report timestamp is outside the signing certificate's validity");
  }

  QuoteBody quote = decode_quote_body(fields.quote_body);
  VerifiedIdentity identity;
  identity.kind = EvidenceKind::kIas;
  identity.mrenclave = std::move(quote.mrenclave);
  identity.mrsigner = std::move(quote.mrsigner);
  identity.isv_prod_id = quote.isv_prod_id;
  identity.isv_svn = quote.isv_svn;
  identity.debug = quote.debug;
  identity.report_data = std::move(quote.report_data);
  identity.status = std::move(fields.status);
  identity.timestamp = fields.timestamp;
  identity.advisory_ids = std::move(fields.advisory_ids);
  return identity;
}

void check_policy(const VerifiedIdentity& identity, const MeasurementPolicy& policy, uint64_t now) {
  if (policy.max_age_seconds != 0) {
    // Unsigned on chain: a report from the future is not "too old".
    if (now > identity.timestamp && now - identity.timestamp > policy.max_age_seconds) {
      throw EvidenceError("ReportTooOld", {decimal(identity.timestamp), decimal(policy.max_age_seconds), decimal(now)},
                          "report is older than the policy's maximum age");
    }
  }
  // Byte for byte (the contract compares keccak256 of the raw bytes).
  const bool status_allowed = std::any_of(policy.allowed_statuses.begin(), policy.allowed_statuses.end(),
                                          [&](const std::string& s) { return s == identity.status; });
  if (!status_allowed) {
    throw EvidenceError("QuoteStatusNotAllowed", {identity.status}, "isvEnclaveQuoteStatus is not allowed by the policy");
  }
  check_enclave_policy(identity, policy);
}

void check_enclave_policy(const VerifiedIdentity& identity, const MeasurementPolicy& policy) {
  if (identity.debug && !policy.allow_debug) {
    throw EvidenceError("DebugEnclaveNotAllowed", {hex32(identity.mrenclave)},
                        "enclave " + hex32(identity.mrenclave) + " runs in DEBUG mode, which the policy refuses");
  }
  if (policy.allowed_mrenclaves) {
    const bool allowed = std::any_of(policy.allowed_mrenclaves->begin(), policy.allowed_mrenclaves->end(),
                                     [&](const Bytes& m) { return equal_bytes(m, identity.mrenclave); });
    if (!allowed) {
      throw EvidenceError("MrenclaveNotAllowed", {hex32(identity.mrenclave)},
                          "MRENCLAVE " + hex32(identity.mrenclave) + " is not in the allowlist");
    }
  }
  if (policy.signer) {
    const MeasurementPolicy::Signer& signer = *policy.signer;
    if (!equal_bytes(signer.mrsigner, identity.mrsigner)) {
      throw EvidenceError("MrsignerMismatch", {hex32(signer.mrsigner), hex32(identity.mrsigner)},
                          "MRSIGNER " + hex32(identity.mrsigner) + " is not the expected " + hex32(signer.mrsigner));
    }
    if (identity.isv_prod_id != signer.isv_prod_id) {
      throw EvidenceError("IsvProdIdMismatch", {decimal(signer.isv_prod_id), decimal(identity.isv_prod_id)},
                          "ISVPRODID " + decimal(identity.isv_prod_id) + " is not the expected " + decimal(signer.isv_prod_id));
    }
    if (identity.isv_svn < signer.min_isv_svn) {
      throw EvidenceError("IsvSvnTooLow", {decimal(signer.min_isv_svn), decimal(identity.isv_svn)},
                          "ISVSVN " + decimal(identity.isv_svn) + " is below the minimum " + decimal(signer.min_isv_svn));
    }
  }
}

}  // namespace anonify::attestation
