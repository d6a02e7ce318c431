// log.slow_loop against the real server: a stall of the whole process (SIGSTOP, then SIGCONT)
// is seen by the next lag sample, logged once and counted; with the watch off it is neither.
#include <gtest/gtest.h>

#include <csignal>
#include <chrono>
#include <thread>

#include "integration/metrics_helpers.hpp"
#include "integration/poll.hpp"
#include "integration/server_process.hpp"

using namespace std::chrono_literals;

namespace chatd::integration {
namespace {

// Holds the process still for `how_long`: a stall no task of chatd's own can report.
void stall(server_process& server, std::chrono::milliseconds how_long) {
  server.signal(SIGSTOP);
  std::this_thread::sleep_for(how_long);
  server.signal(SIGCONT);
}

double slow_lags(const server_process& server) {
  return scrape(metrics_port(server)).value("chatd_slow_loop_total", {{"source", "lag"}});
}

TEST(SlowLoop, AStalledLoopIsLoggedWithItsLagAndCounted) {
  server_process server("log:\n  slow_loop: 100ms\n", metrics_listen_args());
  EXPECT_EQ(slow_lags(server), 0);
  stall(server, 600ms);
  ASSERT_TRUE(server.wait_for_log("event loop lag ", 5s)) << server.log();
  EXPECT_NE(server.log().find("(log.slow_loop 100 ms); no slow task was seen"), std::string::npos)
      << server.log();
  EXPECT_TRUE(wait_until([&] { return slow_lags(server) >= 1; }, 5s, "a counted lag sample"));
}

TEST(SlowLoop, ZeroTurnsTheWatchOff) {
  server_process server("log:\n  slow_loop: 0\n", metrics_listen_args());
  stall(server, 600ms);
  // The sweep samples the lag every 250 ms: after a second it has seen the stall.
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(slow_lags(server), 0);
  EXPECT_EQ(server.log().find("event loop lag"), std::string::npos) << server.log();
}

}  // namespace
}  // namespace chatd::integration
