/**
 * UTC calendar time to unix seconds for the two time formats the verifier reads (IAS report
 * timestamps, X.509 validity), with the same range rules as `contracts/lib/DateTime.sol`.
 */

const YEARS_PER_ERA = 400;
const DAYS_PER_ERA = 146_097;
/** Days from 0000-03-01 to 1970-01-01 in the era-based calendar. */
const DAYS_TO_UNIX_EPOCH = 719_468;
const SECONDS_PER_DAY = 86_400n;

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  // Years start on March 1st so the leap day is the last day of the year.
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / YEARS_PER_ERA);
  const yearOfEra = y - era * YEARS_PER_ERA;
  const shiftedMonth = (month + 9) % 12;
  const dayOfYear = Math.floor((153 * shiftedMonth + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * DAYS_PER_ERA + dayOfEra - DAYS_TO_UNIX_EPOCH;
}

/** Days of `month` (1..12) in `year`, Gregorian leap-year rule. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

export const MIN_YEAR = 1970;
export const MAX_YEAR = 9999;

/** Unix seconds of a UTC calendar time, or undefined when a field is out of range (no leap seconds). */
export function unixSeconds(year: number, month: number, day: number, hour: number, minute: number, second: number): bigint | undefined {
  if (year < MIN_YEAR || year > MAX_YEAR || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  return BigInt(daysFromCivil(year, month, day)) * SECONDS_PER_DAY + BigInt(hour * 3600 + minute * 60 + second);
}
