// The IAS report body reader: the exact byte-level JSON subset the on-chain IasVerifier accepts,
// mirroring src/attestation/reportJson.ts (grammar) and report.ts (fields), so the three verifiers
// reject the same inputs with the same error at the same byte offset. Normative text:
// docs/attestation-onchain.md, "Step 4: the JSON grammar", with the strict rules of audit F-7 (no
// escapes in keys, no repeated key, no control bytes, RFC 8259 escapes only, no leading zeros).
//
//   report    = ws "{" ws [ member *( ws "," ws member ) ws ] "}" ws      (then end of input)
//   member    = key ws ":" ws value
//   key       = DQUOTE *char DQUOTE                                       (no escapes in keys)
//   value     = string / number / "null" / "true" / "false" / array
//   array     = "[" ws [ scalar *( ws "," ws scalar ) ws ] "]"            (no nesting)
//   scalar    = string / number / "null" / "true" / "false"
//   string    = DQUOTE *( char / escape ) DQUOTE
//   char      = %x20-21 / %x23-5B / %x5D-FF            (no control bytes; non-ASCII not UTF-8-checked)
//   escape    = "\" ( DQUOTE / "\" / "/" / "b" / "f" / "n" / "r" / "t" / "u" 4HEXDIG )
//   number    = "0" / ( %x31-39 *DIGIT )                                  (no leading zeros)
//   ws        = *( SP / HTAB / LF / CR )
//
// A failure reports the offset of the first byte that cannot continue the grammar, the first
// letter of a broken null/true/false, or the input length when it ends early. A key seen a second
// time fails right after its closing quote, before its ':': a known key with
// ReportFieldDuplicated, any other with ReportMalformed at its opening quote.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "anonify/bytes.h"

namespace anonify::attestation {

/// One scalar or array value of a report member.
struct ReportJsonValue {
  enum class Kind { kString, kNumber, kNull, kBoolean, kArray };
  Kind kind = Kind::kNull;
  /// kString: the bytes between the quotes (escapes left as written); kNumber: the digits.
  std::string text;
  bool escaped = false;  ///< kString: a backslash occurred
  bool boolean = false;  ///< kBoolean
  size_t offset = 0;
  std::vector<ReportJsonValue> items;  ///< kArray: scalars only
};

struct ReportJsonMember {
  std::string key;  ///< the key's bytes between the quotes (keys hold no escapes)
  size_t key_offset = 0;
  ReportJsonValue value;
};

/// Parses a report body into its members in document order. Throws EvidenceError
/// ReportMalformed(offset) on a grammar violation or a repeated unknown key, and
/// ReportFieldDuplicated(key) when a known report field (kKnownReportFields) appears a second time.
std::vector<ReportJsonMember> parse_report_json(ByteView bytes);

/// Keys IAS documents (v2..v5). Unknown keys are skipped (but may not repeat either).
extern const char* const kKnownReportFields[14];

/// The report fields the verifier uses, before any signature-key or policy judgement.
struct ReportFields {
  std::string id;
  std::string timestamp_text;  ///< as written, e.g. "2019-11-16T17:23:27.854380"
  uint64_t timestamp = 0;      ///< unix seconds (fraction dropped)
  unsigned version = 2;
  std::string status;          ///< isvEnclaveQuoteStatus, its raw bytes
  Bytes quote_body;            ///< 432 bytes
  std::vector<std::string> advisory_ids;  ///< string items of advisoryIDs, raw (not judged)
};

/// Strict standard padded base64 (RFC 4648 section 4, canonical); nullopt when not of that form.
std::optional<Bytes> decode_standard_base64(std::string_view text);

/// `YYYY-MM-DDTHH:MM:SS[.1-6 digits]` UTC to unix seconds; nullopt when not of that form or no
/// real instant.
std::optional<uint64_t> parse_ias_timestamp(std::string_view text);

/// Parses report bytes and reads its fields in the contract's order: grammar (ReportMalformed)
/// and repeated known keys (ReportFieldDuplicated) in one scan; presence of id, timestamp,
/// isvEnclaveQuoteStatus, isvEnclaveQuoteBody (ReportFieldMissing); each of them a string without
/// backslash (ReportFieldInvalid, same order); version (ReportFieldInvalid); the quote body
/// (QuoteBodyEncodingInvalid, QuoteBodyLengthInvalid); the timestamp (ReportTimestampInvalid).
ReportFields read_report_fields(ByteView report);

}  // namespace anonify::attestation
