// The TLS presentation language as RFC 9420 uses it: big-endian integers, opaque<V> and vectors
// with the QUIC-style variable-length length prefix (section 2.1.2), optional<T> as a presence
// byte. This is the one codec every MLS structure is written with.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "anonify/bytes.h"

namespace anonify::mls {

// Largest length the MLS varint can carry (30 bits).
constexpr uint64_t kMaxVarint = (1ULL << 30) - 1;

class TlsWriter {
 public:
  TlsWriter() = default;
  /// Reserves `capacity` bytes up front: an encoding that stays within it is never reallocated (and
  /// leaves no freed partial copies behind, which matters for secret encodings).
  explicit TlsWriter(size_t capacity) { buffer_.reserve(capacity); }

  void u8(uint8_t v);
  void u16(uint16_t v);
  void u32(uint32_t v);
  void u64(uint64_t v);
  void varint(uint64_t v);
  void raw(const uint8_t* data, size_t size);
  void raw(const Bytes& data) { raw(data.data(), data.size()); }
  // opaque<V>: varint length, then the bytes.
  void opaque(const Bytes& data);
  void opaque(const std::string& text);
  // A vector<V> whose elements `body` writes; the length prefix counts bytes. The body is written in
  // place and the prefix put before it once its length is known: no second buffer (one allocation
  // and copy fewer per vector, and no freed copy of what may be secret state).
  template <typename Body>
  void vector(Body&& body) {
    const size_t start = buffer_.size();
    body(*this);
    insert_varint(start, buffer_.size() - start);
  }
  // optional<T>: 0 when absent, 1 then the value when present.
  template <typename T, typename Encode>
  void optional(const std::optional<T>& value, Encode&& encode) {
    if (value) {
      u8(1);
      encode(*this, *value);
    } else {
      u8(0);
    }
  }

  const Bytes& bytes() const { return buffer_; }
  Bytes take() { return std::move(buffer_); }

 private:
  /// Inserts the varint encoding of `value` at `offset` of the buffer.
  void insert_varint(size_t offset, uint64_t value);

  Bytes buffer_;
};

class TlsReader {
 public:
  explicit TlsReader(const Bytes& data) : data_(data.data()), size_(data.size()) {}
  TlsReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  uint8_t u8();
  uint16_t u16();
  uint32_t u32();
  uint64_t u64();
  // Rejects the reserved 0b11 prefix and non-minimal encodings, as RFC 9420 requires.
  uint64_t varint();
  Bytes raw(size_t size);
  Bytes opaque();
  // Reads a vector<V> length prefix and returns a reader limited to its body.
  TlsReader vector();
  // optional<T>: returns whether a value follows (throws on a presence byte other than 0/1).
  bool present();

  bool empty() const { return pos_ == size_; }
  size_t remaining() const { return size_ - pos_; }
  size_t position() const { return pos_; }
  // Throws kMalformed unless every byte was consumed.
  void finish(const char* what) const;

 private:
  const uint8_t* take(size_t size);

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// Reads every element of a vector<V> with `decode(reader)`.
template <typename T, typename Decode>
std::vector<T> read_vector(TlsReader& reader, Decode&& decode) {
  TlsReader body = reader.vector();
  std::vector<T> out;
  while (!body.empty()) {
    out.push_back(decode(body));
  }
  return out;
}

// Encodes `value` with its member `encode(TlsWriter&)`.
template <typename T>
Bytes tls_encode(const T& value) {
  TlsWriter writer;
  value.encode(writer);
  return writer.take();
}

// Decodes a whole buffer with T::decode, refusing trailing bytes.
template <typename T>
T tls_decode(const Bytes& data, const char* what) {
  TlsReader reader(data);
  T value = T::decode(reader);
  reader.finish(what);
  return value;
}

}  // namespace anonify::mls
