// HKDF-SHA256 (RFC 5869), split into Extract and Expand because HPKE and MLS label both steps.
#pragma once

#include <initializer_list>

#include "anonify/bytes.h"

namespace anonify::crypto {

/// HKDF-Extract(salt, ikm) -> 32-byte PRK. An empty salt means HashLen zero bytes (RFC 5869 §2.2).
SecretBytes hkdf_extract(ByteView salt, ByteView ikm);

/// HKDF-Expand(prk, info, length). `prk` must be at least 32 bytes; length <= 255 * 32, else
/// Error(InvalidArgument).
SecretBytes hkdf_expand(ByteView prk, ByteView info, size_t length);

/// The same with ikm / info the concatenation of `parts`, read where they are (HPKE's labeled
/// Extract and Expand: version label, suite id, label, value).
SecretBytes hkdf_extract_concat(ByteView salt, std::initializer_list<ByteView> ikm_parts);
SecretBytes hkdf_expand_concat(ByteView prk, std::initializer_list<ByteView> info_parts, size_t length);

}  // namespace anonify::crypto
