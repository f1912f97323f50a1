// Randomness from OpenSSL's DRBG (seeded by the OS; inside Gramine by RDRAND via the LibOS).
#pragma once

#include "anonify/bytes.h"

namespace anonify::crypto {

/// Public randomness (nonces, ids). Throws Error(CryptoFailure) if the DRBG fails.
Bytes random_bytes(size_t length);

/// Secret randomness (keys) from OpenSSL's private DRBG instance.
SecretBytes random_secret(size_t length);

/// Fills `out` with secret randomness.
void random_fill(uint8_t* out, size_t length);

}  // namespace anonify::crypto
