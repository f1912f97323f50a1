// Keccak-256 as Ethereum uses it (original Keccak padding 0x01, not SHA3-256's 0x06).
// Own implementation: OpenSSL's KECCAK-256 digest exists only from 3.2.
#pragma once

#include <array>

#include "anonify/bytes.h"

namespace anonify::crypto {

constexpr size_t kKeccak256Size = 32;

/// Incremental Keccak-256.
class Keccak256 {
 public:
  Keccak256() noexcept;
  Keccak256& update(ByteView data) noexcept;
  /// Returns the digest; the object must not be updated afterwards.
  Bytes finish() noexcept;

 private:
  void absorb_block() noexcept;

  std::array<uint64_t, 25> state_{};
  std::array<uint8_t, 136> block_{};  // rate of Keccak-256: 1088 bits
  size_t block_used_ = 0;
};

/// keccak256(data).
Bytes keccak256(ByteView data);

}  // namespace anonify::crypto
