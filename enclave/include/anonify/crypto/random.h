// Randomness from OpenSSL's DRBG (seeded by the OS; inside Gramine by RDRAND via the LibOS).
#pragma once

#include "anonify/bytes.h"

namespace anonify::crypto {

/// Public randomness (nonces, ids). Throws Error(CryptoFailure) if the DRBG fails.
Bytes random_bytes(size_t length);

constexpr size_t kRandomNonceSize = 12;
constexpr size_t kNoncesPerDraw = 64;

/// A fresh 12-byte AEAD nonce: the next slice of one RAND_bytes draw made for kNoncesPerDraw
/// nonces at a time (per thread). OpenSSL's CTR-DRBG re-keys on every call, which costs more than
/// the bytes (bench: ~1 µs in a loop, ~4 µs inside a transition, against a copy per slice); every
/// drawn byte is handed out once, and nonces are public, so the slices held meanwhile reveal
/// nothing. Throws Error(CryptoFailure) if the DRBG fails.
Bytes random_nonce();

/// Secret randomness (keys) from OpenSSL's private DRBG instance.
SecretBytes random_secret(size_t length);

/// Fills `out` with secret randomness.
void random_fill(uint8_t* out, size_t length);

}  // namespace anonify::crypto
