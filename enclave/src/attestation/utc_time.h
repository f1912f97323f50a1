// UTC calendar time to unix seconds, with the range rules of contracts/lib/DateTime.sol and
// src/attestation/time.ts: the two time formats the IAS rules read (report timestamps, X.509
// validity) go through this one function.
#pragma once

#include <cstdint>
#include <optional>

namespace anonify::attestation {

constexpr int kMinYear = 1970;
constexpr int kMaxYear = 9999;

/// Unix seconds of a UTC calendar time (proleptic Gregorian, no leap seconds), or nullopt when a
/// field is out of range: year 1970..9999, month 1..12, day within the month, hour <= 23,
/// minute and second <= 59.
std::optional<uint64_t> unix_seconds(int year, int month, int day, int hour, int minute, int second);

}  // namespace anonify::attestation
