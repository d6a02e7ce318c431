// Waiting for a condition with a deadline: the one polling loop of the integration tests
// (header-only, like the other helpers).
//
//   EXPECT_TRUE(wait_until([&] { return open_fds(pid).size() == before; }, 5s,
//                          "the server's descriptors to return to their count before"))
//       << "it holds " << open_fds(pid).size();
//
// A timeout is a failure with a message saying what was awaited and for how long; a test adds
// the last state it saw with <<. Sleeping between calls is only the poll interval: whatever the
// condition waits for must be observable by the condition itself.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <string_view>
#include <thread>

namespace chatd::integration {

inline constexpr std::chrono::milliseconds default_poll_interval{10};

// Calls `condition` until it returns true (then true) or `timeout` has passed (then false). The
// last call is made at or after the deadline, so a condition that became true in time is seen.
// An interval of 0 polls without sleeping (for conditions that block on their own, e.g. one
// round trip to the server per call).
template <typename Condition>
bool poll_until(Condition&& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval = default_poll_interval) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    if (interval.count() > 0) std::this_thread::sleep_for(interval);  // the poll interval
  }
}

// poll_until as a GoogleTest assertion: success, or a failure "timed out after N ms waiting for
// WHAT". Use it as EXPECT_TRUE(wait_until(...)) or ASSERT_TRUE(wait_until(...)).
template <typename Condition>
::testing::AssertionResult wait_until(Condition&& condition, std::chrono::milliseconds timeout,
                                      std::string_view what,
                                      std::chrono::milliseconds interval = default_poll_interval) {
  if (poll_until(std::forward<Condition>(condition), timeout, interval)) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "timed out after " << timeout.count() << " ms waiting for " << what;
}

}  // namespace chatd::integration
