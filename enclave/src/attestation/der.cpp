#include "attestation/der.h"

#include <string>

#include "anonify/attestation/evidence.h"

namespace anonify::attestation::der {

namespace {

/// Long-form lengths up to two bytes (65535) cover every certificate IAS uses.
constexpr size_t kMaxLengthBytes = 2;
constexpr uint8_t kLongForm = 0x80;
/// Tag numbers >= 31 use a multi-byte form no certificate field needs.
constexpr uint8_t kHighTagNumberForm = 0x1f;

}  // namespace

void certificate_malformed(size_t offset) {
  throw EvidenceError("CertificateMalformed", {std::to_string(offset)},
                      "signing certificate is not valid DER X.509 (at byte " + std::to_string(offset) + ")");
}

std::optional<Tlv> try_read_tlv(ByteView der, size_t offset, size_t limit) {
  if (limit > der.size() || offset > limit || limit - offset < 2) return std::nullopt;
  const uint8_t tag = der[offset];
  if ((tag & kHighTagNumberForm) == kHighTagNumberForm) return std::nullopt;
  const uint8_t first = der[offset + 1];
  size_t start = offset + 2;
  size_t length = 0;
  if (first < kLongForm) {
    length = first;
  } else {
    const size_t count = first & static_cast<uint8_t>(~kLongForm);
    if (count == 0 || count > kMaxLengthBytes || count > limit - start) return std::nullopt;
    for (size_t i = 0; i < count; ++i) length = (length << 8) | der[start + i];
    // DER: long form only when needed, and without leading zero bytes.
    if (length < kLongForm || (count == 2 && length < 0x100)) return std::nullopt;
    start += count;
  }
  if (length > limit - start) return std::nullopt;
  return Tlv{tag, offset, start, start + length};
}

Tlv read_tlv(ByteView der, size_t offset, size_t limit) {
  const std::optional<Tlv> tlv = try_read_tlv(der, offset, limit);
  if (!tlv) certificate_malformed(offset);
  return *tlv;
}

Tlv expect_tlv(ByteView der, size_t offset, size_t limit, uint8_t tag) {
  Tlv tlv = read_tlv(der, offset, limit);
  if (tlv.tag != tag) certificate_malformed(offset);
  return tlv;
}

ByteView whole(ByteView der, const Tlv& tlv) { return der.subview(tlv.offset, tlv.end - tlv.offset); }

}  // namespace anonify::attestation::der
