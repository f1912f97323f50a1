// Typed access to a request's `params` object. Every accessor throws Error(InvalidParams) naming
// the parameter and what was expected, so handlers never see a value of the wrong type.
// Binary values travel as "0x"-prefixed hex strings.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "anonify/bytes.h"

namespace anonify::protocol {

using Json = nlohmann::json;

/// "0x" + lower-case hex.
std::string hex_param(ByteView bytes);

class Params {
 public:
  /// `params` must be an object (a missing params member is passed as an empty object).
  explicit Params(const Json& params);

  bool has(const char* name) const;
  std::string string(const char* name) const;
  std::optional<std::string> optional_string(const char* name) const;
  /// Hex-encoded bytes; `expected_size` (when given) is enforced.
  Bytes bytes(const char* name, std::optional<size_t> expected_size = std::nullopt) const;
  std::optional<Bytes> optional_bytes(const char* name, std::optional<size_t> expected_size = std::nullopt) const;
  /// A non-negative integer that fits in uint64. JSON numbers above 2^53 lose precision in
  /// JavaScript, so a decimal string is accepted as well.
  uint64_t u64(const char* name) const;
  bool boolean(const char* name) const;
  /// A nested object (e.g. an EIP-712 domain) with the same typed accessors.
  Params object(const char* name) const;
  const Json& raw(const char* name) const;

 private:
  const Json& member(const char* name) const;
  const Json& params_;
};

}  // namespace anonify::protocol
