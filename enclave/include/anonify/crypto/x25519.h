// X25519 (RFC 7748) through OpenSSL EVP_PKEY. Keys are raw 32-byte strings.
#pragma once

#include "anonify/bytes.h"

namespace anonify::crypto {

constexpr size_t kX25519KeySize = 32;

struct X25519KeyPair {
  SecretBytes private_key;  ///< 32 bytes (clamped by X25519 itself, stored as generated)
  Bytes public_key;         ///< 32 bytes
};

/// Fresh key pair from the OpenSSL DRBG.
X25519KeyPair x25519_generate();

/// Public key of a 32-byte private key. Throws Error(InvalidKey) on a wrong size.
Bytes x25519_public_key(ByteView private_key);

/// Diffie-Hellman: X25519(private_key, peer_public_key). Throws Error(InvalidKey) on wrong sizes and
/// on an all-zero shared secret (low-order peer point, RFC 7748 §6.1).
SecretBytes x25519(ByteView private_key, ByteView peer_public_key);

}  // namespace anonify::crypto
