#include <gtest/gtest.h>

#include <string>

#include "anonify/json_depth.h"

namespace anonify {
namespace {

std::optional<size_t> exceeded_at(const std::string& text, size_t max_depth) {
  return json_depth_exceeded_at(ByteView(reinterpret_cast<const uint8_t*>(text.data()), text.size()), max_depth);
}

TEST(JsonDepth, AcceptsInputWithinTheLimit) {
  EXPECT_EQ(exceeded_at("", 0), std::nullopt);
  EXPECT_EQ(exceeded_at("1", 0), std::nullopt);
  EXPECT_EQ(exceeded_at(R"({"a":[1,{"b":2}]})", 3), std::nullopt);
  EXPECT_EQ(exceeded_at("[][][]", 1), std::nullopt);  // siblings do not add up
}

TEST(JsonDepth, NamesTheByteThatOpensTheLevelPastTheLimit) {
  EXPECT_EQ(exceeded_at(R"({"a":[1,{"b":2}]})", 2), std::optional<size_t>(8));
  EXPECT_EQ(exceeded_at("[[[", 2), std::optional<size_t>(2));
  EXPECT_EQ(exceeded_at("{", 0), std::optional<size_t>(0));
}

TEST(JsonDepth, IgnoresBracketsInsideStringsIncludingEscapedQuotes) {
  EXPECT_EQ(exceeded_at(R"({"k":"[[[{{{"})", 1), std::nullopt);
  EXPECT_EQ(exceeded_at(R"({"k":"\"[[[\\"})", 1), std::nullopt);
  // After an escaped backslash the quote closes the string, so the bracket after it counts.
  EXPECT_EQ(exceeded_at(R"(["\\",[)", 1), std::optional<size_t>(6));
}

TEST(JsonDepth, UnbalancedClosersNeverGoBelowZero) {
  EXPECT_EQ(exceeded_at("]]]}}}[", 1), std::nullopt);
  EXPECT_EQ(exceeded_at("]][[", 1), std::optional<size_t>(3));
}

}  // namespace
}  // namespace anonify
