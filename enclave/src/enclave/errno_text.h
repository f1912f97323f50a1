// The message of errno for the storage errors the sealed store and AlternatingFile raise.
#pragma once

#include <cerrno>
#include <cstring>
#include <string>

namespace anonify::enclave::detail {

/// strerror(errno), read at once: call it before anything that may set errno again.
inline std::string errno_text() { return std::strerror(errno); }

}  // namespace anonify::enclave::detail
