#include "server/chat/token_bucket.hpp"

#include <gtest/gtest.h>

namespace chatd {
namespace {

using namespace std::chrono_literals;
using clock = token_bucket::clock;

TEST(TokenBucket, AllowsTheBurstAtOnceThenRefuses) {
  const auto t0 = clock::time_point{} + 1h;
  token_bucket bucket(10.0, 20.0, t0);
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(bucket.try_take(t0)) << i;
  EXPECT_FALSE(bucket.try_take(t0));
}

TEST(TokenBucket, RefillsAtTheRateAndNeverPastTheBurst) {
  const auto t0 = clock::time_point{} + 1h;
  token_bucket bucket(10.0, 5.0, t0);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(bucket.try_take(t0));
  EXPECT_FALSE(bucket.try_take(t0 + 50ms));
  EXPECT_TRUE(bucket.try_take(t0 + 100ms));
  // A long pause earns no more than the burst.
  const auto later = t0 + 1h;
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(bucket.try_take(later)) << i;
  EXPECT_FALSE(bucket.try_take(later));
}

TEST(TokenBucket, WaitTimeSaysWhenTheNextTokenIsDue) {
  const auto t0 = clock::time_point{} + 1h;
  token_bucket bucket(4.0, 1.0, t0);
  EXPECT_EQ(bucket.wait_time(t0), clock::duration::zero());
  ASSERT_TRUE(bucket.try_take(t0));
  const auto wait = bucket.wait_time(t0);
  EXPECT_GE(wait, 249ms);
  EXPECT_LE(wait, 251ms);
  EXPECT_TRUE(bucket.try_take(t0 + wait));
}

TEST(TokenBucket, FractionalRatesWork) {
  const auto t0 = clock::time_point{} + 1h;
  token_bucket bucket(0.5, 1.0, t0);
  ASSERT_TRUE(bucket.try_take(t0));
  EXPECT_FALSE(bucket.try_take(t0 + 1900ms));
  EXPECT_TRUE(bucket.try_take(t0 + 2s));
}

TEST(TokenBucket, ReconfigureCapsSavedTokensAtTheNewBurst) {
  const auto t0 = clock::time_point{} + 1h;
  token_bucket bucket(10.0, 20.0, t0);
  bucket.reconfigure(10.0, 2.0);
  EXPECT_TRUE(bucket.try_take(t0));
  EXPECT_TRUE(bucket.try_take(t0));
  EXPECT_FALSE(bucket.try_take(t0));
}

}  // namespace
}  // namespace chatd
