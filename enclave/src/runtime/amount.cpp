#include "anonify/runtime/amount.h"

#include <algorithm>

namespace anonify::runtime {

namespace {
constexpr Amount kTen = 10;
}  // namespace

ParsedAmount parse_amount(std::string_view text) {
  if (text.empty() || text.size() > kMaxAmountDigits) return {AmountParse::kMalformed, 0};
  if (text.size() > 1 && text[0] == '0') return {AmountParse::kMalformed, 0};
  for (char c : text) {
    if (c < '0' || c > '9') return {AmountParse::kMalformed, 0};
  }
  Amount value = 0;
  for (char c : text) {
    const Amount digit = static_cast<Amount>(c - '0');
    if (value > (kMaxAmount - digit) / kTen) return {AmountParse::kTooLarge, 0};
    value = value * kTen + digit;
  }
  return {AmountParse::kOk, value};
}

std::string format_amount(Amount value) {
  if (value == 0) return "0";
  std::string out;
  while (value != 0) {
    out.push_back(static_cast<char>('0' + static_cast<int>(value % kTen)));
    value /= kTen;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::optional<Amount> checked_add(Amount a, Amount b) {
  if (a > kMaxAmount - b) return std::nullopt;
  return a + b;
}

}  // namespace anonify::runtime
