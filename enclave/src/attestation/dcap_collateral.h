// DCAP collateral as the Intel PCS serves it (src/attestation/dcap/collateral.ts): TCB Info v3
// (`{"tcbInfo":{…},"signature":"<r||s hex>"}`) and QE Identity v2 (`{"enclaveIdentity":{…},…}`),
// each signed over the exact bytes of the inner object by the TCB Signing key. The outer form is
// read strictly (the signed span is found without guessing), the signature checked before any
// field is believed, then every field typed.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "anonify/bytes.h"
#include "attestation/dcap_error.h"
#include "attestation/dcap_x509.h"

namespace anonify::attestation::dcap {

/// TCB statuses of TCB Info v3 and QE Identity v2.
extern const std::array<const char*, 7> kTcbStatuses;
bool is_tcb_status(const std::string& s);

struct TcbLevel {
  std::array<uint8_t, kCpuSvnComponents> components{};
  uint16_t pce_svn = 0;
  std::string status;
  std::vector<std::string> advisory_ids;
};

struct TcbInfo {
  uint64_t issue_date = 0;
  uint64_t next_update = 0;
  Bytes fmspc;   ///< 6 bytes
  Bytes pce_id;  ///< 2 bytes
  uint32_t tcb_evaluation_data_number = 0;
  std::vector<TcbLevel> levels;
};

struct QeTcbLevel {
  uint16_t isv_svn = 0;
  std::string status;
  std::vector<std::string> advisory_ids;
};

struct QeIdentity {
  uint64_t issue_date = 0;
  uint64_t next_update = 0;
  uint32_t tcb_evaluation_data_number = 0;
  uint32_t miscselect = 0;
  uint32_t miscselect_mask = 0;
  Bytes attributes;       ///< 16 bytes
  Bytes attributes_mask;  ///< 16 bytes
  Bytes mrsigner;         ///< 32 bytes
  uint16_t isv_prod_id = 0;
  std::vector<QeTcbLevel> levels;
};

struct SignedCollateral {
  Bytes body;       ///< the exact bytes of the inner object: what the TCB Signing key signed
  Bytes signature;  ///< r || s
};

/// Splits `{"<field>":{…},"signature":"<128 hex>"}` (trailing whitespace allowed) into the signed
/// object's bytes and the signature; anything else is CollateralMalformed(kind, offset).
SignedCollateral split_signed_collateral(CollateralKind kind, ByteView bytes, const std::string& field);

/// CollateralSignatureInvalid(kind) unless the TCB Signing key signed the object.
void check_collateral_signature(CollateralKind kind, const SignedCollateral& signed_collateral, const Certificate& signer);

/// TCB Info v3 for SGX from the signed object's bytes: CollateralMalformed(kind, 0) when it is not
/// JSON, CollateralFieldInvalid(kind, path) for the first field that is missing or mistyped.
TcbInfo parse_tcb_info(ByteView body);

/// QE Identity v2 for the quoting enclave, likewise.
QeIdentity parse_qe_identity(ByteView body);

/// issueDate <= now <= nextUpdate + grace: CollateralNotYetValid, CollateralExpired.
void check_freshness(CollateralKind kind, uint64_t issue_date, uint64_t next_update, uint64_t now, uint64_t grace);

}  // namespace anonify::attestation::dcap
