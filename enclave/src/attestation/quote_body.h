// The 432-byte SGX quote body IAS returns base64-encoded in isvEnclaveQuoteBody (sgx_quote_t
// without the signature: the 48-byte quote header, then sgx_report_body_t). Offsets as in
// DESIGN.md section 4 and src/attestation/quote.ts.
#pragma once

#include <cstdint>

#include "anonify/bytes.h"

namespace anonify::attestation {

constexpr size_t kIasQuoteBodySize = 432;
constexpr size_t kAttributesFlagsOffset = 96;   ///< attributes.flags, u64 LE
constexpr size_t kMrenclaveOffset = 112;
constexpr size_t kMrsignerOffset = 176;
constexpr size_t kMeasurementLength = 32;
constexpr size_t kIsvProdIdOffset = 304;        ///< u16 LE
constexpr size_t kIsvSvnOffset = 306;           ///< u16 LE
constexpr size_t kReportDataOffset = 368;
constexpr size_t kReportDataLength = 64;
constexpr uint64_t kSgxFlagsDebug = 0x02;

/// The fields of a quote body the rules use (copies).
struct QuoteBody {
  uint64_t flags = 0;
  bool debug = false;
  Bytes mrenclave;    ///< 32 bytes
  Bytes mrsigner;     ///< 32 bytes
  uint16_t isv_prod_id = 0;
  uint16_t isv_svn = 0;
  Bytes report_data;  ///< 64 bytes
};

/// Decodes a body of exactly 432 bytes; throws EvidenceError QuoteBodyLengthInvalid(length)
/// otherwise (the report reader has already checked the length).
QuoteBody decode_quote_body(ByteView body);

}  // namespace anonify::attestation
