// Nesting limit for untrusted JSON, checked before nlohmann-json's recursive parser sees the input
// (deep input would otherwise exhaust the enclave's stack).
#pragma once

#include <cstddef>
#include <optional>

#include "anonify/bytes.h"

namespace anonify {

/// The byte offset of the first '[' or '{' that opens nesting level `max_depth + 1` (brackets inside
/// strings, escapes included, do not count), or nullopt when `text` stays within `max_depth`.
std::optional<size_t> json_depth_exceeded_at(ByteView text, size_t max_depth) noexcept;

}  // namespace anonify
