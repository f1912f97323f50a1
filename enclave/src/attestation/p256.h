// ECDSA P-256 with SHA-256 as Intel uses it (src/attestation/dcap/ecdsa.ts): signatures r || s
// (64 bytes) in quotes and collateral, DER SEQUENCE { r, s } in certificates and CRLs. Intel's
// signers do not normalise s, so high-s signatures are accepted (as P256VERIFY does); r and s must
// lie in [1, n-1]. Keys are x || y (64 bytes), an uncompressed point on the curve.
#pragma once

#include <cstddef>
#include <optional>

#include "anonify/bytes.h"

namespace anonify::attestation {

constexpr size_t kP256ScalarLength = 32;
constexpr size_t kP256PointLength = 2 * kP256ScalarLength;

/// True when `xy` (64 bytes) is a point on P-256: both coordinates below p, on the curve.
bool is_p256_point(ByteView xy);

/// Verifies r || s over SHA-256(message) under the key x || y. Malformed input (lengths, a key
/// off the curve, r or s outside [1, n-1]) is simply false; only a library failure throws.
bool p256_verify(ByteView message, ByteView signature, ByteView key_xy);

/// DER `SEQUENCE { INTEGER r, INTEGER s }` (strict DER, 0 <= r, s < 2^256) to r || s; nullopt
/// otherwise.
std::optional<Bytes> p256_der_signature_to_raw(ByteView der);

}  // namespace anonify::attestation
