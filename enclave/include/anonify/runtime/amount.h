// Token amounts: unsigned 128-bit integers carried as decimal strings on the wire. The wire format
// allows uint256; the runtime caps at 2^128 - 1 and rejects larger values with a reason, which keeps
// every sum and difference in one machine type with explicit overflow checks.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace anonify::runtime {

using Amount = unsigned __int128;

constexpr Amount kMaxAmount = ~static_cast<Amount>(0);
/// Longest decimal string accepted before the range check (uint256 has 78 digits).
constexpr size_t kMaxAmountDigits = 78;

enum class AmountParse { kOk, kMalformed, kTooLarge };

struct ParsedAmount {
  AmountParse status;
  Amount value;
};

/// Parses a canonical decimal string: digits only, no sign, no leading zero (except "0"), at most
/// kMaxAmountDigits. kTooLarge when well-formed but above kMaxAmount.
ParsedAmount parse_amount(std::string_view text);

/// Decimal string of an amount.
std::string format_amount(Amount value);

/// a + b, nullopt on overflow.
std::optional<Amount> checked_add(Amount a, Amount b);

}  // namespace anonify::runtime
