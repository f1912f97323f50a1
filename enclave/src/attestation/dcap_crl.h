// X.509 CRLs from the Intel PCS (src/attestation/dcap/crl.ts): the root CA CRL (revokes PCK CA and
// TCB Signing certificates) and the PCK CA CRL (revokes PCK certificates).
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "anonify/bytes.h"
#include "attestation/dcap_x509.h"

namespace anonify::attestation::dcap {

struct Crl {
  Bytes tbs;  ///< whole TBSCertList
  Bytes issuer;
  uint64_t this_update = 0;
  uint64_t next_update = 0;
  std::set<std::string> revoked;  ///< serials, lowercase hex without sign byte
  Bytes signature;                ///< r || s; empty when not DER r, s (then it fails as a bad signature)
};

/// Parses a DER CRL; anything but v2 with nextUpdate and ecdsa-with-SHA256 is CrlMalformed(offset).
Crl parse_crl(ByteView der);

/// True when `issuer` signed the CRL.
bool crl_signed_by(const Crl& crl, const Certificate& issuer);

}  // namespace anonify::attestation::dcap
