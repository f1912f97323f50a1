#include <optional>
#include <string>
#include <string_view>

#include "anonify/json_depth.h"
#include "anonify/json_dump.h"
#include "anonify/protocol/dispatcher.h"

namespace anonify::protocol {

namespace {

constexpr size_t kMaxIdLength = 128;
constexpr size_t kMaxMethodLength = 64;

[[noreturn]] void malformed(const std::string& why) { throw Error(ErrorCode::kMalformedRequest, why); }

// Rejects nesting deeper than kMaxJsonDepth before the (recursive) JSON parser sees the input.
void check_depth(ByteView body) {
  if (std::optional<size_t> at = json_depth_exceeded_at(body, kMaxJsonDepth)) {
    malformed("JSON nesting deeper than " + std::to_string(kMaxJsonDepth) + " at byte " + std::to_string(*at));
  }
}

bool valid_id(const Json& id) {
  if (id.is_number_unsigned()) return true;
  if (id.is_string()) {
    const auto& s = id.get_ref<const std::string&>();
    return !s.empty() && s.size() <= kMaxIdLength;
  }
  return false;
}

bool valid_method_name(const std::string& m) {
  if (m.empty() || m.size() > kMaxMethodLength) return false;
  for (char c : m) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.')) return false;
  }
  return true;
}

// A parser for the plain JSON requests are made of (objects with distinct keys, arrays, strings of
// printable ASCII without escapes, unsigned integers of up to 19 digits, true, false, null), which
// gives the same document as Json::parse on them without nlohmann's per-character token buffers
// (most of a request is one long hex string). Anything else, valid or not, makes it give up
// (nullopt) and the caller parses with nlohmann: its document, or its error, is the answer then.
class PlainJsonParser {
 public:
  explicit PlainJsonParser(ByteView text) : at_(text.data()), end_(text.data() + text.size()) {}

  std::optional<Json> parse() {
    Json doc;
    skip_space();
    if (!value(doc, 0)) return std::nullopt;
    skip_space();
    if (at_ != end_) return std::nullopt;
    return doc;
  }

 private:
  // A container nested deeper than kMaxJsonDepth makes it give up: check_depth then refuses the
  // body as before. So a document it returns passes check_depth, which need not scan it again.
  static constexpr size_t kMaxDepth = kMaxJsonDepth;

  void skip_space() {
    while (at_ != end_ && (*at_ == ' ' || *at_ == '\n' || *at_ == '\r' || *at_ == '\t')) ++at_;
  }

  bool literal(std::string_view word) {
    if (static_cast<size_t>(end_ - at_) < word.size() || std::string_view(reinterpret_cast<const char*>(at_), word.size()) != word) {
      return false;
    }
    at_ += word.size();
    return true;
  }

  bool string(std::string& out) {
    if (at_ == end_ || *at_ != '"') return false;
    const uint8_t* start = ++at_;
    while (at_ != end_ && *at_ != '"') {
      if (*at_ < 0x20 || *at_ > 0x7E || *at_ == '\\') return false;
      ++at_;
    }
    if (at_ == end_) return false;
    out.assign(reinterpret_cast<const char*>(start), static_cast<size_t>(at_ - start));
    ++at_;  // the closing quote
    return true;
  }

  bool number(Json& out) {
    // 0, or 1-19 digits without a leading zero: always an unsigned integer that fits in uint64.
    const uint8_t* start = at_;
    uint64_t value = 0;
    while (at_ != end_ && *at_ >= '0' && *at_ <= '9') {
      value = value * 10 + static_cast<uint64_t>(*at_ - '0');
      ++at_;
    }
    const size_t digits = static_cast<size_t>(at_ - start);
    if (digits == 0 || digits > 19 || (digits > 1 && *start == '0')) return false;
    // A fraction or an exponent is left to nlohmann.
    if (at_ != end_ && (*at_ == '.' || *at_ == 'e' || *at_ == 'E')) return false;
    out = Json(value);
    return true;
  }

  bool value(Json& out, size_t depth) {
    if (at_ == end_) return false;
    switch (*at_) {
      case '{': {
        if (depth >= kMaxDepth) return false;
        ++at_;
        out = Json::object();
        skip_space();
        if (at_ != end_ && *at_ == '}') {
          ++at_;
          return true;
        }
        for (;;) {
          std::string key;
          skip_space();
          if (!string(key)) return false;
          skip_space();
          if (at_ == end_ || *at_ != ':') return false;
          ++at_;
          skip_space();
          Json member;
          if (!value(member, depth + 1)) return false;
          // A repeated key: nlohmann's document keeps the last one; leave that to it.
          if (!out.get_ref<Json::object_t&>().emplace(std::move(key), std::move(member)).second) return false;
          skip_space();
          if (at_ == end_) return false;
          if (*at_ == '}') {
            ++at_;
            return true;
          }
          if (*at_ != ',') return false;
          ++at_;
        }
      }
      case '[': {
        if (depth >= kMaxDepth) return false;
        ++at_;
        out = Json::array();
        skip_space();
        if (at_ != end_ && *at_ == ']') {
          ++at_;
          return true;
        }
        for (;;) {
          skip_space();
          Json element;
          if (!value(element, depth + 1)) return false;
          out.get_ref<Json::array_t&>().push_back(std::move(element));
          skip_space();
          if (at_ == end_) return false;
          if (*at_ == ']') {
            ++at_;
            return true;
          }
          if (*at_ != ',') return false;
          ++at_;
        }
      }
      case '"': {
        std::string text;
        if (!string(text)) return false;
        out = Json(std::move(text));
        return true;
      }
      case 't':
        out = true;
        return literal("true");
      case 'f':
        out = false;
        return literal("false");
      case 'n':
        out = nullptr;
        return literal("null");
      default:
        return number(out);
    }
  }

  const uint8_t* at_;
  const uint8_t* end_;
};

}  // namespace

Request parse_request(ByteView body) {
  if (body.empty()) malformed("empty request body");
  Json doc;
  if (std::optional<Json> plain = PlainJsonParser(body).parse()) {
    doc = std::move(*plain);
  } else {
    check_depth(body);
    try {
      doc = Json::parse(body.begin(), body.end());
    } catch (const Json::parse_error& e) {
      malformed("request is not valid JSON (byte " + std::to_string(e.byte) + ")");
    }
  }
  if (!doc.is_object()) malformed("request must be a JSON object");
  auto id_it = doc.find("id");
  if (id_it == doc.end() || !valid_id(*id_it)) {
    malformed("request id must be a non-negative integer or a string of 1..128 characters");
  }
  Request request;
  request.id = *id_it;
  for (const auto& item : doc.items()) {
    if (item.key() != "id" && item.key() != "method" && item.key() != "params") {
      throw RequestError(request.id, ErrorCode::kMalformedRequest, "unexpected request member \"" + item.key().substr(0, 64) + "\"");
    }
  }
  auto method_it = doc.find("method");
  if (method_it == doc.end() || !method_it->is_string() ||
      !valid_method_name(method_it->get_ref<const std::string&>())) {
    throw RequestError(request.id, ErrorCode::kMalformedRequest,
                       "request method must be a string of 1..64 characters [a-z0-9_.]");
  }
  request.method = method_it->get<std::string>();
  auto params_it = doc.find("params");
  if (params_it == doc.end() || params_it->is_null()) {
    request.params = Json::object();
  } else if (!params_it->is_object()) {
    throw RequestError(request.id, ErrorCode::kInvalidParams, "params must be an object");
  } else {
    request.params = std::move(*params_it);
  }
  return request;
}

Bytes encode_result(const Json& id, const MethodResult& result) {
  // {"id":…,"result":…}: the keys in the order dump() writes them, the result serialized in place
  // (not copied into a response document first) or, written by the method itself, copied as it is.
  static constexpr std::string_view kOpen = "{\"id\":";
  static constexpr std::string_view kResult = ",\"result\":";
  std::string text;
  text.reserve(result.is_encoded() ? kOpen.size() + 24 + kResult.size() + result.text().size() + 1 : 512);
  text.append(kOpen);
  dump_json_into(text, id, Json::error_handler_t::replace);
  text.append(kResult);
  if (result.is_encoded()) {
    text.append(result.text());
  } else {
    dump_json_into(text, result.value(), Json::error_handler_t::replace);
  }
  text.push_back('}');
  return Bytes(text.begin(), text.end());
}

Bytes encode_error(const Json& id, ErrorCode code, const std::string& message) {
  Json response = {{"id", id}, {"error", {{"code", error_code_name(code)}, {"message", message}}}};
  // Messages may quote client input; invalid UTF-8 is replaced instead of failing the response.
  std::string text = response.dump(-1, ' ', false, Json::error_handler_t::replace);
  return Bytes(text.begin(), text.end());
}

}  // namespace anonify::protocol
