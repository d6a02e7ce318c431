#include "server/daemon/drain_schedule.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace {

using namespace std::chrono_literals;
using time_point = std::chrono::steady_clock::time_point;

const time_point start{10s};

TEST(DrainSchedule, SpreadsTheClientsEvenlyAndEndsWithThePeriod) {
  EXPECT_EQ(chatd::drain_due(start, 2000ms, 1, 4), start + 500ms);
  EXPECT_EQ(chatd::drain_due(start, 2000ms, 2, 4), start + 1000ms);
  EXPECT_EQ(chatd::drain_due(start, 2000ms, 3, 4), start + 1500ms);
  EXPECT_EQ(chatd::drain_due(start, 2000ms, 4, 4), start + 2000ms);
}

TEST(DrainSchedule, OneClientGoesAtTheEndOfThePeriod) {
  EXPECT_EQ(chatd::drain_due(start, 30s, 1, 1), start + 30s);
}

TEST(DrainSchedule, NoClientsMeansNowAndNeverPassesThePeriod) {
  EXPECT_EQ(chatd::drain_due(start, 30s, 0, 0), start);
  // A million clients over an hour: in order, inside the period, the last exactly at its end.
  constexpr std::size_t n = 1'000'000;
  auto previous = start;
  for (std::size_t k : {std::size_t{1}, std::size_t{2}, n / 2, n - 1, n}) {
    const auto due = chatd::drain_due(start, std::chrono::milliseconds(1h), k, n);
    EXPECT_GE(due, previous) << k;
    EXPECT_LE(due, start + 1h) << k;
    previous = due;
  }
  EXPECT_EQ(previous, start + 1h);
}

}  // namespace
