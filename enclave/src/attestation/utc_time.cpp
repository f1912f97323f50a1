#include "attestation/utc_time.h"

namespace anonify::attestation {

namespace {

constexpr int64_t kYearsPerEra = 400;
constexpr int64_t kDaysPerEra = 146097;
/// Days from 0000-03-01 to 1970-01-01 in the era-based calendar.
constexpr int64_t kDaysToUnixEpoch = 719468;
constexpr uint64_t kSecondsPerDay = 86400;

bool is_leap_year(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int days_in_month(int year, int month) {
  if (month == 2) return is_leap_year(year) ? 29 : 28;
  return (month == 4 || month == 6 || month == 9 || month == 11) ? 30 : 31;
}

/// Howard Hinnant's days_from_civil; only called with year >= 1970, so every quantity is >= 0.
int64_t days_from_civil(int year, int month, int day) {
  const int64_t y = month <= 2 ? year - 1 : year;
  const int64_t era = y / kYearsPerEra;
  const int64_t year_of_era = y - era * kYearsPerEra;
  const int64_t shifted_month = (month + 9) % 12;
  const int64_t day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * kDaysPerEra + day_of_era - kDaysToUnixEpoch;
}

}  // namespace

std::optional<uint64_t> unix_seconds(int year, int month, int day, int hour, int minute, int second) {
  if (year < kMinYear || year > kMaxYear || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month)) {
    return std::nullopt;
  }
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return std::nullopt;
  const int64_t days = days_from_civil(year, month, day);
  return static_cast<uint64_t>(days) * kSecondsPerDay + static_cast<uint64_t>(hour * 3600 + minute * 60 + second);
}

}  // namespace anonify::attestation
