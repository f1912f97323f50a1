#include "anonify/json_writer.h"

#include "anonify/json_dump.h"

namespace anonify {

void JsonWriter::separate() {
  // A value or key follows an opening bracket or a key's colon directly, anything else after a comma.
  if (!out_.empty() && out_.back() != '{' && out_.back() != '[' && out_.back() != ':') out_.push_back(',');
}

JsonWriter& JsonWriter::begin_object() {
  separate();
  out_.push_back('{');
  return *this;
}

JsonWriter& JsonWriter::end_object() {
  out_.push_back('}');
  return *this;
}

JsonWriter& JsonWriter::begin_array() {
  separate();
  out_.push_back('[');
  return *this;
}

JsonWriter& JsonWriter::end_array() {
  out_.push_back(']');
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
  string(name);
  out_.push_back(':');
  return *this;
}

JsonWriter& JsonWriter::string(std::string_view value) {
  separate();
  // Invalid UTF-8 is replaced by U+FFFD, as in every response (encode_result).
  dump_json_string_into(out_, value, nlohmann::json::error_handler_t::replace);
  return *this;
}

JsonWriter& JsonWriter::hex(ByteView bytes) {
  separate();
  const size_t at = out_.size();
  out_.resize(at + 4 + 2 * bytes.size());
  char* p = out_.data() + at;
  *p++ = '"';
  *p++ = '0';
  *p++ = 'x';
  *write_hex(bytes, p) = '"';
  return *this;
}

JsonWriter& JsonWriter::decimal(uint64_t value) {
  char digits[20];
  size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  separate();
  out_.push_back('"');
  while (n > 0) out_.push_back(digits[--n]);
  out_.push_back('"');
  return *this;
}

JsonWriter& JsonWriter::boolean(bool value) {
  separate();
  out_.append(value ? "true" : "false");
  return *this;
}

JsonWriter& JsonWriter::raw_value(std::string_view json_text) {
  separate();
  out_.append(json_text);
  return *this;
}

std::string JsonWriter::take() {
  std::string text = std::move(out_);
  out_.clear();
  return text;
}

}  // namespace anonify
