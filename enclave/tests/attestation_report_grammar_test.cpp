// The strict report grammar of audit F-7 in the enclave's IAS verifier (attestation/ias_report_json.h),
// with the offsets the contract and the TypeScript verifier give (docs/attestation-onchain.md, step 4).
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "attestation_ias_test_util.h"

namespace anonify::attestation {
namespace {

using namespace ias_testing;  // NOLINT(google-build-using-namespace): the shared test vocabulary

// The strict grammar of audit F-7 (docs/attestation-onchain.md, step 4), the same in the contract
// and the TypeScript verifier: first on short bodies whose offsets can be counted by hand ...
std::string byte(uint8_t b) { return std::string(1, static_cast<char>(b)); }

TEST(AttestationIas, StrictGrammarOffsetsOnShortBodies) {
  EXPECT_REFUSAL(verify_simulated("{\"a\":\"x" + byte(0x00) + "\"}"), "ReportMalformed", "7");  // control byte
  EXPECT_REFUSAL(verify_simulated("{\"a" + byte(0x1f) + "\":1}"), "ReportMalformed", "3");      // ... in a key
  EXPECT_REFUSAL(verify_simulated("{\"\\u0061\":1}"), "ReportMalformed", "2");    // a key holds no escape
  EXPECT_REFUSAL(verify_simulated("{\"a\":\"\\q\"}"), "ReportMalformed", "7");     // not an RFC 8259 escape
  EXPECT_REFUSAL(verify_simulated("{\"a\":\"\\u\"}"), "ReportMalformed", "8");     // \u needs four hex digits
  EXPECT_REFUSAL(verify_simulated("{\"a\":\"\\u12x4\"}"), "ReportMalformed", "10");
  EXPECT_REFUSAL(verify_simulated("{\"a\":\"\\u12"), "ReportMalformed", "10");     // ends inside: the length
  EXPECT_REFUSAL(verify_simulated("{\"a\":007}"), "ReportMalformed", "6");         // "0" ends the number
  EXPECT_REFUSAL(verify_simulated("{\"a\":[0,01]}"), "ReportMalformed", "9");
  EXPECT_REFUSAL(verify_simulated("{\"a\":1,\"a\" x"), "ReportMalformed", "7");     // repeated, before its ':'
}

// ... then on a real report body (Intel's, re-signed with the development key), one change each.
class AttestationIasStrictGrammar : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_THROW(verify_simulated(report_)); }

  /// The report with `member` appended as its last member.
  std::string with_member(const std::string& member) const { return report_.substr(0, report_.size() - 1) + "," + member + "}"; }

  /// The offset, in with_member(member), of member[index].
  std::string at(size_t index) const { return std::to_string(report_.size() + index); }

  /// with_member(member) cut short right after `member`: the input ends inside it.
  std::string ending_in(const std::string& member) const { return with_member(member).substr(0, report_.size() + member.size()); }

  const std::string report_ = read_text_file(vector_path("ias/powersoftau_2019-11-16_v3_OK/report.json"));
};

TEST_F(AttestationIasStrictGrammar, AuditProofsOfConceptAreRefused) {
  // F-7: the status key spelled with an escape was skipped as unknown, while a JSON decoder reads
  // it as a second isvEnclaveQuoteStatus (JSON.parse: the last one wins over the signed "OK").
  const std::string escaped_key = "\"isvEnclaveQuote\\u0053tatus\":\"GROUP_OUT_OF_DATE\"";
  EXPECT_REFUSAL(verify_simulated(with_member(escaped_key)), "ReportMalformed", at(escaped_key.find('\\')));
  // F-7b: raw control bytes, an invented escape and leading zeros were all accepted.
  const std::string lax = "\"x\":\"" + byte(0x00) + byte(0x01) + "\\q" + byte(0x0a) + "\",\"y\":007";
  EXPECT_REFUSAL(verify_simulated(with_member(lax)), "ReportMalformed", at(lax.find('\0')));
}

TEST_F(AttestationIasStrictGrammar, ControlBytesAreRefusedInStringsAndKeys) {
  for (const uint8_t control : {0x00, 0x01, 0x09, 0x0a, 0x0d, 0x1f}) {
    SCOPED_TRACE(static_cast<int>(control));
    const std::string in_value = "\"x\":\"a" + byte(control) + "b\"";
    EXPECT_REFUSAL(verify_simulated(with_member(in_value)), "ReportMalformed", at(in_value.find(byte(control))));
    const std::string in_key = "\"x" + byte(control) + "\":1";
    EXPECT_REFUSAL(verify_simulated(with_member(in_key)), "ReportMalformed", at(in_key.find(byte(control))));
    const std::string in_array = "\"x\":[\"a\",\"" + byte(control) + "\"]";
    EXPECT_REFUSAL(verify_simulated(with_member(in_array)), "ReportMalformed", at(in_array.find(byte(control))));
  }
  // In a known field too: a raw tab in the status.
  std::string status_with_tab = report_;
  const size_t status_value = status_with_tab.find("\"isvEnclaveQuoteStatus\":\"OK\"") + 25;
  status_with_tab.insert(status_value, byte(0x09));
  EXPECT_REFUSAL(verify_simulated(status_with_tab), "ReportMalformed", std::to_string(status_value));
  // DEL and non-ASCII bytes are no control bytes (and are not UTF-8-checked), in keys and values.
  EXPECT_NO_THROW(verify_simulated(with_member("\"x" + byte(0x7f) + byte(0xff) + "\":\"" + byte(0x7f) + byte(0x80) + byte(0xff) + "\"")));
  EXPECT_NO_THROW(verify_simulated(with_member("\" !#[]~\":\" !#[]~\"")));
}

TEST_F(AttestationIasStrictGrammar, KeysHoldNoEscape) {
  for (const std::string key : {"\"\\u0069d\"", "\"a\\\"b\"", "\"a\\\\\"", "\"a\\/\"", "\"\\q\""}) {
    SCOPED_TRACE(key);
    const std::string member = key + ":1";
    EXPECT_REFUSAL(verify_simulated(with_member(member)), "ReportMalformed", at(member.find('\\')));
  }
  const std::string cut = ending_in("\"abc");
  EXPECT_REFUSAL(verify_simulated(cut), "ReportMalformed", std::to_string(cut.size()));
}

TEST_F(AttestationIasStrictGrammar, OnlyRfc8259EscapesInValueStrings) {
  EXPECT_NO_THROW(verify_simulated(with_member(R"("x":"\" \\ \/ \b \f \n \r \t \u0000 \u00e9 \uABCD \uFfFf","y":["\u0041\n"])")));
  // Any other byte after the backslash: its offset.
  for (const std::string& bad : std::vector<std::string>{"\\q", "\\U0041", "\\x41", "\\'", "\\0", "\\a", "\\ ", "\\" + byte(0x01),
                                                          "\\" + byte(0xe9)}) {
    SCOPED_TRACE(bad);
    const std::string member = "\"x\":\"a" + bad + "\"";
    EXPECT_REFUSAL(verify_simulated(with_member(member)), "ReportMalformed", at(member.find('\\') + 1));
    const std::string in_array = "\"x\":[\"a\",\"" + bad + "\"]";
    EXPECT_REFUSAL(verify_simulated(with_member(in_array)), "ReportMalformed", at(in_array.find('\\') + 1));
  }
  // After \u, the first byte that is no hex digit (the closing quote included).
  for (const std::string bad : {"\\uG000", "\\u0G00", "\\u00g0", "\\u000G", "\\u12\"", "\\u\"", "\\u 123", "\\u-123"}) {
    SCOPED_TRACE(bad);
    const std::string member = "\"x\":\"a" + bad + "\"";
    const size_t first_bad = bad.find_first_not_of("0123456789", 2);  // past the \ and the u; no hex letters before it
    EXPECT_REFUSAL(verify_simulated(with_member(member)), "ReportMalformed", at(member.find('\\') + first_bad));
  }
  // Left to right: the first offending byte wins.
  const std::string control_first = "\"x\":\"" + byte(0x01) + "\\q\"";
  EXPECT_REFUSAL(verify_simulated(with_member(control_first)), "ReportMalformed", at(control_first.find('\x01')));
  const std::string escape_first = "\"x\":\"\\q" + byte(0x01) + "\"";
  EXPECT_REFUSAL(verify_simulated(with_member(escape_first)), "ReportMalformed", at(escape_first.find('q')));
  // The input ending inside an escape: its length.
  for (const std::string open : {"\"x\":\"\\", "\"x\":\"\\u", "\"x\":\"\\u12", "\"x\":\"\\u123", "\"x\":[\"\\u00A"}) {
    SCOPED_TRACE(open);
    const std::string cut = ending_in(open);
    EXPECT_REFUSAL(verify_simulated(cut), "ReportMalformed", std::to_string(cut.size()));
  }
}

TEST_F(AttestationIasStrictGrammar, NumbersHaveNoLeadingZeros) {
  EXPECT_NO_THROW(verify_simulated(with_member("\"x\":0,\"y\":[0, 0 ,10,9007199254740993],\"z\":100")));
  // The first byte after the leading "0" and any whitespace, which the context refuses.
  for (const std::string member : {"\"x\":007", "\"x\":00", "\"x\":01", "\"x\":[1,00]", "\"x\":[07]", "\"x\":[0 0]", "\"x\":0 1"}) {
    SCOPED_TRACE(member);
    const size_t zero = member.find('0', member.find(':'));
    EXPECT_REFUSAL(verify_simulated(with_member(member)), "ReportMalformed", at(member.find_first_not_of(' ', zero + 1)));
  }
  // The real version 3 written "03": the "3".
  std::string version = report_;
  const size_t digit = version.find("\"version\":3") + 10;
  version.insert(digit, "0");
  EXPECT_REFUSAL(verify_simulated(version), "ReportMalformed", std::to_string(digit + 1));
}

TEST_F(AttestationIasStrictGrammar, RepeatedKeys) {
  // An unknown key again: at its opening quote, right after its closing quote (before its ':').
  const std::string repeated = "\"x\":1,\"y\":2,\"x\":3";
  EXPECT_REFUSAL(verify_simulated(with_member(repeated)), "ReportMalformed", at(repeated.rfind("\"x\"")));
  const std::string no_colon = "\"x\":1,\"x\" garbage";
  EXPECT_REFUSAL(verify_simulated(with_member(no_colon)), "ReportMalformed", at(no_colon.rfind("\"x\"")));
  const std::string cut = "\"x\":1,\"x\"";
  EXPECT_REFUSAL(verify_simulated(ending_in(cut)), "ReportMalformed", at(cut.rfind("\"x\"")));
  const std::string empty_twice = "\"\":1,\"\":2";
  EXPECT_REFUSAL(verify_simulated(with_member(empty_twice)), "ReportMalformed", at(empty_twice.rfind("\"\"")));
  // Keys are their bytes: different bytes, different keys.
  EXPECT_NO_THROW(verify_simulated(with_member("\"x\":1,\"X\":2,\"x \":3,\"\":4")));
  // A known key again keeps its own error.
  EXPECT_REFUSAL(verify_simulated(with_member("\"isvEnclaveQuoteStatus\":\"GROUP_OUT_OF_DATE\"")), "ReportFieldDuplicated",
                 "isvEnclaveQuoteStatus");
  EXPECT_REFUSAL(verify_simulated(with_member("\"x\":1,\"version\":3,\"x\":1")), "ReportFieldDuplicated", "version");
}


}  // namespace
}  // namespace anonify::attestation
