#include "anonify/runtime/json_input.h"

#include <array>

#include "anonify/json_depth.h"

namespace anonify::runtime::detail {

std::optional<Json> parse_object(ByteView text) {
  if (json_depth_exceeded_at(text, kMaxInputDepth)) return std::nullopt;
  // A repeated member: the parser would keep the last value silently, while whoever shows or signs
  // the text might read the first. Each object's key events are counted; fewer members than keys
  // at its end means a key came twice. The depth check above bounds the nesting; the stack is
  // bounds-checked anyway (anything deeper is refused, never indexed).
  std::array<size_t, kMaxInputDepth> keys_per_object{};
  size_t open_objects = 0;
  bool refused = false;
  const Json::parser_callback_t count_keys = [&](int /*depth*/, Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
        if (open_objects == keys_per_object.size()) {
          refused = true;
          return false;
        }
        keys_per_object[open_objects++] = 0;
        break;
      case Json::parse_event_t::key:
        if (open_objects > 0) ++keys_per_object[open_objects - 1];
        break;
      case Json::parse_event_t::object_end:
        if (open_objects > 0 && parsed.size() != keys_per_object[--open_objects]) refused = true;
        break;
      default:
        break;
    }
    return true;
  };
  Json doc = Json::parse(text.begin(), text.end(), count_keys, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object() || refused) return std::nullopt;
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
