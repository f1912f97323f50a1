// Minimal DER reader for the X.509 fields the IAS rules check, mirroring src/attestation/der.ts and
// contracts/lib/Asn1Der.sol: single-byte tags, definite lengths in short or long (1..2 byte) form,
// minimal encoding. Every failure throws EvidenceError CertificateMalformed(offset) with the offset
// of the element's tag byte (where an element was expected).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "anonify/bytes.h"

namespace anonify::attestation::der {

constexpr uint8_t kTagBoolean = 0x01;
constexpr uint8_t kTagInteger = 0x02;
constexpr uint8_t kTagBitString = 0x03;
constexpr uint8_t kTagOctetString = 0x04;
constexpr uint8_t kTagObjectIdentifier = 0x06;
constexpr uint8_t kTagUtcTime = 0x17;
constexpr uint8_t kTagGeneralizedTime = 0x18;
constexpr uint8_t kTagSequence = 0x30;
constexpr uint8_t kTagContext0 = 0xa0;

/// One element: offsets into the DER it was read from.
struct Tlv {
  uint8_t tag = 0;
  size_t offset = 0;  ///< the tag byte
  size_t start = 0;   ///< first content byte
  size_t end = 0;     ///< just past the content
};

/// Throws EvidenceError CertificateMalformed(offset).
[[noreturn]] void certificate_malformed(size_t offset);

/// Reads the element at `offset`, which must end at or before `limit` (<= der.size()).
Tlv read_tlv(ByteView der, size_t offset, size_t limit);

/// read_tlv without the throw, for callers that report a failure at an enclosing element's offset.
std::optional<Tlv> try_read_tlv(ByteView der, size_t offset, size_t limit);

/// Reads the element at `offset` and requires its tag.
Tlv expect_tlv(ByteView der, size_t offset, size_t limit, uint8_t tag);

/// The whole element, header included (a view into `der`).
ByteView whole(ByteView der, const Tlv& tlv);

}  // namespace anonify::attestation::der
