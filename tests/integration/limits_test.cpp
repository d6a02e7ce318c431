// The limits of limits_config, each pushed past its bound against the real server: what the
// offender gets, whether its connection survives, and that everyone else is not disturbed.
// (max_rooms and max_rooms_per_client are in rooms_test.cpp.)
#include <gtest/gtest.h>

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <optional>
#include <thread>

#include "integration/abuse_helpers.hpp"
#include "integration/chat_helpers.hpp"
#include "integration/metrics_helpers.hpp"

using namespace chatd::integration;
using namespace std::chrono_literals;

namespace {

using clock_type = std::chrono::steady_clock;

// Seconds since `start`, for timing assertions and messages.
double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

// Connects and reads the first line, until the server serves the connection instead of turning
// it away with its one line and a close (a slot it is still releasing), or `timeout` passes.
// Returns the served connection with the first welcome line read.
test_client admitted(const server_process& server, const std::string& label,
                     std::chrono::milliseconds timeout, const connect_options& options = {}) {
  std::optional<test_client> served;
  std::string last;
  const auto result = wait_until(
      [&] {
        test_client client(server.port(), label, options);
        auto first = client.read_line();
        if (!first) throw protocol_failure(label + ": no first line from the server");
        last = *first;
        if (first->rfind("* Bye (server-full)", 0) == 0 ||
            first->rfind("! too-many-connections", 0) == 0) {
          return false;
        }
        served.emplace(std::move(client));
        return true;
      },
      timeout, label + " to be served rather than turned away", 5ms);
  if (!result) throw protocol_failure(std::string(result.message()) + "; last: " + last);
  return std::move(*served);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// max_line_bytes

TEST(Limits, OverlongLineIsLineTooLongAndTheConnectionStaysUsable) {
  server_process server(
      "limits:\n  max_line_bytes: 64\n  rate: 100000\n  burst: 100000\n", metrics_listen_args());
  test_client alice = json_client(server, "alice");
  test_client bob = json_client(server, "bob");
  alice.sync_json();  // bob's join

  // One byte over the bound, in one write.
  alice.send_line(std::string(65, 'x'));
  alice.expect_error("line-too-long");
  // Exactly at the bound is fine (a CR before the LF does not count).
  const std::string at_bound(64, 'y');
  alice.send_raw(at_bound + "\r\n");
  EXPECT_EQ(alice.expect_ok("say")["seq"], 1);
  // Over the bound across several writes: one error, and what follows up to the LF is dropped
  // (the tail does not become a message or a command).
  // (No /ping round-trip in between: it would become part of the discarded line.)
  alice.send_raw(std::string(50, 'a'));
  alice.send_raw(std::string(50, 'b'));
  alice.expect_error("line-too-long");  // reported as soon as the bound is passed
  alice.send_raw("/quit tail of the long line\nafter\n");
  EXPECT_EQ(alice.expect_ok("say")["seq"], 2);
  alice.expect_quiet_json();

  json first = bob.expect_json("msg");
  check_msg(first, "lobby", "alice", at_bound);
  json second = bob.expect_json("msg");
  check_msg(second, "lobby", "alice", "after");
  bob.expect_quiet_json();
  EXPECT_TRUE(no_connections_after_closing(server, {&alice, &bob}));
}

TEST(Limits, OverlongLineSpanningWritesGetsExactlyOneError) {
  server_process server(
      "limits:\n  max_line_bytes: 64\n  rate: 100000\n  burst: 100000\n", metrics_listen_args());
  test_client alice = json_client(server, "alice");
  alice.send_raw(std::string(40, 'a'));
  alice.send_raw(std::string(40, 'b'));
  alice.send_raw(std::string(400, 'c'));
  alice.send_raw("still the same line\n");
  std::vector<json> before = alice.sync_json();
  ASSERT_EQ(before.size(), 1u) << "expected one line-too-long error";
  EXPECT_EQ(before[0]["type"], "error");
  EXPECT_EQ(before[0]["code"], "line-too-long");
  EXPECT_TRUE(no_connections_after_closing(server, {&alice}));
}

TEST(Limits, OverlongLineInHumanFormatIsAnErrorLine) {
  server_process server("limits:\n  max_line_bytes: 64\n", metrics_listen_args());
  test_client carol(server.port(), "carol");
  read_human_welcome(carol);
  carol.send_line("/nick carol");
  carol.sync_human();
  carol.send_line(std::string(200, 'z'));
  auto lines = carol.sync_human();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].rfind("! line-too-long: ", 0), 0u) << printable(lines[0]);
  carol.send_line("/who");  // still usable
  auto who = carol.sync_human();
  ASSERT_EQ(who.size(), 1u);
  EXPECT_EQ(who[0].rfind("* Members of [lobby]", 0), 0u) << printable(who[0]);
  EXPECT_TRUE(no_connections_after_closing(server, {&carol}));
}

// ---------------------------------------------------------------------------------------------
// max_connections

TEST(Limits, ConnectionBeyondMaxConnectionsGetsOneServerFullLineAndAcceptingGoesOn) {
  server_process server("limits:\n  max_connections: 3\n  max_connections_per_ip: 3\n",
                        metrics_listen_args());
  test_client a = json_client(server, "alice");
  test_client b = json_client(server, "bob");
  test_client c = json_client(server, "carol");
  a.sync_json();  // bob's and carol's joins
  b.sync_json();

  for (int attempt = 0; attempt < 3; ++attempt) {
    SCOPED_TRACE(attempt);
    test_client extra(server.port(), "extra");
    auto lines = lines_until_closed(extra);
    EXPECT_EQ(lines, (std::vector<std::string>{"* Bye (server-full)."}));
  }
  EXPECT_TRUE(server.wait_for_log("rejected: server-full")) << server.log();
  // Those inside were not disturbed.
  for (test_client* inside : {&a, &b, &c}) inside->expect_quiet_json();

  // One leaves: its slot is free again.
  c.close();
  EXPECT_EQ(a.expect_json("quit")["nick"], "carol");
  test_client d = admitted(server, "dave", 5s);
  d.register_json("dave");
  EXPECT_EQ(a.expect_json("join")["nick"], "dave");
  // And the limit holds again.
  test_client extra(server.port(), "extra");
  EXPECT_EQ(lines_until_closed(extra), (std::vector<std::string>{"* Bye (server-full)."}));
  EXPECT_TRUE(no_connections_after_closing(server, {&a, &b, &c, &d, &extra}));
}

// ---------------------------------------------------------------------------------------------
// max_connections_per_ip

TEST(Limits, ConnectionBeyondPerAddressLimitIsTooManyConnectionsAndOtherAddressesAreServed) {
  server_process server("limits:\n  max_connections_per_ip: 2\n", metrics_listen_args());
  test_client a = json_client(server, "alice");
  test_client b = json_client(server, "bob");
  a.sync_json();

  test_client extra(server.port(), "extra");
  EXPECT_EQ(lines_until_closed(extra),
            (std::vector<std::string>{
                "! too-many-connections: too many connections from 127.0.0.1"}));
  EXPECT_TRUE(server.wait_for_log("rejected: too-many-connections")) << server.log();

  // Another loopback address has its own count.
  const connect_options other = from_address("127.0.0.2");
  test_client d(server.port(), "dave", other);
  d.register_json("dave");
  test_client e(server.port(), "erin", other);
  e.register_json("erin");
  EXPECT_EQ(a.expect_json("join")["nick"], "dave");
  EXPECT_EQ(a.expect_json("join")["nick"], "erin");
  test_client extra2(server.port(), "extra2", other);
  EXPECT_EQ(lines_until_closed(extra2),
            (std::vector<std::string>{
                "! too-many-connections: too many connections from 127.0.0.2"}));

  // Those inside were not disturbed, and a slot freed on 127.0.0.1 serves 127.0.0.1 again.
  b.sync_json();
  b.close();
  EXPECT_EQ(a.expect_json("quit")["nick"], "bob");
  test_client f = admitted(server, "frank", 5s);
  f.register_json("frank");
  EXPECT_EQ(d.sync_json().size(), 3u);  // bob's quit, frank's join (and erin's join)
  EXPECT_TRUE(no_connections_after_closing(server, {&a, &b, &extra, &d, &e, &extra2, &f}));
}

// ---------------------------------------------------------------------------------------------
// register_timeout and idle_timeout

TEST(Limits, UnregisteredClientIsClosedWithRegisterTimeoutEvenIfItTrickles) {
  server_process server("limits:\n  register_timeout: 1s\n", metrics_listen_args());
  const auto start = clock_type::now();
  test_client alice = json_client(server, "alice");  // registers in time and stays
  test_client idle(server.port(), "idle");
  test_client loris(server.port(), "loris");  // sends a byte now and then, never a whole line

  // A byte, then up to 100 ms for the close (which paces the trickle), for up to 5 s.
  const auto trickle = [&] {
    try {
      loris.send_raw("x");
    } catch (const protocol_failure&) {
      // the server closed it between two bytes
    }
    return loris.wait_closed(100ms);
  };
  ASSERT_TRUE(wait_until(trickle, 5s, "the trickling client to be timed out", 0ms));
  const double loris_after = seconds_since(start);
  auto loris_lines = lines_until_closed(loris);
  ASSERT_FALSE(loris_lines.empty());
  EXPECT_EQ(loris_lines.back(), "* Bye (register-timeout).");
  EXPECT_GE(loris_after, 0.9);
  EXPECT_LT(loris_after, 5.0);

  auto idle_lines = lines_until_closed(idle, 5s);
  ASSERT_FALSE(idle_lines.empty());
  EXPECT_EQ(idle_lines.back(), "* Bye (register-timeout).");
  EXPECT_EQ(idle_lines.front().rfind("* ", 0), 0u) << "welcome expected first";

  EXPECT_TRUE(server.wait_for_log("reason=register-timeout")) << server.log();
  alice.expect_quiet_json();  // unregistered clients leave no events
  // The timed-out connections are let go of without waiting for their clients to close.
  EXPECT_TRUE(wait_connections_active(server, 1));
  EXPECT_TRUE(no_connections_after_closing(server, {&alice, &idle, &loris}));
}

TEST(Limits, SilentClientIsClosedWithIdleTimeoutWhileAnActiveOneStays) {
  server_process server("limits:\n  idle_timeout: 1s\n", metrics_listen_args());
  test_client quiet = json_client(server, "quiet");
  test_client active = json_client(server, "active");
  const auto start = clock_type::now();
  quiet.sync_json();  // the last input from quiet; active's join

  std::vector<json> active_saw;
  // active pings every 100 ms or so (the wait on quiet paces it), for up to 5 s.
  const auto ping_and_look = [&] {
    for (auto& j : active.sync_json()) active_saw.push_back(j);
    return quiet.wait_closed(100ms);
  };
  ASSERT_TRUE(wait_until(ping_and_look, 5s, "the silent client to be timed out", 0ms));
  const double quiet_after = seconds_since(start);
  EXPECT_GE(quiet_after, 0.9);
  EXPECT_LT(quiet_after, 5.0);
  auto lines = lines_until_closed(quiet);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(json::parse(lines[0]), (json{{"type", "bye"}, {"reason", "idle-timeout"}}));

  // active goes on for longer than the timeout, still sending, and is still served.
  const auto keep_until = clock_type::now() + 1500ms;
  for (int i = 0; i < 30 && clock_type::now() < keep_until; ++i) {
    for (auto& j : active.sync_json()) active_saw.push_back(j);
    std::this_thread::sleep_for(100ms);  // pacing: the client's own "typing", not a sync
  }
  for (auto& j : active.sync_json()) active_saw.push_back(j);
  ASSERT_EQ(active_saw.size(), 1u) << json(active_saw).dump();
  EXPECT_EQ(active_saw[0], (json{{"type", "quit"}, {"nick", "quiet"}, {"reason", "idle-timeout"}}));
  EXPECT_TRUE(server.wait_for_log("nick=quiet reason=idle-timeout")) << server.log();
  EXPECT_EQ(server.log().find("nick=active reason="), std::string::npos) << server.log();
  EXPECT_TRUE(wait_connections_active(server, 1)) << "the timed-out connection is still counted";
  EXPECT_TRUE(no_connections_after_closing(server, {&quiet, &active}));
}

// ---------------------------------------------------------------------------------------------
// rate / burst

TEST(Limits, FloodIsDelayedInOrderWithNothingDroppedAndOthersAreNotSlowed) {
  server_process server("limits:\n  rate: 5\n  burst: 5\n", metrics_listen_args());
  test_client flooder = json_client(server, "flooder");
  test_client bob = json_client(server, "bob");
  flooder.sync_json();

  constexpr int lines = 20;
  std::string batch;
  for (int k = 1; k <= lines; ++k) batch += "flood " + std::to_string(k) + "\n";
  const auto sent = clock_type::now();
  flooder.send_raw(batch);

  // bob, in the same room, is answered at once while the flood is being read slowly.
  const auto bob_start = clock_type::now();
  std::vector<json> bob_saw = bob.sync_json();
  bob.send_line("bob here");
  // bob's ok comes after whatever flood messages arrived meanwhile.
  json bob_ok;
  for (int i = 0; i <= lines; ++i) {
    json j = bob.read_json();
    if (j["type"] == "ok") {
      bob_ok = j;
      break;
    }
    bob_saw.push_back(j);
  }
  const double bob_latency = seconds_since(bob_start);
  ASSERT_EQ(bob_ok.value("cmd", ""), "say") << bob_ok.dump();
  EXPECT_LT(bob_latency, 1.5) << "a well-behaved client was slowed down by another's flood";

  // The flooder gets every ok, in order, the last no sooner than the bucket allows:
  // at most `burst` tokens at the start and 5 per second after, so 20 lines take >= 3 s.
  // bob's message reaches the flooder somewhere among its oks.
  std::uint64_t last_seq = 0;
  std::vector<json> flooder_saw;
  for (int k = 1; k <= lines;) {
    json j = flooder.read_json(10s);
    if (j["type"] != "ok") {
      flooder_saw.push_back(j);
      ASSERT_LE(flooder_saw.size(), 1u) << j.dump();
      continue;
    }
    ASSERT_EQ(j.value("cmd", ""), "say") << j.dump();
    ASSERT_GT(j["seq"].get<std::uint64_t>(), last_seq) << j.dump();
    last_seq = j["seq"];
    ++k;
  }
  const double flood_took = seconds_since(sent);
  std::cout << "[ measure  ] 20 lines at rate 5, burst 5: last reply after " << flood_took
            << " s\n";
  EXPECT_GE(flood_took, 2.9) << "flood control did not delay the flooder";
  EXPECT_LT(flood_took, 10.0);
  for (auto& j : flooder.sync_json()) flooder_saw.push_back(j);
  ASSERT_EQ(flooder_saw.size(), 1u);
  check_msg(flooder_saw[0], "lobby", "bob", "bob here");

  // bob saw all 20 flood lines, in order, none lost.
  while (bob_saw.size() < lines) bob_saw.push_back(bob.expect_json("msg", 10s));
  ASSERT_EQ(bob_saw.size(), static_cast<std::size_t>(lines));
  for (int k = 1; k <= lines; ++k) {
    SCOPED_TRACE(k);
    check_msg(bob_saw[k - 1], "lobby", "flooder", "flood " + std::to_string(k));
  }
  bob.expect_quiet_json();
  EXPECT_TRUE(no_connections_after_closing(server, {&flooder, &bob}));
}

// ---------------------------------------------------------------------------------------------
// accept failures (out of file descriptors)

TEST(Limits, RunningOutOfFileDescriptorsBacksOffWithoutSpinningAndResumes) {
  if (under_asan) {
    // The sanitizer runtime probes memory with pipe() for UBSan's vptr check; in a process out of
    // descriptors the probe fails and UBSan reports a false "invalid vptr" and aborts the server.
    GTEST_SKIP() << "not meaningful in a sanitizer build: UBSan needs free descriptors";
  }
  server_process server({}, metrics_listen_args());
  test_client observer = json_client(server, "observer");

  // Leave the server room for a few more connections only. New descriptors take the lowest
  // free numbers below the limit, so the limit goes where `spare` numbers are still free
  // (descriptors the server inherited above it stay open).
  const auto fds = open_fds(server.pid());
  constexpr int spare = 4;
  int cap = 0;
  for (int free_below = 0; free_below < spare; ++cap) {
    if (std::find(fds.begin(), fds.end(), cap) == fds.end()) ++free_below;
  }
  const rlimit limit{static_cast<rlim_t>(cap), static_cast<rlim_t>(cap)};
  ASSERT_EQ(::prlimit(server.pid(), RLIMIT_NOFILE, &limit, nullptr), 0) << std::strerror(errno);

  // Connect until one is no longer served (the kernel completes the handshake; the server just
  // cannot accept it).
  std::vector<test_client> served;
  std::optional<test_client> stuck;
  for (int i = 0; i < spare + 8 && !stuck; ++i) {
    test_client client(server.port(), "c" + std::to_string(i));
    if (client.read_line(1s)) {
      served.push_back(std::move(client));
    } else {
      stuck.emplace(std::move(client));
    }
  }
  ASSERT_TRUE(stuck) << "every connection was served; the fd limit did not bite";
  ASSERT_TRUE(server.wait_for_log("accept failed")) << server.log();
  const auto saturated_since = clock_type::now();

  // While the accept keeps failing, the loop must not spin.
  const auto cpu_before = cpu_time(server.pid());
  std::this_thread::sleep_for(1s);  // the measurement window
  const auto cpu_used = cpu_time(server.pid()) - cpu_before;
  std::cout << "[ measure  ] CPU used over 1 s of failing accepts: " << cpu_used.count() << " s\n";
  EXPECT_LT(cpu_used.count(), 0.3) << "the accept loop spins on EMFILE";
  // One warning per second at most (and the first at once).
  const double saturated_for = seconds_since(saturated_since) + 2.0;  // before the first log
  const auto warnings = count_of(server.log(), "accept failed");
  EXPECT_LE(static_cast<double>(warnings), saturated_for + 1.0) << server.log();
  EXPECT_NE(server.log().find("Too many open files"), std::string::npos) << server.log();

  // Free two fds: the waiting connection is served, and so is a new one.
  ASSERT_GE(served.size(), 2u);
  served.pop_back();
  served.pop_back();
  ASSERT_TRUE(stuck->read_line(5s)) << "the pending connection was never served\n" << server.log();
  stuck->register_json("late");
  EXPECT_EQ(observer.expect_json("join")["nick"], "late");
  test_client fresh = json_client(server, "fresh");
  EXPECT_EQ(observer.expect_json("join")["nick"], "fresh");
  observer.expect_quiet_json();
  for (auto& c : served) c.close();
  EXPECT_TRUE(no_connections_after_closing(server, {&observer, &fresh, &*stuck}));
}

// ---------------------------------------------------------------------------------------------
// Every limit hit is logged (one line per second per kind), not only counted.

TEST(Limits, OverlongLinesAndRoomLimitsAreLogged) {
  server_process server("limits:\n  max_line_bytes: 64\n  max_rooms_per_client: 1\n",
                        metrics_listen_args());
  test_client alice = json_client(server, "alice");
  alice.send_line(std::string(100, 'x'));
  alice.expect_error("line-too-long");
  alice.send_line("/join den");
  alice.expect_error("too-many-rooms");
  alice.expect_quiet_json();
  EXPECT_TRUE(server.wait_for_log("line-too-long", 1s)) << server.log();
  EXPECT_TRUE(server.wait_for_log("too-many-rooms", 1s)) << server.log();
  EXPECT_TRUE(no_connections_after_closing(server, {&alice}));
}
