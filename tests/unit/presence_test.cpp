// The presence rule (which joins, parts and quits a room announces) and the watch that logs a
// room crossing rooms.presence_max_members.
#include "server/chat/presence.hpp"

#include <gtest/gtest.h>

namespace chatd {
namespace {

using namespace std::chrono_literals;

TEST(PresenceRule, OnUpToTheLimitCountingTheSubject) {
  // With a limit of 3: the 3rd joiner (3 members with it) is announced, the 4th is not; a
  // leaver of a room of 4 is not announced, one of a room of 3 is.
  EXPECT_TRUE(presence_on(1, 3));
  EXPECT_TRUE(presence_on(3, 3));
  EXPECT_FALSE(presence_on(4, 3));
  EXPECT_FALSE(presence_on(19'000, 1000));
  EXPECT_TRUE(presence_on(1000, 1000));
  EXPECT_FALSE(presence_on(2, 1));
  EXPECT_TRUE(presence_on(1, 1));
}

TEST(PresenceRule, ZeroMeansNoLimit) {
  EXPECT_TRUE(presence_on(0, 0));
  EXPECT_TRUE(presence_on(1, 0));
  EXPECT_TRUE(presence_on(1'000'000, 0));
}

TEST(PresenceWatch, ReportsEachCrossingOnceEachWay) {
  presence_watch watch;
  const auto t0 = presence_watch::clock::time_point{} + 1h;
  EXPECT_TRUE(watch.on());
  EXPECT_FALSE(watch.update(1, 3, t0));
  EXPECT_FALSE(watch.update(3, 3, t0 + 2s));
  const auto off = watch.update(4, 3, t0 + 4s);
  ASSERT_TRUE(off);
  EXPECT_TRUE(off->logged);
  EXPECT_EQ(off->suppressed, 0u);
  EXPECT_FALSE(watch.on());
  EXPECT_FALSE(watch.update(5, 3, t0 + 6s));  // still above: nothing new
  EXPECT_FALSE(watch.update(4, 3, t0 + 8s));
  const auto on = watch.update(3, 3, t0 + 10s);
  ASSERT_TRUE(on);
  EXPECT_TRUE(on->logged);
  EXPECT_TRUE(watch.on());
}

TEST(PresenceWatch, SeesALimitChangedByAReloadAtTheNextUpdate) {
  presence_watch watch;
  const auto t0 = presence_watch::clock::time_point{} + 1h;
  EXPECT_FALSE(watch.update(5, 10, t0));
  const auto off = watch.update(5, 3, t0 + 2s);  // the limit went down to 3
  ASSERT_TRUE(off);
  EXPECT_FALSE(watch.on());
  const auto on = watch.update(6, 0, t0 + 4s);  // and then to no limit
  ASSERT_TRUE(on);
  EXPECT_TRUE(watch.on());
}

TEST(PresenceWatch, LogsARoomThatKeepsCrossingTwiceAtOnceThenOncePerSecond) {
  presence_watch watch;
  const auto t0 = presence_watch::clock::time_point{} + 1h;
  ASSERT_TRUE(watch.update(4, 3, t0)->logged);          // up
  ASSERT_TRUE(watch.update(3, 3, t0 + 1ms)->logged);    // and back down: both logged
  // One user joining and parting at the limit: every crossing is seen, few are logged.
  for (int i = 1; i <= 10; ++i) {
    const auto change = watch.update(i % 2 ? 4 : 3, 3, t0 + 1ms + 10ms * i);
    ASSERT_TRUE(change);
    EXPECT_FALSE(change->logged) << i;
  }
  EXPECT_TRUE(watch.on());  // the 10th crossing went back down
  const auto later = watch.update(4, 3, t0 + 1s + 1ms);
  ASSERT_TRUE(later);
  EXPECT_TRUE(later->logged);
  EXPECT_EQ(later->suppressed, 10u);
  EXPECT_FALSE(watch.on());
  const auto next = watch.update(3, 3, t0 + 1s + 2ms);  // the second token is not back yet
  ASSERT_TRUE(next);
  EXPECT_FALSE(next->logged);
}

}  // namespace
}  // namespace chatd
