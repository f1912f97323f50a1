// The strict DER reader of the DCAP rules (src/attestation/dcap/der.ts): single-byte tags,
// definite lengths in short or minimal long form (up to 3 length bytes), every element inside its
// parent. A failure calls the owner's `fail(offset)`, which throws that caller's typed error
// (CertificateMalformed, CrlMalformed, SgxExtensionMalformed) at the element's offset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "anonify/bytes.h"
#include "attestation/der.h"

namespace anonify::attestation::dcap {

constexpr uint8_t kTagEnumerated = 0x0a;
constexpr uint8_t kTagContext3 = 0xa3;
/// AlgorithmIdentifier ecdsa-with-SHA256 (parameters absent, RFC 5758): the only signature
/// algorithm of PCK, TCB Signing and CA certificates and of the PCS CRLs.
inline constexpr uint8_t kEcdsaWithSha256[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};

class DerReader {
 public:
  /// Must throw; called with the offset the error names.
  using Fail = std::function<void(size_t offset)>;

  DerReader(ByteView der, Fail fail) : der_(der), fail_(std::move(fail)) {}

  ByteView der() const noexcept { return der_; }
  [[noreturn]] void fail(size_t offset) const;

  /// The element at `offset`, which must end at or before `limit`.
  der::Tlv tlv(size_t offset, size_t limit) const;
  /// The element at `offset` with tag `tag`.
  der::Tlv expect(size_t offset, size_t limit, uint8_t tag) const;
  /// The children of a constructed element, all read before any is judged (as der.ts does).
  std::vector<der::Tlv> children(const der::Tlv& parent) const;
  ByteView content(const der::Tlv& t) const { return der_.subview(t.start, t.end - t.start); }
  ByteView whole(const der::Tlv& t) const { return der_.subview(t.offset, t.end - t.offset); }
  /// A non-negative, minimally encoded INTEGER (or ENUMERATED) of at most `max_bytes` bytes of
  /// magnitude: the magnitude's bytes (without the sign byte; "00" for zero).
  ByteView unsigned_magnitude(const der::Tlv& t, size_t max_bytes) const;
  /// The same as a number (`max_bytes` <= 8).
  uint64_t unsigned_value(const der::Tlv& t, size_t max_bytes) const;

 private:
  ByteView der_;
  Fail fail_;
};

}  // namespace anonify::attestation::dcap
