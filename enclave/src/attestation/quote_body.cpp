#include "attestation/quote_body.h"

#include <string>

#include "anonify/attestation/evidence.h"

namespace anonify::attestation {

namespace {

uint64_t read_le(ByteView bytes, size_t offset, size_t width) {
  uint64_t v = 0;
  for (size_t i = 0; i < width; ++i) v |= static_cast<uint64_t>(bytes[offset + i]) << (8 * i);
  return v;
}

}  // namespace

QuoteBody decode_quote_body(ByteView body) {
  if (body.size() != kIasQuoteBodySize) {
    throw EvidenceError("QuoteBodyLengthInvalid", {std::to_string(body.size())},
                        "isvEnclaveQuoteBody decodes to " + std::to_string(body.size()) + " bytes, expected 432");
  }
  QuoteBody q;
  q.flags = read_le(body, kAttributesFlagsOffset, 8);
  q.debug = (q.flags & kSgxFlagsDebug) != 0;
  q.mrenclave = body.subview(kMrenclaveOffset, kMeasurementLength).to_bytes();
  q.mrsigner = body.subview(kMrsignerOffset, kMeasurementLength).to_bytes();
  q.isv_prod_id = static_cast<uint16_t>(read_le(body, kIsvProdIdOffset, 2));
  q.isv_svn = static_cast<uint16_t>(read_le(body, kIsvSvnOffset, 2));
  q.report_data = body.subview(kReportDataOffset, kReportDataLength).to_bytes();
  return q;
}

}  // namespace anonify::attestation
