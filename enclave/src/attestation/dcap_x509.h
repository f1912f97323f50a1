// X.509 for DCAP (src/attestation/dcap/x509.ts): the PCK chain a quote carries (PCK certificate,
// PCK Platform/Processor CA, Intel SGX Root CA) and the TCB Signing chain of the collateral, each
// under the pinned root: ecdsa-with-SHA256 over P-256 keys, issuer = next subject, validity at the
// verification time, basicConstraints and keyUsage by place in the chain (steps 2 and 3).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "anonify/bytes.h"
#include "attestation/dcap_der.h"
#include "attestation/dcap_error.h"
#include "attestation/sgx_extension.h"

namespace anonify::attestation::dcap {

struct Certificate {
  Bytes der;
  CertificateRole role = CertificateRole::kRoot;
  Bytes tbs;           ///< whole TBSCertificate: what the issuer signed
  std::string serial;  ///< lowercase hex without the sign byte
  Bytes issuer;
  Bytes subject;
  uint64_t not_before = 0;
  uint64_t not_after = 0;
  Bytes public_key;  ///< x || y
  Bytes signature;   ///< r || s; empty when the signatureValue is not DER r, s
  bool is_ca = false;
  std::optional<uint16_t> key_usage;
  /// The SGX extension's OCTET STRING content and its offset in `der`, when present.
  std::optional<Bytes> sgx_extension;
  size_t sgx_extension_offset = 0;
};

/// Structure, then algorithm and key: CertificateMalformed(role, offset),
/// CertificateAlgorithmUnsupported(role), CertificateKeyUnsupported(role).
Certificate parse_certificate(ByteView der, CertificateRole role);

/// A pinned root: parsed, self-issued, self-signed, a CA (else the error of that check, role Root).
struct PinnedRoot {
  Certificate certificate;
};
PinnedRoot pin_root(ByteView der);

struct PckChain {
  Certificate pck;
  Certificate pck_ca;
  Certificate root;
  SgxExtension sgx;
};

/// PCK chain (DER, PCK first) under `root` at `now`, then the PCK certificate's SGX extension.
PckChain check_pck_chain(const std::vector<Bytes>& chain, const PinnedRoot& root, uint64_t now);

/// TCB Signing chain (TCB Signing first, then the root) under `root` at `now`.
Certificate check_tcb_signing_chain(const std::vector<Bytes>& chain, const PinnedRoot& root, uint64_t now);

/// UTCTime or GeneralizedTime (UTC, seconds) at `t` as unix seconds; `r.fail(t.offset)` otherwise.
uint64_t read_der_time(const DerReader& r, const der::Tlv& t);

/// A serial number INTEGER (at most 20 octets plus a sign byte) as lowercase hex without the sign
/// byte; `r.fail(t.offset)` otherwise.
std::string serial_hex(const DerReader& r, const der::Tlv& t);

}  // namespace anonify::attestation::dcap
