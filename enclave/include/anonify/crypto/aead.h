// AEADs used by HPKE, MLS and sealing: AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305 (OpenSSL EVP).
// All use 12-byte nonces and 16-byte tags appended to the ciphertext.
#pragma once

#include <memory>

#include "anonify/bytes.h"

namespace anonify::crypto {

enum class AeadAlgorithm { kAes128Gcm, kAes256Gcm, kChaCha20Poly1305 };

constexpr size_t kAeadNonceSize = 12;
constexpr size_t kAeadTagSize = 16;

/// Key size in bytes: 16 for AES-128-GCM, 32 otherwise.
size_t aead_key_size(AeadAlgorithm algorithm) noexcept;

/// Returns ciphertext ‖ tag. Throws Error(InvalidArgument) on a wrong key or nonce size.
Bytes aead_seal(AeadAlgorithm algorithm, ByteView key, ByteView nonce, ByteView aad, ByteView plaintext);

/// Verifies and decrypts ciphertext ‖ tag. Throws Error(AuthenticationFailed) when the tag does not
/// verify (no plaintext is released), Error(InvalidArgument) on wrong sizes.
Bytes aead_open(AeadAlgorithm algorithm, ByteView key, ByteView nonce, ByteView aad, ByteView ciphertext);

/// A key that seals and opens many messages (the sealing key of a store, an epoch's entry key),
/// with its cipher context and key schedule prepared once: each operation then only sets the
/// nonce, instead of allocating and keying a context (about 40 % of a 300-byte AES-GCM seal).
/// Same results and errors as aead_seal / aead_open. A value type: copies are deep, and a
/// context's key schedule is cleansed when it is freed. Not for concurrent use (the enclave
/// handles one request at a time).
class AeadKey {
 public:
  /// Throws Error(InvalidArgument) on a wrong key size.
  AeadKey(AeadAlgorithm algorithm, ByteView key);
  ~AeadKey();
  AeadKey(const AeadKey& other);
  AeadKey& operator=(const AeadKey& other);
  AeadKey(AeadKey&&) noexcept;
  AeadKey& operator=(AeadKey&&) noexcept;

  AeadAlgorithm algorithm() const noexcept { return algorithm_; }
  Bytes seal(ByteView nonce, ByteView aad, ByteView plaintext) const;
  Bytes open(ByteView nonce, ByteView aad, ByteView ciphertext) const;

 private:
  struct Context;
  void check_usable() const;
  AeadAlgorithm algorithm_;
  std::unique_ptr<Context> context_;
};

}  // namespace anonify::crypto
