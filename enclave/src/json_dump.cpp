#include "anonify/json_dump.h"

namespace anonify {

namespace {

using Json = nlohmann::json;

bool needs_no_escape(std::string_view s) {
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c > 0x7E || c == '"' || c == '\\') return false;
  }
  return true;
}

}  // namespace

void dump_json_string_into(std::string& out, std::string_view s, Json::error_handler_t handler) {
  if (needs_no_escape(s)) {
    out.push_back('"');
    out.append(s);
    out.push_back('"');
  } else {
    out.append(Json(std::string(s)).dump(-1, ' ', false, handler));
  }
}

void dump_json_into(std::string& out, const Json& value, Json::error_handler_t handler) {
  if (value.is_object()) {
    out.push_back('{');
    bool first = true;
    for (auto it = value.begin(); it != value.end(); ++it) {  // the object's own (sorted) order, as dump()
      if (!first) out.push_back(',');
      first = false;
      dump_json_string_into(out, it.key(), handler);
      out.push_back(':');
      dump_json_into(out, it.value(), handler);
    }
    out.push_back('}');
  } else if (value.is_array()) {
    out.push_back('[');
    bool first = true;
    for (const Json& element : value) {
      if (!first) out.push_back(',');
      first = false;
      dump_json_into(out, element, handler);
    }
    out.push_back(']');
  } else if (value.is_string()) {
    dump_json_string_into(out, value.get_ref<const std::string&>(), handler);
  } else {
    out.append(value.dump(-1, ' ', false, handler));
  }
}

std::string dump_json(const Json& value, Json::error_handler_t handler) {
  std::string out;
  dump_json_into(out, value, handler);
  return out;
}

}  // namespace anonify
