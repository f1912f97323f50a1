// Intel SGX ECDSA quotes, versions 3 and 4 (src/attestation/dcap/quote.ts): the 48-byte header,
// the 384-byte ISV enclave report, the signature data (ISV signature, attestation key, QE report,
// QE report signature, QE authentication data, certification data of type 5: the PCK chain PEM).
// Version 4 wraps the QE report and what follows in certification data of type 6. Every length is
// checked against what remains; anything else is refused with its own error (step 1).
#pragma once

#include <cstddef>
#include <cstdint>

#include "anonify/bytes.h"

namespace anonify::attestation::dcap {

constexpr size_t kQuoteHeaderLength = 48;
constexpr size_t kEnclaveReportLength = 384;
constexpr size_t kQuoteSignedLength = kQuoteHeaderLength + kEnclaveReportLength;
constexpr size_t kReportDataLength = 64;

/// A decoded sgx_report_body_t (copies).
struct EnclaveReport {
  Bytes raw;  ///< the 384 bytes as signed
  uint32_t miscselect = 0;
  Bytes attributes;  ///< 16 bytes: flags then xfrm
  bool debug = false;
  Bytes mrenclave;
  Bytes mrsigner;
  uint16_t isv_prod_id = 0;
  uint16_t isv_svn = 0;
  Bytes report_data;  ///< 64 bytes
};

struct Quote {
  uint16_t version = 0;
  Bytes signed_bytes;  ///< header || ISV report: what `isv_signature` signs
  EnclaveReport report;
  Bytes isv_signature;    ///< r || s
  Bytes attestation_key;  ///< x || y
  EnclaveReport qe_report;
  Bytes qe_report_signature;
  Bytes qe_auth_data;
  Bytes pck_chain_pem;  ///< certification data type 5 as carried
};

/// Decodes a raw quote. Header checks first, in this order: TEE type, version, attestation key
/// type, QE vendor id; then every length (QuoteTruncated, QuoteTrailingBytes,
/// CertificationDataTypeUnsupported).
Quote decode_quote(ByteView quote);

}  // namespace anonify::attestation::dcap
