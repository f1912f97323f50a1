#include "attestation/dcap_der.h"

#include <cstdlib>

namespace anonify::attestation::dcap {

namespace {

constexpr uint8_t kLongForm = 0x80;
constexpr size_t kMaxLengthBytes = 3;
constexpr uint8_t kHighTagNumberForm = 0x1f;

}  // namespace

void DerReader::fail(size_t offset) const {
  fail_(offset);
  std::abort();  // a Fail that returns is a programming error
}

der::Tlv DerReader::tlv(size_t offset, size_t limit) const {
  if (limit > der_.size() || offset > limit || limit - offset < 2) fail(offset);
  const uint8_t tag = der_[offset];
  if ((tag & kHighTagNumberForm) == kHighTagNumberForm) fail(offset);
  const uint8_t first = der_[offset + 1];
  size_t start = offset + 2;
  size_t length = 0;
  if (first < kLongForm) {
    length = first;
  } else {
    const size_t count = first & static_cast<uint8_t>(~kLongForm);
    if (count == 0 || count > kMaxLengthBytes || count > limit - start) fail(offset);
    if (der_[start] == 0) fail(offset);  // leading zero: not minimal
    for (size_t i = 0; i < count; ++i) length = (length << 8) | der_[start + i];
    if (length < kLongForm) fail(offset);
    start += count;
  }
  if (length > limit - start) fail(offset);
  return der::Tlv{tag, offset, start, start + length};
}

der::Tlv DerReader::expect(size_t offset, size_t limit, uint8_t tag) const {
  const der::Tlv t = tlv(offset, limit);
  if (t.tag != tag) fail(offset);
  return t;
}

std::vector<der::Tlv> DerReader::children(const der::Tlv& parent) const {
  std::vector<der::Tlv> out;
  for (size_t p = parent.start; p < parent.end;) {
    out.push_back(tlv(p, parent.end));
    p = out.back().end;
  }
  return out;
}

ByteView DerReader::unsigned_magnitude(const der::Tlv& t, size_t max_bytes) const {
  if (t.tag != der::kTagInteger && t.tag != kTagEnumerated) fail(t.offset);
  const ByteView c = content(t);
  if (c.size() == 0 || (c[0] & 0x80) != 0) fail(t.offset);                    // empty or negative
  if (c.size() > 1 && c[0] == 0 && (c[1] & 0x80) == 0) fail(t.offset);        // not minimal
  const ByteView magnitude = c[0] == 0 && c.size() > 1 ? c.subview(1, c.size() - 1) : c;
  // der.ts counts the magnitude of zero ("00") as zero bytes: it always fits.
  const size_t counted = c[0] == 0 ? c.size() - 1 : c.size();
  if (counted > max_bytes) fail(t.offset);
  return magnitude;
}

uint64_t DerReader::unsigned_value(const der::Tlv& t, size_t max_bytes) const {
  const ByteView m = unsigned_magnitude(t, max_bytes);
  uint64_t v = 0;
  for (uint8_t b : m) v = (v << 8) | b;
  return v;
}

}  // namespace anonify::attestation::dcap
