// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title DateTime
 * @notice Proleptic-Gregorian civil date/time (UTC) to unix seconds, with range checks.
 * @dev Used for X.509 validity times and the IAS report timestamp. Years before 1970 are refused,
 * so every result is a non-negative number of seconds.
 */
library DateTime {
    uint256 internal constant MIN_YEAR = 1970;
    uint256 internal constant MAX_YEAR = 9999;
    uint256 private constant SECONDS_PER_DAY = 86_400;
    uint256 private constant SECONDS_PER_HOUR = 3_600;
    uint256 private constant SECONDS_PER_MINUTE = 60;
    /// @dev Days from 0000-03-01 to 1970-01-01 in the era-based civil calendar.
    uint256 private constant DAYS_TO_UNIX_EPOCH = 719_468;
    uint256 private constant DAYS_PER_ERA = 146_097;
    uint256 private constant YEARS_PER_ERA = 400;

    /// @notice Whether the fields form a real UTC date-time in [1970, 9999] (no leap seconds).
    function isValid(uint256 year, uint256 month, uint256 day, uint256 hour, uint256 minute, uint256 second)
        internal
        pure
        returns (bool)
    {
        if (year < MIN_YEAR || year > MAX_YEAR || month < 1 || month > 12 || day < 1) return false;
        if (day > daysInMonth(year, month)) return false;
        return hour < 24 && minute < 60 && second < 60;
    }

    /// @notice Number of days of `month` (1..12) in `year`.
    function daysInMonth(uint256 year, uint256 month) internal pure returns (uint256) {
        if (month == 2) return isLeapYear(year) ? 29 : 28;
        if (month == 4 || month == 6 || month == 9 || month == 11) return 30;
        return 31;
    }

    /// @notice Gregorian leap-year rule.
    function isLeapYear(uint256 year) internal pure returns (bool) {
        return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    }

    /**
     * @notice Unix seconds of a date-time already checked with {isValid}.
     * @dev Days-from-civil (H. Hinnant): years start on March 1st so the leap day is the last day
     * of the year; all intermediate values are non-negative for years >= 1970.
     */
    function toUnixSeconds(uint256 year, uint256 month, uint256 day, uint256 hour, uint256 minute, uint256 second)
        internal
        pure
        returns (uint256)
    {
        unchecked {
            if (month <= 2) year -= 1;
            uint256 era = year / YEARS_PER_ERA;
            uint256 yearOfEra = year - era * YEARS_PER_ERA;
            uint256 shiftedMonth = month > 2 ? month - 3 : month + 9;
            uint256 dayOfYear = (153 * shiftedMonth + 2) / 5 + day - 1;
            uint256 dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear;
            uint256 days_ = era * DAYS_PER_ERA + dayOfEra - DAYS_TO_UNIX_EPOCH;
            return days_ * SECONDS_PER_DAY + hour * SECONDS_PER_HOUR + minute * SECONDS_PER_MINUTE + second;
        }
    }
}
