#include "anonify/crypto/keccak.h"

#include <openssl/crypto.h>

namespace anonify::crypto {

namespace {

constexpr uint64_t kRoundConstants[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

// Rotation offsets r[x + 5y] and the pi step's lane order, from the Keccak reference.
constexpr unsigned kRho[24] = {1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 2, 14, 27, 41, 56, 8, 25, 43, 62, 18, 39, 61, 20, 44};
constexpr unsigned kPi[24] = {10, 7, 11, 17, 18, 3, 5, 16, 8, 21, 24, 4, 15, 23, 19, 13, 12, 2, 20, 14, 22, 9, 6, 1};

inline uint64_t rotl(uint64_t v, unsigned n) { return (v << n) | (v >> (64 - n)); }

void keccak_f1600(std::array<uint64_t, 25>& a) {
  for (uint64_t rc : kRoundConstants) {
    uint64_t c[5];
    for (int x = 0; x < 5; ++x) c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
    for (int x = 0; x < 5; ++x) {
      uint64_t d = c[(x + 4) % 5] ^ rotl(c[(x + 1) % 5], 1);
      for (int y = 0; y < 25; y += 5) a[y + x] ^= d;
    }
    uint64_t current = a[1];
    for (int i = 0; i < 24; ++i) {
      uint64_t next = a[kPi[i]];
      a[kPi[i]] = rotl(current, kRho[i]);
      current = next;
    }
    for (int y = 0; y < 25; y += 5) {
      uint64_t row[5];
      for (int x = 0; x < 5; ++x) row[x] = a[y + x];
      for (int x = 0; x < 5; ++x) a[y + x] = row[x] ^ (~row[(x + 1) % 5] & row[(x + 2) % 5]);
    }
    a[0] ^= rc;
  }
}

}  // namespace

Keccak256::Keccak256() noexcept = default;

void Keccak256::absorb_block() noexcept {
  for (size_t i = 0; i < block_.size() / 8; ++i) {
    uint64_t lane = 0;
    for (size_t b = 0; b < 8; ++b) lane |= static_cast<uint64_t>(block_[8 * i + b]) << (8 * b);
    state_[i] ^= lane;
  }
  keccak_f1600(state_);
  block_used_ = 0;
}

Keccak256& Keccak256::update(ByteView data) noexcept {
  for (uint8_t byte : data) {
    block_[block_used_++] = byte;
    if (block_used_ == block_.size()) absorb_block();
  }
  return *this;
}

Bytes Keccak256::finish() noexcept {
  // Keccak's original multi-rate padding: 0x01 ... 0x80 (SHA-3 would use 0x06).
  for (size_t i = block_used_; i < block_.size(); ++i) block_[i] = 0;
  block_[block_used_] ^= 0x01;
  block_[block_.size() - 1] ^= 0x80;
  absorb_block();
  Bytes out(kKeccak256Size);
  for (size_t i = 0; i < kKeccak256Size; ++i) out[i] = static_cast<uint8_t>(state_[i / 8] >> (8 * (i % 8)));
  OPENSSL_cleanse(state_.data(), sizeof(uint64_t) * state_.size());
  OPENSSL_cleanse(block_.data(), block_.size());
  return out;
}

Bytes keccak256(ByteView data) { return Keccak256().update(data).finish(); }

}  // namespace anonify::crypto
