#include "anonify/runtime/json_input.h"

#include "anonify/json_depth.h"

namespace anonify::runtime::detail {

std::optional<Json> parse_object(ByteView text) {
  if (json_depth_exceeded_at(text, kMaxInputDepth)) return std::nullopt;
  Json doc = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
  return doc;
}

std::string utf8_excerpt(const std::string& text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t end = max_bytes;
  // Back off continuation bytes (10xxxxxx) so the cut falls before a lead byte.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

std::string check_string_members(const Json& object, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    auto it = object.find(name);
    if (it == object.end()) return std::string("missing \"") + name + "\"";
    if (!it->is_string()) return std::string("\"") + name + "\" must be a string";
  }
  for (const auto& item : object.items()) {
    bool known = false;
    for (const char* name : names) known = known || item.key() == name;
    if (!known) return "unexpected member \"" + utf8_excerpt(item.key(), 32) + "\"";
  }
  return "";
}

}  // namespace anonify::runtime::detail
