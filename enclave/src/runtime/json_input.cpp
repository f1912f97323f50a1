#include "json_input.h"

namespace anonify::runtime::detail {

namespace {

bool within_depth(ByteView text) {
  size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (uint8_t c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '[' || c == '{') {
      if (++depth > kMaxInputDepth) return false;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return true;
}

}  // namespace

std::optional<Json> parse_object(ByteView text) {
  if (!within_depth(text)) return std::nullopt;
  Json doc = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
  return doc;
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
    if (!known) return "unexpected member \"" + item.key().substr(0, 32) + "\"";
  }
  return "";
}

}  // namespace anonify::runtime::detail
