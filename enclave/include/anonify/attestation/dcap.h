// DCAP evidence as the enclave verifies it: an Intel SGX ECDSA quote (v3 or v4) with the PCS
// collateral, checked under a pinned Intel SGX Root CA. The rules, their order, the error codes and
// arguments are those of the TypeScript verifier (src/attestation/dcap/verifier.ts, its header
// lists the 12 steps) and of the on-chain DCAP verifier (contracts/attestation/dcap/), held equal
// by test/attestation/dcapDifferential.test.ts. Refusals are EvidenceError (evidence.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "anonify/attestation/evidence.h"
#include "anonify/bytes.h"

namespace anonify::attestation {

/// Collateral as the PCS serves it (the TypeScript `DcapCollateral`).
struct DcapCollateral {
  Bytes tcb_info;               ///< `{"tcbInfo":…,"signature":…}` body, exact bytes
  Bytes qe_identity;            ///< `{"enclaveIdentity":…,"signature":…}` body, exact bytes
  Bytes tcb_signing_chain_pem;  ///< TCB Signing certificate, then the root (PEM)
  std::vector<Bytes> crls;      ///< DER: the root CA CRL and/or the PCK CA CRL, any order
};

struct DcapEvidence {
  Bytes quote;
  DcapCollateral collateral;
};

/// The DCAP part of the policy; the enclave part is MeasurementPolicy (check_enclave_policy).
struct DcapPolicy {
  /// Platform and QE TCB statuses accepted; "Revoked" and unknown names are a configuration error.
  std::vector<std::string> allowed_tcb_statuses{"UpToDate"};
  uint64_t collateral_grace = 0;  ///< seconds a collateral item is accepted after its nextUpdate
  uint32_t min_tcb_evaluation_data_number = 0;
};

/// Throws Error(InvalidArgument) unless every allowed status is a TCB status other than "Revoked".
void validate_dcap_policy(const DcapPolicy& policy);

/// What the quote and its collateral establish (the TypeScript `VerifiedQuote`).
struct VerifiedQuote {
  /// kind kDcap; status = the platform's TCB status; timestamp = `now`; advisory ids = the
  /// platform level's, then the QE level's not already listed.
  VerifiedIdentity identity;
  uint16_t quote_version = 0;
  std::string qe_tcb_status;
  Bytes fmspc;   ///< 6 bytes
  Bytes pce_id;  ///< 2 bytes
  bool revocation_checked = false;  ///< both a root CA CRL and a PCK CA CRL were checked
  std::string pck_serial;           ///< lowercase hex without the sign byte
  Bytes pck_public_key;             ///< x || y
  uint32_t tcb_evaluation_data_number = 0;  ///< min of TCB Info's and QE Identity's
  uint32_t tcb_info_evaluation_data_number = 0;     ///< TCB Info's
  uint32_t qe_identity_evaluation_data_number = 0;  ///< QE Identity's
  uint64_t collateral_next_update = 0;      ///< earliest nextUpdate of the collateral used
};

/// Steps 1-10 (what Intel's signatures establish) under the root `root_ca_der` at `now` (unix
/// seconds); the policy's grace and minimum tcbEvaluationDataNumber apply. Throws EvidenceError.
VerifiedQuote verify_dcap_evidence(const DcapEvidence& evidence, ByteView root_ca_der, const DcapPolicy& policy, uint64_t now);

/// Step 11: the QE's TCB status, then the platform's, allowed (QeTcbStatusNotAllowed, TcbStatusNotAllowed).
void check_tcb_policy(const VerifiedQuote& quote, const DcapPolicy& policy);

/// Steps 1-11; step 12 is check_enclave_policy(quote.identity, …).
VerifiedQuote verify_dcap(const DcapEvidence& evidence, ByteView root_ca_der, const DcapPolicy& policy, uint64_t now);

}  // namespace anonify::attestation
