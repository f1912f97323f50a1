// HKDF-SHA256 (RFC 5869), split into Extract and Expand because HPKE and MLS label both steps.
#pragma once

#include "anonify/bytes.h"

namespace anonify::crypto {

/// HKDF-Extract(salt, ikm) -> 32-byte PRK. An empty salt means HashLen zero bytes (RFC 5869 §2.2).
SecretBytes hkdf_extract(ByteView salt, ByteView ikm);

/// HKDF-Expand(prk, info, length). `prk` must be at least 32 bytes; length <= 255 * 32, else
/// Error(InvalidArgument).
SecretBytes hkdf_expand(ByteView prk, ByteView info, size_t length);

}  // namespace anonify::crypto
