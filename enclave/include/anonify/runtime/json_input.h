// Strict parsing of JSON that users control (commands, queries, sealed envelopes). Part of the
// runtime SDK (sdk.h): a runtime parses its commands with parse_object and checks their members
// with check_string_members, and quotes user text in reasons only through utf8_excerpt.
#pragma once

#include <nlohmann/json.hpp>

#include <initializer_list>
#include <optional>
#include <string>

#include "anonify/bytes.h"

namespace anonify::runtime::detail {

using Json = nlohmann::json;

/// Deepest nesting any runtime input needs (the sealed command envelope nests nothing deeper).
constexpr size_t kMaxInputDepth = 4;

/// A JSON object, or nullopt when `text` is not valid UTF-8 JSON, not an object, repeats a member
/// name inside any object, or nests deeper than kMaxInputDepth (checked before parsing, so the
/// recursive parser never sees deep input).
std::optional<Json> parse_object(ByteView text);

/// At most `max_bytes` of `text` for quoting in an error or rejection reason, cut at a UTF-8
/// character boundary: a reason travels in JSON (read replies are serialized strictly), and a cut
/// through a multi-byte character would make it invalid UTF-8.
std::string utf8_excerpt(const std::string& text, size_t max_bytes);

/// Why an object does not have exactly the members `names` (each a string): empty when it has.
std::string check_string_members(const Json& object, std::initializer_list<const char*> names);

}  // namespace anonify::runtime::detail
