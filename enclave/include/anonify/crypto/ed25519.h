// Ed25519 (RFC 8032, pure) through OpenSSL EVP_DigestSign. Private keys are 32-byte seeds.
#pragma once

#include "anonify/bytes.h"

namespace anonify::crypto {

constexpr size_t kEd25519PrivateKeySize = 32;
constexpr size_t kEd25519PublicKeySize = 32;
constexpr size_t kEd25519SignatureSize = 64;

struct Ed25519KeyPair {
  SecretBytes private_key;  ///< 32-byte seed
  Bytes public_key;         ///< 32 bytes
};

Ed25519KeyPair ed25519_generate();

/// Public key of a 32-byte seed. Throws Error(InvalidKey) on a wrong size.
Bytes ed25519_public_key(ByteView private_key);

/// 64-byte signature over `message`.
Bytes ed25519_sign(ByteView private_key, ByteView message);

/// True iff `signature` is a valid signature of `message` under `public_key`. Malformed keys or
/// signatures give false (never throw), so callers map them to their own error.
bool ed25519_verify(ByteView public_key, ByteView message, ByteView signature) noexcept;

}  // namespace anonify::crypto
