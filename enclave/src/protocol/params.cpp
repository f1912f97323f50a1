#include "anonify/protocol/params.h"

#include <limits>

#include "anonify/error.h"

namespace anonify::protocol {

namespace {

[[noreturn]] void invalid(const char* name, const std::string& expected) {
  throw Error(ErrorCode::kInvalidParams, std::string("params.") + name + " must be " + expected);
}

const Json& empty_object() {
  static const Json kEmpty = Json::object();
  return kEmpty;
}

}  // namespace

std::string hex_param(ByteView bytes) {
  // "0x" + to_hex(bytes) in one allocation (an entry's hex is over a kilobyte).
  std::string out(2 + bytes.size() * 2, '\0');
  out[0] = '0';
  out[1] = 'x';
  write_hex(bytes, out.data() + 2);
  return out;
}

Params::Params(const Json& params) : params_(params.is_null() ? empty_object() : params) {
  if (!params_.is_object()) throw Error(ErrorCode::kInvalidParams, "params must be an object");
}

bool Params::has(const char* name) const { return params_.contains(name) && !params_.at(name).is_null(); }

const Json& Params::member(const char* name) const {
  auto it = params_.find(name);
  if (it == params_.end() || it->is_null()) throw Error(ErrorCode::kInvalidParams, std::string("params.") + name + " is required");
  return *it;
}

const Json& Params::raw(const char* name) const { return member(name); }

std::string Params::string(const char* name) const {
  const Json& v = member(name);
  if (!v.is_string()) invalid(name, "a string");
  return v.get<std::string>();
}

std::optional<std::string> Params::optional_string(const char* name) const {
  if (!has(name)) return std::nullopt;
  return string(name);
}

Bytes Params::bytes(const char* name, std::optional<size_t> expected_size) const {
  const Json& v = member(name);
  std::string what = expected_size ? "0x-prefixed hex of " + std::to_string(*expected_size) + " bytes" : "0x-prefixed hex";
  if (!v.is_string()) invalid(name, what);
  const std::string& s = v.get_ref<const std::string&>();
  if (s.size() < 2 || s[0] != '0' || s[1] != 'x' || s.size() % 2 != 0) invalid(name, what);
  Bytes out;
  try {
    out = from_hex(s);  // strips the one "0x" and validates every digit as it decodes
  } catch (const Error&) {
    invalid(name, what);
  }
  if (expected_size && out.size() != *expected_size) invalid(name, what);
  return out;
}

std::optional<Bytes> Params::optional_bytes(const char* name, std::optional<size_t> expected_size) const {
  if (!has(name)) return std::nullopt;
  return bytes(name, expected_size);
}

uint64_t Params::u64(const char* name) const {
  const Json& v = member(name);
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0')) invalid(name, "a uint64 (number or decimal string)");
    uint64_t value = 0;
    for (char c : s) {
      if (c < '0' || c > '9') invalid(name, "a uint64 (number or decimal string)");
      uint64_t digit = static_cast<uint64_t>(c - '0');
      if (value > (std::numeric_limits<uint64_t>::max() - digit) / 10) invalid(name, "a uint64 (number or decimal string)");
      value = value * 10 + digit;
    }
    return value;
  }
  invalid(name, "a uint64 (number or decimal string)");
}

bool Params::boolean(const char* name) const {
  const Json& v = member(name);
  if (!v.is_boolean()) invalid(name, "a boolean");
  return v.get<bool>();
}

Params Params::object(const char* name) const {
  const Json& v = member(name);
  if (!v.is_object()) invalid(name, "an object");
  return Params(v);
}

}  // namespace anonify::protocol
