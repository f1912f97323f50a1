#include "attestation/ias_report_json.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <string_view>

#include "anonify/attestation/evidence.h"
#include "attestation/quote_body.h"
#include "attestation/utc_time.h"

namespace anonify::attestation {

const char* const kKnownReportFields[14] = {
    "id",          "timestamp",        "version",          "isvEnclaveQuoteStatus", "isvEnclaveQuoteBody",
    "nonce",       "epidPseudonym",    "advisoryURL",      "advisoryIDs",           "platformInfoBlob",
    "revocationReason", "pseManifestStatus", "pseManifestHash", "tcbEvaluationDataNumber",
};

namespace {

constexpr int kEnd = -1;
constexpr uint8_t kQuote = 0x22;
constexpr uint8_t kBackslash = 0x5c;
constexpr uint8_t kComma = 0x2c;
constexpr uint8_t kColon = 0x3a;
constexpr uint8_t kOpenBrace = 0x7b;
constexpr uint8_t kCloseBrace = 0x7d;
constexpr uint8_t kOpenBracket = 0x5b;
constexpr uint8_t kCloseBracket = 0x5d;
constexpr uint8_t kDigitZero = 0x30;
constexpr uint8_t kLetterU = 0x75;
/// Bytes below this are control bytes, which no string or key may hold raw (RFC 8259 section 7).
constexpr uint8_t kFirstPrintable = 0x20;
/// What may follow a backslash besides `u`: \" \\ \/ \b \f \n \r \t (RFC 8259 section 7).
constexpr std::string_view kSimpleEscapes = "\"\\/bfnrt";
constexpr size_t kUnicodeEscapeDigits = 4;

/// Required, in the order their absence is reported.
constexpr const char* kRequiredFields[] = {"id", "timestamp", "isvEnclaveQuoteStatus", "isvEnclaveQuoteBody"};
/// A report without `version` is API v2.
constexpr unsigned kImplicitVersion = 2;
constexpr unsigned kMinVersion = 2;
constexpr unsigned kMaxVersion = 5;

constexpr size_t kTimestampLengthWithoutFraction = 19;  // YYYY-MM-DDTHH:MM:SS
constexpr char kTimestampShape[] = "dddd-dd-ddTdd:dd:dd";
constexpr size_t kMaxFractionDigits = 6;

[[noreturn]] void malformed(size_t offset) {
  throw EvidenceError("ReportMalformed", {std::to_string(offset)},
                      "report is not a single JSON object of the accepted form (syntax error at byte " +
                          std::to_string(offset) + ")");
}

[[noreturn]] void field_error(const char* code, const std::string& field, const std::string& what) {
  throw EvidenceError(code, {field}, "report field \"" + field + "\" " + what);
}

bool is_whitespace(int b) { return b == 0x20 || b == 0x09 || b == 0x0a || b == 0x0d; }
bool is_digit(int b) { return b >= 0x30 && b <= 0x39; }
bool is_hex_digit(int b) { return is_digit(b) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66); }
bool is_simple_escape(int b) { return b != kEnd && kSimpleEscapes.find(static_cast<char>(b)) != std::string_view::npos; }

bool is_known_field(const std::string& key) {
  return std::any_of(std::begin(kKnownReportFields), std::end(kKnownReportFields),
                     [&](const char* known) { return key == known; });
}

class Cursor {
 public:
  explicit Cursor(ByteView bytes) : bytes_(bytes) {}

  size_t pos() const { return pos_; }
  bool at_end() const { return pos_ >= bytes_.size(); }
  int peek() const { return at_end() ? kEnd : bytes_[pos_]; }
  void advance() { ++pos_; }

  void skip_whitespace() {
    while (!at_end() && is_whitespace(bytes_[pos_])) ++pos_;
  }

  void expect(uint8_t byte) {
    if (peek() != byte) malformed(pos_);
    ++pos_;
  }

  /// null / true / false; a mismatch fails at the literal's first letter.
  void literal(const char* text) {
    const size_t start = pos_;
    const size_t length = std::strlen(text);
    for (size_t i = 0; i < length; ++i) {
      if (start + i >= bytes_.size() || bytes_[start + i] != static_cast<uint8_t>(text[i])) malformed(start);
    }
    pos_ = start + length;
  }

  /// A member's key. Without escapes, two keys are the same key exactly when their bytes are
  /// equal, so no decoder can see a known key the scanner took for an unknown one (audit F-7).
  ReportJsonValue key() { return quoted(Escapes::kRefused); }

  /// A value string: RFC 8259 escapes only, left as written.
  ReportJsonValue string() { return quoted(Escapes::kAllowed); }

  ReportJsonValue scalar() {
    const size_t offset = pos_;
    const int b = peek();
    if (b == kQuote) return string();
    ReportJsonValue v;
    v.offset = offset;
    if (is_digit(b)) {
      ++pos_;
      // No leading zeros: a "0" is a whole number and the context judges what follows it.
      if (b != kDigitZero) {
        while (is_digit(peek())) ++pos_;
      }
      v.kind = ReportJsonValue::Kind::kNumber;
      v.text.assign(reinterpret_cast<const char*>(bytes_.data()) + offset, pos_ - offset);
      return v;
    }
    if (b == 'n') {
      literal("null");
      v.kind = ReportJsonValue::Kind::kNull;
      return v;
    }
    if (b == 't' || b == 'f') {
      literal(b == 't' ? "true" : "false");
      v.kind = ReportJsonValue::Kind::kBoolean;
      v.boolean = b == 't';
      return v;
    }
    malformed(offset);
  }

  ReportJsonValue value() {
    if (peek() != kOpenBracket) return scalar();
    ReportJsonValue v;
    v.kind = ReportJsonValue::Kind::kArray;
    v.offset = pos_;
    ++pos_;
    skip_whitespace();
    if (peek() == kCloseBracket) {
      ++pos_;
      return v;
    }
    for (;;) {
      v.items.push_back(scalar());
      skip_whitespace();
      if (peek() == kCloseBracket) {
        ++pos_;
        return v;
      }
      expect(kComma);
      skip_whitespace();
    }
  }

 private:
  enum class Escapes { kAllowed, kRefused };

  /// A quoted run of printable bytes; fails at the first control byte, at a backslash where
  /// escapes are refused, or at the first byte that cannot continue an escape.
  ReportJsonValue quoted(Escapes escapes) {
    const size_t start = pos_;
    expect(kQuote);
    bool escaped = false;
    for (int b = peek(); b != kQuote; b = peek()) {
      if (b == kEnd || b < kFirstPrintable) malformed(pos_);
      if (b != kBackslash) {
        ++pos_;
        continue;
      }
      if (escapes == Escapes::kRefused) malformed(pos_);
      escaped = true;
      escape();
    }
    ReportJsonValue v;
    v.kind = ReportJsonValue::Kind::kString;
    v.text.assign(reinterpret_cast<const char*>(bytes_.data()) + start + 1, pos_ - start - 1);
    v.escaped = escaped;
    v.offset = start;
    ++pos_;  // closing quote
    return v;
  }

  /// One RFC 8259 escape, the cursor on its backslash. The end of input inside it fails at the
  /// input length (peek() is kEnd there, which neither test accepts).
  void escape() {
    ++pos_;  // backslash
    const int b = peek();
    if (b != kLetterU && !is_simple_escape(b)) malformed(pos_);
    ++pos_;
    if (b != kLetterU) return;
    for (size_t i = 0; i < kUnicodeEscapeDigits; ++i) {
      if (!is_hex_digit(peek())) malformed(pos_);
      ++pos_;
    }
  }

  ByteView bytes_;
  size_t pos_ = 0;
};

const std::string& require_unescaped_string(const std::string& field, const ReportJsonValue* value) {
  if (value->kind != ReportJsonValue::Kind::kString || value->escaped) {
    field_error("ReportFieldInvalid", field, "has the wrong type or an unsupported value");
  }
  return value->text;
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

std::vector<ReportJsonMember> parse_report_json(ByteView bytes) {
  Cursor c(bytes);
  std::vector<ReportJsonMember> members;
  std::set<std::string> seen;
  c.skip_whitespace();
  c.expect(kOpenBrace);
  c.skip_whitespace();
  if (c.peek() != kCloseBrace) {
    for (;;) {
      if (c.peek() != kQuote) malformed(c.pos());
      ReportJsonValue key = c.key();
      // Any repeated key is refused: JSON decoders disagree on which of its values wins.
      if (!seen.insert(key.text).second) {
        if (is_known_field(key.text)) field_error("ReportFieldDuplicated", key.text, "appears more than once");
        malformed(key.offset);
      }
      c.skip_whitespace();
      c.expect(kColon);
      c.skip_whitespace();
      ReportJsonValue value = c.value();
      members.push_back(ReportJsonMember{std::move(key.text), key.offset, std::move(value)});
      c.skip_whitespace();
      if (c.peek() == kCloseBrace) break;
      c.expect(kComma);
      c.skip_whitespace();
    }
  }
  c.advance();  // closing brace
  c.skip_whitespace();
  if (!c.at_end()) malformed(c.pos());
  return members;
}

std::optional<Bytes> decode_standard_base64(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  size_t padding = 0;
  if (!text.empty() && text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
  Bytes out;
  out.reserve(text.size() / 4 * 3 - padding);
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    int sextets[4] = {0, 0, 0, 0};
    for (size_t j = 0; j < 4; ++j) {
      if (last && j >= 4 - padding) continue;
      const int v = base64_value(text[i + j]);
      if (v < 0) return std::nullopt;
      sextets[j] = v;
    }
    // Canonical: with "==" the second sextet's low 4 bits, with "=" the third's low 2 bits are zero.
    if (last && padding == 2 && (sextets[1] & 0x0f) != 0) return std::nullopt;
    if (last && padding == 1 && (sextets[2] & 0x03) != 0) return std::nullopt;
    const uint32_t quantum = (static_cast<uint32_t>(sextets[0]) << 18) | (static_cast<uint32_t>(sextets[1]) << 12) |
                             (static_cast<uint32_t>(sextets[2]) << 6) | static_cast<uint32_t>(sextets[3]);
    const uint8_t bytes[3] = {static_cast<uint8_t>(quantum >> 16), static_cast<uint8_t>(quantum >> 8),
                              static_cast<uint8_t>(quantum)};
    const size_t count = last ? 3 - padding : 3;
    out.insert(out.end(), bytes, bytes + count);
  }
  return out;
}

std::optional<uint64_t> parse_ias_timestamp(std::string_view text) {
  if (text.size() < kTimestampLengthWithoutFraction) return std::nullopt;
  for (size_t i = 0; i < kTimestampLengthWithoutFraction; ++i) {
    const int c = static_cast<uint8_t>(text[i]);
    if (kTimestampShape[i] == 'd' ? !is_digit(c) : c != kTimestampShape[i]) return std::nullopt;
  }
  if (text.size() > kTimestampLengthWithoutFraction) {
    const size_t fraction = text.size() - kTimestampLengthWithoutFraction - 1;
    if (text[kTimestampLengthWithoutFraction] != '.' || fraction < 1 || fraction > kMaxFractionDigits) return std::nullopt;
    for (size_t i = kTimestampLengthWithoutFraction + 1; i < text.size(); ++i) {
      if (!is_digit(static_cast<uint8_t>(text[i]))) return std::nullopt;
    }
  }
  auto num = [&](size_t from, size_t count) {
    int v = 0;
    for (size_t i = from; i < from + count; ++i) v = v * 10 + (text[i] - '0');
    return v;
  };
  return unix_seconds(num(0, 4), num(5, 2), num(8, 2), num(11, 2), num(14, 2), num(17, 2));
}

ReportFields read_report_fields(ByteView report) {
  const std::vector<ReportJsonMember> members = parse_report_json(report);

  std::map<std::string, const ReportJsonValue*> by_key;
  for (const ReportJsonMember& m : members) {
    if (is_known_field(m.key)) by_key[m.key] = &m.value;
  }
  for (const char* field : kRequiredFields) {
    if (by_key.count(field) == 0) field_error("ReportFieldMissing", field, "is missing");
  }
  ReportFields fields;
  fields.id = require_unescaped_string("id", by_key.at("id"));
  fields.timestamp_text = require_unescaped_string("timestamp", by_key.at("timestamp"));
  fields.status = require_unescaped_string("isvEnclaveQuoteStatus", by_key.at("isvEnclaveQuoteStatus"));
  const std::string& quote_body_text = require_unescaped_string("isvEnclaveQuoteBody", by_key.at("isvEnclaveQuoteBody"));

  fields.version = kImplicitVersion;
  auto version = by_key.find("version");
  if (version != by_key.end()) {
    // Exactly one digit 2..5: "45", "6", "\"4\"" and null are all invalid ("04" is not a number).
    const ReportJsonValue& v = *version->second;
    if (v.kind != ReportJsonValue::Kind::kNumber || v.text.size() != 1) {
      field_error("ReportFieldInvalid", "version", "has the wrong type or an unsupported value");
    }
    fields.version = static_cast<unsigned>(v.text[0] - '0');
    if (fields.version < kMinVersion || fields.version > kMaxVersion) {
      field_error("ReportFieldInvalid", "version", "has the wrong type or an unsupported value");
    }
  }

  std::optional<Bytes> quote_body = decode_standard_base64(quote_body_text);
  if (!quote_body) throw EvidenceError("QuoteBodyEncodingInvalid", {}, "isvEnclaveQuoteBody is not standard padded base64");
  if (quote_body->size() != kIasQuoteBodySize) {
    throw EvidenceError("QuoteBodyLengthInvalid", {std::to_string(quote_body->size())},
                        "isvEnclaveQuoteBody decodes to " + std::to_string(quote_body->size()) + " bytes, expected 432");
  }
  fields.quote_body = std::move(*quote_body);

  const std::optional<uint64_t> timestamp = parse_ias_timestamp(fields.timestamp_text);
  if (!timestamp) {
    throw EvidenceError("ReportTimestampInvalid", {}, "report timestamp is not YYYY-MM-DDTHH:MM:SS[.ffffff] UTC");
  }
  fields.timestamp = *timestamp;

  auto advisories = by_key.find("advisoryIDs");
  if (advisories != by_key.end() && advisories->second->kind == ReportJsonValue::Kind::kArray) {
    for (const ReportJsonValue& item : advisories->second->items) {
      if (item.kind == ReportJsonValue::Kind::kString) fields.advisory_ids.push_back(item.text);
    }
  }
  return fields;
}

}  // namespace anonify::attestation
