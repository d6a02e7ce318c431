// append_iso8601 and hours_minutes: exact text across the whole int64 range, including negative
// years (format_test.cpp covers the common dates through format_iso8601).
#include "protocol/timestamp.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <utility>

namespace chatd::protocol {
namespace {

std::string iso(timestamp_ms ts) {
  std::string out = "ts=";
  append_iso8601(out, ts);
  return out;
}

TEST(AppendIso8601, AppendsUtcWithMillisecondsAndZ) {
  EXPECT_EQ(iso(0), "ts=1970-01-01T00:00:00.000Z");
  EXPECT_EQ(iso(1'795'312'595'123), "ts=2026-11-22T01:56:35.123Z");
  EXPECT_EQ(iso(-1), "ts=1969-12-31T23:59:59.999Z");
}

TEST(AppendIso8601, WritesYearsBeforeZeroAndPastFourDigits) {
  EXPECT_EQ(iso(-62'167'219'200'001), "ts=-0001-12-31T23:59:59.999Z");
  EXPECT_EQ(iso(-62'198'755'200'000), "ts=-0001-01-01T00:00:00.000Z");
  EXPECT_EQ(iso(253'402'300'800'000), "ts=10000-01-01T00:00:00.000Z");
  EXPECT_EQ(iso(std::numeric_limits<timestamp_ms>::min()), "ts=-292275055-05-16T16:47:04.192Z");
  EXPECT_EQ(iso(std::numeric_limits<timestamp_ms>::max()), "ts=292278994-08-17T07:12:55.807Z");
}

// The date and time up to the second are kept from one call to the next: each call must still
// give its own, whichever second came before.
TEST(AppendIso8601, GivesEachCallItsOwnSecondAndMilliseconds) {
  const std::pair<timestamp_ms, const char*> sequence[] = {
      {1'795'312'595'123, "ts=2026-11-22T01:56:35.123Z"},
      {1'795'312'595'999, "ts=2026-11-22T01:56:35.999Z"},
      {1'795'312'596'000, "ts=2026-11-22T01:56:36.000Z"},
      {1'795'312'595'000, "ts=2026-11-22T01:56:35.000Z"},
      {0, "ts=1970-01-01T00:00:00.000Z"},
      {-1, "ts=1969-12-31T23:59:59.999Z"},
      {-1000, "ts=1969-12-31T23:59:59.000Z"},
      {-1001, "ts=1969-12-31T23:59:58.999Z"},
      {999, "ts=1970-01-01T00:00:00.999Z"},
      {std::numeric_limits<timestamp_ms>::min(), "ts=-292275055-05-16T16:47:04.192Z"},
      {std::numeric_limits<timestamp_ms>::max(), "ts=292278994-08-17T07:12:55.807Z"},
      {1'795'312'595'123, "ts=2026-11-22T01:56:35.123Z"},
  };
  for (const auto& [ts, text] : sequence) EXPECT_EQ(iso(ts), text) << ts;
}

TEST(HoursMinutes, IsUtcHhMm) {
  EXPECT_EQ(hours_minutes(0), "00:00");
  EXPECT_EQ(hours_minutes(1'795'312'595'123), "01:56");
  EXPECT_EQ(hours_minutes(-1), "23:59");
  EXPECT_EQ(hours_minutes(std::numeric_limits<timestamp_ms>::max()), "07:12");
}

}  // namespace
}  // namespace chatd::protocol
