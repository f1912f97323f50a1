// SHA-256 and HMAC-SHA256 (OpenSSL EVP).
#pragma once

#include <cstddef>
#include <memory>

#include "anonify/bytes.h"

namespace anonify::crypto {

constexpr size_t kSha256Size = 32;

/// SHA-256(data).
Bytes sha256(ByteView data);

/// Incremental SHA-256 for data arriving in pieces (e.g. hashing a file).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  Sha256& update(ByteView data);
  /// Returns the digest; the object cannot be updated afterwards.
  Bytes finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// HMAC-SHA256(key, data). Any key length (including empty).
Bytes hmac_sha256(ByteView key, ByteView data);

/// HMAC-SHA256(key, parts[0] ‖ … ‖ parts[count - 1]), the parts read where they are (HKDF's
/// labeled inputs are four to six pieces; joining them first cost an allocation and a copy each).
Bytes hmac_sha256(ByteView key, const ByteView* parts, size_t count);

}  // namespace anonify::crypto
