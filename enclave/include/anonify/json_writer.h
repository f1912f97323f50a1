// Streaming JSON text for the hot responses (state_submit, state_apply and their notifications):
// the document is written as it is decided, instead of being built as an nlohmann value (a heap
// node per member and per string, then a serialization pass and the value's destruction).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "anonify/bytes.h"

namespace anonify {

/// Writes one JSON value. Separators are placed by the writer; the caller opens and closes what
/// it writes, and writes an object's keys in the order it wants them (dump() order is the
/// sorted one). Strings are escaped exactly as nlohmann's dump(-1, ' ', false, replace) escapes
/// them: the same bytes as building the value and dumping it.
class JsonWriter {
 public:
  JsonWriter() { out_.reserve(512); }

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  /// An object member's key; its value follows.
  JsonWriter& key(std::string_view name);

  JsonWriter& string(std::string_view value);
  /// "0x" and lower-case hex (protocol::hex_param's form).
  JsonWriter& hex(ByteView bytes);
  /// A decimal string, as the protocol carries 64-bit integers ("123").
  JsonWriter& decimal(uint64_t value);
  JsonWriter& boolean(bool value);
  /// One complete JSON value written by another JsonWriter, as it is.
  JsonWriter& raw_value(std::string_view json_text);

  /// The text written; the writer is empty afterwards.
  std::string take();

 private:
  void separate();

  std::string out_;
};

}  // namespace anonify
