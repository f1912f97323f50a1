// AEADs used by HPKE, MLS and sealing: AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305 (OpenSSL EVP).
// All use 12-byte nonces and 16-byte tags appended to the ciphertext.
#pragma once

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

}  // namespace anonify::crypto
