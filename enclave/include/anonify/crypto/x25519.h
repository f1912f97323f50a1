// X25519 (RFC 7748) through OpenSSL EVP_PKEY. Keys are raw 32-byte strings.
#pragma once

#include <memory>

#include "anonify/bytes.h"

struct evp_pkey_st;

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

/// A private key prepared once for repeated Diffie-Hellman. OpenSSL computes the public key (a
/// scalar multiplication, as costly as the DH itself) whenever a raw private key is imported, so a
/// long-lived key (the enclave's HPKE key) is imported once here instead of on every use.
/// Copies share the key (OpenSSL reference count); OpenSSL wipes it when the last copy goes.
class X25519PrivateKey {
 public:
  /// Throws Error(InvalidKey) on a wrong size.
  explicit X25519PrivateKey(ByteView private_key);
  /// A fresh key from the OpenSSL DRBG.
  static X25519PrivateKey generate();

  const Bytes& public_key() const noexcept { return public_key_; }
  SecretBytes private_key() const;
  /// X25519(this, peer_public_key); same checks as x25519() below.
  SecretBytes dh(ByteView peer_public_key) const;

 private:
  explicit X25519PrivateKey(std::shared_ptr<evp_pkey_st> key);

  std::shared_ptr<evp_pkey_st> key_;
  Bytes public_key_;
};

/// Diffie-Hellman: X25519(private_key, peer_public_key). Throws Error(InvalidKey) on wrong sizes and
/// on an all-zero shared secret (low-order peer point, RFC 7748 §6.1).
SecretBytes x25519(ByteView private_key, ByteView peer_public_key);

}  // namespace anonify::crypto
