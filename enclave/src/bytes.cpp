#include "anonify/bytes.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <array>

#include "anonify/error.h"

namespace anonify {

ByteView ByteView::subview(size_t offset, size_t length) const {
  if (offset > size_ || length > size_ - offset) {
    throw Error(ErrorCode::kInvalidArgument, "byte range out of bounds");
  }
  return ByteView(data_ + offset, length);
}

SecretBytes& SecretBytes::operator=(const SecretBytes& other) {
  if (this != &other) {
    wipe();
    bytes_ = other.bytes_;
  }
  return *this;
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    wipe();
    bytes_ = std::move(other.bytes_);
    other.bytes_.clear();
  }
  return *this;
}

SecretBytes::~SecretBytes() { wipe(); }

void SecretBytes::resize(size_t size) {
  // A growing vector may reallocate and free the old storage unwiped; copy into fresh storage.
  Bytes fresh(size, 0);
  std::copy(bytes_.begin(), bytes_.begin() + static_cast<std::ptrdiff_t>(std::min(size, bytes_.size())),
            fresh.begin());
  wipe();
  bytes_ = std::move(fresh);
}

void SecretBytes::wipe() noexcept {
  if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
  bytes_.clear();
}

char* write_hex(ByteView bytes, char* out) noexcept {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (uint8_t b : bytes) {
    *out++ = kDigits[b >> 4];
    *out++ = kDigits[b & 0x0F];
  }
  return out;
}

std::string to_hex(ByteView bytes) {
  std::string out(bytes.size() * 2, '\0');
  write_hex(bytes, out.data());
  return out;
}

namespace {
// 0..15 for a hex digit, 0xFF for anything else: one lookup per character, no branches on the
// digit's range (hex decoding is on every request's hot path: entries, payloads, keys).
constexpr std::array<uint8_t, 256> kHexValue = [] {
  std::array<uint8_t, 256> table{};
  for (auto& v : table) v = 0xFF;
  for (int c = '0'; c <= '9'; ++c) table[c] = static_cast<uint8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) table[c] = static_cast<uint8_t>(c - 'a' + 10);
  for (int c = 'A'; c <= 'F'; ++c) table[c] = static_cast<uint8_t>(c - 'A' + 10);
  return table;
}();
}  // namespace

Bytes from_hex(std::string_view hex) {
  if (hex.size() >= 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) hex.remove_prefix(2);
  if (hex.size() % 2 != 0) throw Error(ErrorCode::kInvalidArgument, "hex string has odd length");
  Bytes out(hex.size() / 2);
  uint8_t invalid = 0;  // ORed over every digit: checked once at the end
  for (size_t i = 0; i < out.size(); ++i) {
    const uint8_t hi = kHexValue[static_cast<uint8_t>(hex[2 * i])];
    const uint8_t lo = kHexValue[static_cast<uint8_t>(hex[2 * i + 1])];
    invalid |= static_cast<uint8_t>(hi | lo);
    out[i] = static_cast<uint8_t>((hi << 4) | (lo & 0x0F));
  }
  if ((invalid & 0xF0) != 0) throw Error(ErrorCode::kInvalidArgument, "hex string has a non-hex character");
  return out;
}

bool constant_time_equal(ByteView a, ByteView b) noexcept {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool equal_bytes(ByteView a, ByteView b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

bool has_text_at(ByteView bytes, size_t at, std::string_view text) noexcept {
  if (at > bytes.size() || text.size() > bytes.size() - at) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (bytes[at + i] != static_cast<uint8_t>(text[i])) return false;
  }
  return true;
}

Bytes concat(std::initializer_list<ByteView> parts) {
  size_t total = 0;
  for (const auto& p : parts) total += p.size();
  Bytes out;
  out.reserve(total);
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

void append(Bytes& out, ByteView part) { out.insert(out.end(), part.begin(), part.end()); }

void append_u16_be(Bytes& out, uint16_t value) {
  out.push_back(static_cast<uint8_t>(value >> 8));
  out.push_back(static_cast<uint8_t>(value));
}

void append_u32_be(Bytes& out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(value >> shift));
}

void append_u64_be(Bytes& out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(value >> shift));
}

Bytes u64_be(uint64_t value, size_t length) {
  Bytes out(length, 0);
  for (size_t i = 0; i < length && i < 8; ++i) {
    out[length - 1 - i] = static_cast<uint8_t>(value >> (8 * i));
  }
  return out;
}

}  // namespace anonify
