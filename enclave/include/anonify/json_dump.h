// Compact JSON serialization for the hot paths (responses, log entry plaintexts).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace anonify {

/// Appends exactly what value.dump(-1, ' ', false, handler) gives, and throws what it throws. Strings
/// of printable ASCII without quote or backslash (hex, decimal, addresses: most of what the
/// enclave writes) are copied as they are instead of going through nlohmann's per-character
/// escaping; every other string and every non-string scalar is serialized by nlohmann itself.
void dump_json_into(std::string& out, const nlohmann::json& value,
                    nlohmann::json::error_handler_t handler = nlohmann::json::error_handler_t::strict);

/// Appends one string value as dump() writes it (the fast path above for plain ASCII).
void dump_json_string_into(std::string& out, std::string_view s,
                           nlohmann::json::error_handler_t handler = nlohmann::json::error_handler_t::strict);

/// The same into a new string.
std::string dump_json(const nlohmann::json& value, nlohmann::json::error_handler_t handler = nlohmann::json::error_handler_t::strict);

}  // namespace anonify
