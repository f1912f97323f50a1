#include "anonify/mls/tls_codec.h"

#include <algorithm>
#include <array>

#include "anonify/mls/mls_error.h"

namespace anonify::mls {

namespace {

// `v`'s low N bytes, most significant first.
template <size_t N>
std::array<uint8_t, N> big_endian(uint64_t v) {
  std::array<uint8_t, N> out{};
  for (size_t i = 0; i < N; ++i) out[i] = static_cast<uint8_t>(v >> (8 * (N - 1 - i)));
  return out;
}

// RFC 9420 §2.1.2: the shortest of 1, 2 or 4 bytes, the top two bits giving the length. Returns the size.
size_t encode_varint(uint64_t v, std::array<uint8_t, 4>& out) {
  if (v < (1U << 6)) {
    out[0] = static_cast<uint8_t>(v);
    return 1;
  }
  if (v < (1U << 14)) {
    const std::array<uint8_t, 2> two = big_endian<2>(0x4000 | v);
    std::copy(two.begin(), two.end(), out.begin());
    return 2;
  }
  if (v <= kMaxVarint) {
    out = big_endian<4>(0x80000000U | v);
    return 4;
  }
  fail(Reason::kInternal, "varint value exceeds 30 bits");
}

}  // namespace

void TlsWriter::u8(uint8_t v) { buffer_.push_back(v); }

void TlsWriter::u16(uint16_t v) { raw(big_endian<2>(v).data(), 2); }

void TlsWriter::u32(uint32_t v) { raw(big_endian<4>(v).data(), 4); }

void TlsWriter::u64(uint64_t v) { raw(big_endian<8>(v).data(), 8); }

void TlsWriter::varint(uint64_t v) {
  std::array<uint8_t, 4> encoded{};
  raw(encoded.data(), encode_varint(v, encoded));
}

void TlsWriter::insert_varint(size_t offset, uint64_t value) {
  std::array<uint8_t, 4> encoded{};
  const size_t size = encode_varint(value, encoded);
  buffer_.insert(buffer_.begin() + static_cast<std::ptrdiff_t>(offset), encoded.begin(), encoded.begin() + static_cast<std::ptrdiff_t>(size));
}

void TlsWriter::raw(const uint8_t* data, size_t size) {
  if (size > 0) {
    buffer_.insert(buffer_.end(), data, data + size);
  }
}

void TlsWriter::opaque(const Bytes& data) {
  varint(data.size());
  raw(data);
}

void TlsWriter::opaque(const std::string& text) {
  varint(text.size());
  raw(reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

const uint8_t* TlsReader::take(size_t size) {
  if (size > size_ - pos_) {
    fail(Reason::kMalformed, "truncated input at offset " + std::to_string(pos_));
  }
  const uint8_t* start = data_ + pos_;
  pos_ += size;
  return start;
}

uint8_t TlsReader::u8() { return *take(1); }

uint16_t TlsReader::u16() {
  const uint8_t* p = take(2);
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}

uint32_t TlsReader::u32() {
  const uint8_t* p = take(4);
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

uint64_t TlsReader::u64() {
  const uint8_t* p = take(8);
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) {
    v = (v << 8) | p[i];
  }
  return v;
}

uint64_t TlsReader::varint() {
  const size_t start = pos_;
  const uint8_t first = u8();
  const uint8_t prefix = first >> 6;
  uint64_t v = first & 0x3F;
  size_t length = 1;
  if (prefix == 3) {
    fail(Reason::kMalformed, "varint with reserved prefix at offset " + std::to_string(start));
  }
  if (prefix == 1) {
    length = 2;
  } else if (prefix == 2) {
    length = 4;
  }
  for (size_t i = 1; i < length; ++i) {
    v = (v << 8) | u8();
  }
  const bool minimal = (length == 1) || (length == 2 && v >= (1U << 6)) || (length == 4 && v >= (1U << 14));
  if (!minimal) {
    fail(Reason::kMalformed, "non-minimal varint at offset " + std::to_string(start));
  }
  return v;
}

Bytes TlsReader::raw(size_t size) {
  const uint8_t* p = take(size);
  return Bytes(p, p + size);
}

Bytes TlsReader::opaque() {
  const uint64_t size = varint();
  if (size > remaining()) {
    fail(Reason::kMalformed, "opaque length " + std::to_string(size) + " exceeds input at offset " +
                                 std::to_string(pos_));
  }
  return raw(static_cast<size_t>(size));
}

TlsReader TlsReader::vector() {
  const uint64_t size = varint();
  if (size > remaining()) {
    fail(Reason::kMalformed, "vector length " + std::to_string(size) + " exceeds input at offset " +
                                 std::to_string(pos_));
  }
  const uint8_t* start = take(static_cast<size_t>(size));
  return TlsReader(start, static_cast<size_t>(size));
}

bool TlsReader::present() {
  const uint8_t flag = u8();
  if (flag > 1) {
    fail(Reason::kMalformed, "optional presence byte " + std::to_string(flag));
  }
  return flag == 1;
}

void TlsReader::finish(const char* what) const {
  if (!empty()) {
    fail(Reason::kMalformed, std::string(what) + ": " + std::to_string(remaining()) + " trailing bytes");
  }
}

}  // namespace anonify::mls
