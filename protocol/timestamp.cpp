#include "protocol/timestamp.hpp"

#include <climits>
#include <cstdint>
#include <cstring>

namespace chatd::protocol {
namespace {

struct civil_time {
  std::int64_t year;
  unsigned month, day, hour, minute, second, millisecond;
};

// Days since 1970-01-01 to a proleptic Gregorian date: H. Hinnant's civil_from_days, in plain
// integer arithmetic so any int64 millisecond value works without touching the C library.
civil_time to_civil(timestamp_ms ts) {
  constexpr std::int64_t ms_per_day = 86'400'000;
  std::int64_t days = ts / ms_per_day;
  std::int64_t ms_of_day = ts % ms_per_day;
  if (ms_of_day < 0) {  // floor, not truncate, for times before the epoch
    ms_of_day += ms_per_day;
    --days;
  }
  const std::int64_t z = days + 719'468;
  const std::int64_t era = (z >= 0 ? z : z - 146'096) / 146'097;
  const std::int64_t doe = z - era * 146'097;                                 // [0, 146096]
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36'524 - doe / 146'096) / 365;  // [0, 399]
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);           // [0, 365]
  const std::int64_t mp = (5 * doy + 2) / 153;                                // [0, 11]
  const auto day = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
  const auto month = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
  const std::int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const auto ms = static_cast<unsigned>(ms_of_day);
  return {year, month, day, ms / 3'600'000, ms / 60'000 % 60, ms / 1000 % 60, ms % 1000};
}

// Writes `value` in decimal, zero-padded to at least `width` digits, at `p` and returns the end.
// By hand rather than printf: it runs for every message, and needs no locale and no format
// string. Into a buffer rather than the string, so that a timestamp is one append, not 24.
char* put_number(char* p, std::int64_t value, int width) {
  if (value < 0) *p++ = '-';
  auto magnitude = value < 0 ? 0 - static_cast<std::uint64_t>(value) : static_cast<std::uint64_t>(value);
  char digits[20];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + magnitude % 10);
    magnitude /= 10;
  } while (magnitude != 0);
  for (int pad = n; pad < width; ++pad) *p++ = '0';
  while (n > 0) *p++ = digits[--n];
  return p;
}

}  // namespace

char* put_iso8601(char* out, timestamp_ms ts) {
  // Every message of one read has the same timestamp, and all of a second share everything up
  // to the milliseconds: the calendar arithmetic runs once a second, not once a message.
  static thread_local std::int64_t cached_second = INT64_MIN;
  static thread_local char prefix[40];  // "2026-11-22T01:56:35."
  static thread_local std::size_t prefix_size = 0;
  std::int64_t second = ts / 1000;  // floored, without overflow at either end
  int ms = static_cast<int>(ts % 1000);
  if (ms < 0) {
    ms += 1000;
    --second;
  }
  if (second != cached_second) {
    const civil_time t = to_civil(ts);
    char* p = put_number(prefix, t.year, 4);
    *p++ = '-';
    p = put_number(p, t.month, 2);
    *p++ = '-';
    p = put_number(p, t.day, 2);
    *p++ = 'T';
    p = put_number(p, t.hour, 2);
    *p++ = ':';
    p = put_number(p, t.minute, 2);
    *p++ = ':';
    p = put_number(p, t.second, 2);
    *p++ = '.';
    prefix_size = static_cast<std::size_t>(p - prefix);
    cached_second = second;
  }
  std::memcpy(out, prefix, prefix_size);
  out += prefix_size;
  *out++ = static_cast<char>('0' + ms / 100);
  *out++ = static_cast<char>('0' + ms / 10 % 10);
  *out++ = static_cast<char>('0' + ms % 10);
  *out++ = 'Z';
  return out;
}

void append_iso8601(std::string& out, timestamp_ms ts) {
  char text[48];  // the longest year has 20 characters
  out.append(text, static_cast<std::size_t>(put_iso8601(text, ts) - text));
}

std::string hours_minutes(timestamp_ms ts) {
  const civil_time t = to_civil(ts);
  char text[8];
  char* p = put_number(text, t.hour, 2);
  *p++ = ':';
  p = put_number(p, t.minute, 2);
  return std::string(text, static_cast<std::size_t>(p - text));
}

}  // namespace chatd::protocol
