#include "server/transport/outbound_queue.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace chatd {
namespace {

line_ptr line(std::string text) { return make_line(std::move(text)); }

TEST(OutboundQueue, StartsEmptyAndCountsBytesOfQueuedLines) {
  outbound_queue q;
  EXPECT_TRUE(q.empty());
  q.push(line("abc"));
  q.push(line("de"));
  EXPECT_EQ(q.size(), 2u);
  EXPECT_EQ(q.bytes(), 5u);
}

TEST(OutboundQueue, TakesLinesInOrderUpToTheLineCap) {
  outbound_queue q;
  for (int i = 0; i < 100; ++i) q.push(line(std::to_string(i)));
  std::vector<line_ptr> batch;
  q.take(batch, 64, 1 << 20);
  ASSERT_EQ(batch.size(), 64u);
  for (int i = 0; i < 64; ++i) EXPECT_EQ(*batch[i], std::to_string(i));
  batch.clear();
  q.take(batch, 64, 1 << 20);
  ASSERT_EQ(batch.size(), 36u);
  EXPECT_EQ(*batch.front(), "64");
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.bytes(), 0u);
}

TEST(OutboundQueue, StopsTakingOnceTheByteCapIsReachedButAlwaysTakesOne) {
  outbound_queue q;
  q.push(line(std::string(100, 'a')));
  q.push(line(std::string(100, 'b')));
  std::vector<line_ptr> batch;
  EXPECT_EQ(q.take(batch, 64, 10), 100u);  // one line even though it alone passes the cap
  EXPECT_EQ(batch.size(), 1u);
  EXPECT_EQ(q.bytes(), 100u);
}

TEST(OutboundQueue, KeepsOrderAcrossGrowthWhenTheRingHasWrapped) {
  outbound_queue q;
  std::vector<line_ptr> batch;
  int next_in = 0, next_out = 0;
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 7; ++i) q.push(line(std::to_string(next_in++)));
    batch.clear();
    q.take(batch, 5, 1 << 20);
    for (const auto& l : batch) EXPECT_EQ(*l, std::to_string(next_out++));
  }
  batch.clear();
  q.take(batch, 1000, 1 << 30);
  for (const auto& l : batch) EXPECT_EQ(*l, std::to_string(next_out++));
  EXPECT_EQ(next_in, next_out);
}

TEST(OutboundQueue, ClearDropsEverythingAndReportsTheBytes) {
  outbound_queue q;
  q.push(line("hello"));
  q.push(line("world!"));
  EXPECT_EQ(q.clear(), 11u);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.bytes(), 0u);
  q.push(line("again"));
  EXPECT_EQ(q.size(), 1u);
}

TEST(OutboundQueue, SharesLinesRatherThanCopyingThem) {
  outbound_queue a, b;
  auto shared = line("fan-out");
  a.push(shared);
  b.push(shared);
  EXPECT_EQ(shared.use_count(), 3u);
}

TEST(OutboundQueue, KeepsItsRingWhenDrainedUntilTrimmed) {
  outbound_queue q;
  std::vector<line_ptr> batch;
  for (int i = 0; i < 1000; ++i) q.push(line("x"));
  const std::size_t grown = q.capacity();
  EXPECT_GE(grown, 1000u);
  q.take(batch, 2000, 1 << 20);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.capacity(), grown);  // a busy connection does not grow it again for each burst
  q.trim();
  EXPECT_EQ(q.capacity(), grown);  // drained, but it was used since the last trim
  q.push(line("y"));
  q.trim();
  EXPECT_EQ(q.capacity(), grown);  // not while anything is queued
  batch.clear();
  q.take(batch, 2000, 1 << 20);
  q.trim();
  EXPECT_EQ(q.capacity(), 0u);  // nothing pushed for a whole period: an idle connection costs nothing
}

TEST(OutboundQueue, ABusyConnectionKeepsItsRingAcrossTrims) {
  outbound_queue q;
  std::vector<line_ptr> batch;
  for (int i = 0; i < 1000; ++i) q.push(line("x"));
  const std::size_t grown = q.capacity();
  for (int period = 0; period < 5; ++period) {
    q.take(batch, 2000, 1 << 20);  // drained at the moment of each trim...
    q.trim();
    EXPECT_EQ(q.capacity(), grown);
    for (int i = 0; i < 1000; ++i) q.push(line("x"));  // ...but a burst came in between
    batch.clear();
  }
}

TEST(OutboundQueue, FreesEvenASmallRingOnceIdle) {
  outbound_queue q;
  std::vector<line_ptr> batch;
  q.push(line("x"));
  q.take(batch, 10, 1 << 20);
  q.trim();
  EXPECT_GT(q.capacity(), 0u);  // used in this period
  q.trim();
  EXPECT_EQ(q.capacity(), 0u);
}

TEST(OutboundQueue, ClearFreesAnOversizedRing) {
  outbound_queue q;
  for (int i = 0; i < 1000; ++i) q.push(line("x"));
  EXPECT_EQ(q.clear(), 1000u);
  EXPECT_EQ(q.capacity(), 0u);
}

TEST(LinePtr, CountsOwnersAndFreesWithTheLast) {
  line_ptr a = make_line("hello");
  EXPECT_EQ(a.use_count(), 1u);
  {
    line_ptr b = a;
    line_ptr c;
    c = b;
    EXPECT_EQ(a.use_count(), 3u);
    line_ptr d = std::move(c);
    EXPECT_FALSE(c);
    EXPECT_EQ(*d, "hello");
    EXPECT_EQ(a.use_count(), 3u);
    d = d;  // self-assignment keeps the line
    EXPECT_EQ(d.size(), 5u);
  }
  EXPECT_EQ(a.use_count(), 1u);
  a.reset();
  EXPECT_FALSE(a);
  EXPECT_EQ(a.use_count(), 0u);
}

}  // namespace
}  // namespace chatd
