// The runtime SDK's strict JSON input (anonify/runtime/json_input.h): what parse_object accepts.
#include <gtest/gtest.h>

#include <string>

#include "anonify/runtime/json_input.h"

namespace anonify::runtime::detail {
namespace {

bool parses(const std::string& text) { return parse_object(ByteView::from_string(text)).has_value(); }

TEST(RuntimeJsonInput, ARepeatedMemberIsRefusedAtAnyDepth) {
  // The parser alone keeps the last value; a client showing or signing the text may read the first.
  for (const char* text : {
           R"({"op":"transfer","amount":"1","amount":"1000"})",
           R"({"a":1,"b":2,"a":1})",
           R"({"outer":{"k":1,"k":2}})",
           R"({"list":[{"k":1},{"k":1,"k":2}]})",
           R"({"a":{"b":{"c":{"d":1,"d":1}}}})",
           R"({"":1,"":2})",
           // The same name once escaped and once not is the same member.
           R"({"op":"x","\u006fp":"y"})",
       }) {
    EXPECT_FALSE(parses(text)) << text;
  }
}

TEST(RuntimeJsonInput, TheSameNameInDifferentObjectsIsNotARepeat) {
  for (const char* text : {
           R"({"op":"transfer","to":"0x00","amount":"1"})",
           R"({"a":{"k":1},"b":{"k":2},"k":3})",
           R"({"list":[{"k":1},{"k":2}],"k":[]})",
           R"({"a":{"b":{"c":{"d":1,"e":2}}},"b":1})",
           R"({})",
       }) {
    EXPECT_TRUE(parses(text)) << text;
  }
  const std::optional<Json> doc = parse_object(ByteView::from_string(R"({"a":{"k":1},"b":{"k":2}})"));
  ASSERT_TRUE(doc.has_value());
  EXPECT_EQ((*doc)["a"]["k"], 1);
  EXPECT_EQ((*doc)["b"]["k"], 2);
}

TEST(RuntimeJsonInput, OnlyObjectsWithinTheDepthLimitParse) {
  for (const char* text : {"", "[]", "\"x\"", "1", "{", R"({"a":1} {})", R"({"a":[[[[1]]]]})", R"({"a":{"b":{"c":{"d":{}}}}})"}) {
    EXPECT_FALSE(parses(text)) << text;
  }
  EXPECT_TRUE(parses(R"({"a":[[[1]]]})"));
  EXPECT_TRUE(parses(R"({"a":{"b":{"c":{}}}})"));
}

}  // namespace
}  // namespace anonify::runtime::detail
