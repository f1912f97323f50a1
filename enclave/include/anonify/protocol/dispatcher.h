// Request parsing and method dispatch. A request body is {"id", "method", "params"}; the response
// is {"id", "result"} or {"id", "error": {"code", "message"}}. Handlers are looked up by method name
// in a table, so new modules (MLS, state runtime) add methods without touching the framing.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "anonify/bytes.h"
#include "anonify/error.h"
#include "anonify/protocol/params.h"

namespace anonify::protocol {

/// Deepest JSON nesting accepted in a request (checked before parsing, so hostile input cannot
/// exhaust the stack).
constexpr size_t kMaxJsonDepth = 32;

struct Request {
  Json id;  ///< a non-negative integer or a string (1..128 chars)
  std::string method;
  Json params;  ///< always an object
};

/// Parses and validates a request body. Throws Error(MalformedRequest) with the reason; when the
/// body was a JSON object with a valid id, the Error is a RequestError carrying that id so the
/// response can echo it.
Request parse_request(ByteView body);

class RequestError : public Error {
 public:
  RequestError(Json id, ErrorCode code, const std::string& message) : Error(code, message), id_(std::move(id)) {}
  const Json& id() const noexcept { return id_; }

 private:
  Json id_;
};

/// What a method answers: a JSON value, or the result already written as JSON text (JsonWriter) by
/// a method on the hot path, which the response then carries as it is.
class MethodResult {
 public:
  MethodResult(Json&& value) : value_(std::move(value)) {}     // NOLINT(google-explicit-constructor): methods return Json
  MethodResult(const Json& value) : value_(value) {}           // NOLINT(google-explicit-constructor)
  /// `text` must be one complete JSON value (what a JsonWriter gives).
  static MethodResult encoded(std::string text) {
    MethodResult result{Json()};
    result.text_ = std::move(text);
    result.encoded_ = true;
    return result;
  }

  bool is_encoded() const noexcept { return encoded_; }
  const Json& value() const noexcept { return value_; }
  const std::string& text() const noexcept { return text_; }

 private:
  Json value_;
  std::string text_;
  bool encoded_ = false;
};

Bytes encode_result(const Json& id, const MethodResult& result);
Bytes encode_error(const Json& id, ErrorCode code, const std::string& message);

template <typename Context>
class Dispatcher {
 public:
  using Handler = std::function<MethodResult(Context& context, const Params& params)>;

  /// Adds a method; throws Error(InvalidArgument) if the name is taken.
  void add(const std::string& method, Handler handler) {
    if (!handlers_.emplace(method, std::move(handler)).second) {
      throw Error(ErrorCode::kInvalidArgument, "method registered twice: " + method);
    }
  }

  bool has(const std::string& method) const { return handlers_.count(method) != 0; }

  /// Handles one frame body and returns the response body. Never throws: every failure becomes an
  /// error response (an unexpected std::exception is reported as `internal`).
  Bytes handle(Context& context, ByteView body) const noexcept {
    Json id = nullptr;
    try {
      Request request = parse_request(body);
      id = request.id;
      auto it = handlers_.find(request.method);
      if (it == handlers_.end()) {
        return encode_error(id, ErrorCode::kUnknownMethod, "unknown method \"" + request.method + "\"");
      }
      Params params(request.params);
      return encode_result(id, it->second(context, params));
    } catch (const RequestError& e) {
      return safe_error(e.id(), e.code(), e.what());
    } catch (const Error& e) {
      return safe_error(id, e.code(), e.what());
    } catch (const std::exception& e) {
      return safe_error(id, ErrorCode::kInternal, std::string("internal error: ") + e.what());
    }
  }

 private:
  static Bytes safe_error(const Json& id, ErrorCode code, const std::string& message) noexcept {
    try {
      return encode_error(id, code, message);
    } catch (...) {
      static const char kFallback[] = R"({"id":null,"error":{"code":"internal","message":"out of memory"}})";
      return Bytes(kFallback, kFallback + sizeof(kFallback) - 1);
    }
  }

  std::map<std::string, Handler> handlers_;
};

}  // namespace anonify::protocol
