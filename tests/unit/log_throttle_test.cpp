#include "server/logging/log_throttle.hpp"

#include <gtest/gtest.h>

namespace chatd {
namespace {

using namespace std::chrono_literals;

TEST(LogThrottle, LetsOneLinePerIntervalAndCountsTheRest) {
  log_throttle throttle(1s);
  const auto t0 = log_throttle::clock::time_point{} + 1h;
  EXPECT_TRUE(throttle.allow(t0));
  EXPECT_EQ(throttle.suppressed(), 0u);
  for (int i = 0; i < 99; ++i) EXPECT_FALSE(throttle.allow(t0 + 10ms * i));
  EXPECT_TRUE(throttle.allow(t0 + 1s));
  EXPECT_EQ(throttle.suppressed(), 99u);
  EXPECT_TRUE(throttle.allow(t0 + 5s));
  EXPECT_EQ(throttle.suppressed(), 0u);
}

}  // namespace
}  // namespace chatd
