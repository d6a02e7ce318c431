// Graceful shutdown while the server is busy: everything acknowledged before the signal reaches
// every subscriber, then the bye, then the close, and the process exits 0 within
// shutdown_grace + 1 s, even when some client cannot be flushed.
#include <gtest/gtest.h>

#include <signal.h>

#include <atomic>
#include <iostream>
#include <mutex>
#include <thread>

#include "integration/abuse_helpers.hpp"
#include "integration/chat_helpers.hpp"

using namespace chatd::integration;
using namespace std::chrono_literals;

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_between(clock_type::time_point from, clock_type::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

// A subscriber's record of the shutdown: the msg seqs it got, whether they were contiguous, the
// bye's reason, whether the close followed, and anything unexpected.
struct subscriber_log {
  std::uint64_t last_seq = 0;
  bool gap = false;
  std::string bye_reason;
  bool closed = false;
  std::string error;
};

void subscribe_until_bye(test_client& client, subscriber_log& out) {
  try {
    for (;;) {
      json j = client.read_json(10s);
      const std::string type = j["type"];
      if (type == "msg") {
        if (j["seq"] != out.last_seq + 1) out.gap = true;
        out.last_seq = j["seq"];
      } else if (type == "bye") {
        out.bye_reason = j.value("reason", "");
        break;
      } else if (type != "quit" || j["reason"] != "server-shutdown") {
        // Before its own bye a client may see others leave for the same reason; nothing else.
        throw protocol_failure("unexpected " + j.dump());
      }
    }
    out.closed = client.wait_closed(5s);
    client.close();  // as a real client does once the server has closed
  } catch (const std::exception& e) {
    out.error = e.what();
  }
}

}  // namespace

TEST(ShutdownLoad, SigtermWithMessagesInFlightDeliversEverythingAckedThenByeAndExitsInTime) {
  constexpr auto grace = 2s;
  server_process server(std::string(fast_limits_yaml) + "  shutdown_grace: 2s\n");
  constexpr int publishers = 3;
  constexpr int subscribers = 5;
  std::vector<test_client> pubs, subs;
  for (int i = 0; i < subscribers; ++i) subs.push_back(json_client(server, "sub" + std::to_string(i)));
  for (int i = 0; i < publishers; ++i) pubs.push_back(json_client(server, "pub" + std::to_string(i)));
  for (auto& c : subs) c.sync_json();  // the joins of later members
  for (auto& c : pubs) c.sync_json();

  std::mutex acked_mutex;
  std::uint64_t highest_acked = 0;  // guarded by acked_mutex
  std::uint64_t total_acked = 0;    // guarded by acked_mutex
  std::atomic<bool> stop{false};
  std::vector<subscriber_log> sub_logs(subscribers);
  std::vector<std::string> pub_end(publishers);
  std::vector<std::thread> threads;
  join_on_exit join_threads{threads};

  for (int i = 0; i < subscribers; ++i) {
    threads.emplace_back([&, i] { subscribe_until_bye(subs[i], sub_logs[i]); });
  }
  for (int p = 0; p < publishers; ++p) {
    threads.emplace_back([&, p] {
      auto& client = pubs[p];
      try {
        // Batches of 20 lines, the next sent once the oks of the last are in; bounded.
        for (int batch = 0; batch < 5000 && !stop; ++batch) {
          std::string lines;
          for (int k = 0; k < 20; ++k) lines += "p" + std::to_string(p) + " b" + std::to_string(batch) + "\n";
          client.send_raw(lines);
          for (int k = 0; k < 20;) {
            json j = client.read_json(10s);
            if (j["type"] == "ok") {
              std::lock_guard lock(acked_mutex);
              highest_acked = std::max<std::uint64_t>(highest_acked, j["seq"]);
              ++total_acked;
              ++k;
            } else if (j["type"] == "bye") {
              pub_end[p] = "bye " + j.value("reason", "");
              client.wait_closed();
              client.close();
              return;
            }
          }
        }
        pub_end[p] = "stopped";
      } catch (const std::exception& e) {
        pub_end[p] = std::string("ended: ") + e.what();  // the server went away mid-batch
      }
      client.close();
    });
  }

  // Let the load build up, then signal while messages are in flight.
  ASSERT_TRUE(wait_until(
      [&] {
        std::lock_guard lock(acked_mutex);
        return total_acked >= 600;
      },
      20s, "600 messages acked under load"));
  std::uint64_t acked_before_signal = 0;
  {
    std::lock_guard lock(acked_mutex);
    acked_before_signal = highest_acked;
  }
  const auto signalled = clock_type::now();
  server.signal(SIGTERM);
  const auto code = server.wait_exit(grace + 5s);
  const auto exited = clock_type::now();
  stop = true;
  for (auto& t : threads) t.join();

  ASSERT_EQ(code, std::optional<int>(0)) << server.log();
  const double took = seconds_between(signalled, exited);
  std::cout << "[ measure  ] exit " << took << " s after SIGTERM (" << acked_before_signal
            << " messages acked before it)\n";
  EXPECT_LT(took, std::chrono::duration<double>(grace + 1s).count());
  for (int i = 0; i < subscribers; ++i) {
    SCOPED_TRACE("sub" + std::to_string(i));
    const auto& got = sub_logs[i];
    EXPECT_EQ(got.error, "");
    EXPECT_FALSE(got.gap) << "a gap in the seqs";
    EXPECT_GE(got.last_seq, acked_before_signal) << "a message acked before the signal is missing";
    EXPECT_EQ(got.bye_reason, "server-shutdown");
    EXPECT_TRUE(got.closed);
  }
  for (int p = 0; p < publishers; ++p) {
    EXPECT_NE(pub_end[p], "stopped") << "pub" << p << " was never told about the shutdown";
  }
}

namespace {

// A server with a client `stuck` that has megabytes queued it will never read, and a reader bob
// who has read everything. Returns once that is so.
struct stuck_setup {
  explicit stuck_setup(const std::string& grace)
      : server("limits:\n"
               "  rate: 100000\n"
               "  burst: 100000\n"
               "  max_outbound_bytes: 64MiB\n"
               "  shutdown_grace: " + grace + "\n"),
        stuck(server.port(), "stuck", small_window()) {
    stuck.register_json("stuck");
    bob = json_client(server, "bob");
    pub = json_client(server, "pub");
    bob.sync_json();
    // 3000 x 3000 bytes: far more than the kernel buffers between the server and stuck hold.
    const std::string text(3000, 's');
    for (int batch = 0; batch < 30; ++batch) {
      std::string lines;
      for (int k = 0; k < 100; ++k) lines += text + "\n";
      pub.send_raw(lines);
      for (int k = 0; k < 100; ++k) pub.expect_ok("say", 10s);
      for (int k = 0; k < 100; ++k) {
        const std::string line = bob.expect_line(10s);
        if (!fast_msg_seq(line)) throw protocol_failure("bob: expected a msg, got " + line);
      }
    }
  }
  server_process server;
  test_client stuck;
  test_client bob;
  test_client pub;
};

// Reads up to the bye (others leaving for the same reason may come first), checks the close,
// and closes this side as a real client would.
void expect_bye_and_close(test_client& client) {
  for (int i = 0; i < 10; ++i) {
    json j = client.read_json();
    if (j["type"] == "bye") {
      EXPECT_EQ(j["reason"], "server-shutdown") << client.label();
      break;
    }
    ASSERT_EQ(j, (json{{"type", "quit"}, {"nick", j.value("nick", "")}, {"reason", "server-shutdown"}}))
        << client.label();
  }
  EXPECT_TRUE(client.wait_closed()) << client.label();
  client.close();
}

}  // namespace

TEST(ShutdownLoad, ClientThatNeverReadsIsCutOffAndTheProcessStillExitsInTime) {
  stuck_setup s("1s");
  const auto signalled = clock_type::now();
  s.server.signal(SIGTERM);
  expect_bye_and_close(s.bob);
  expect_bye_and_close(s.pub);
  const auto code = s.server.wait_exit(10s);
  const double took = seconds_between(signalled, clock_type::now());
  ASSERT_EQ(code, std::optional<int>(0)) << s.server.log();
  std::cout << "[ measure  ] exit " << took << " s after SIGTERM with shutdown_grace 1s\n";
  EXPECT_LT(took, 2.0) << "not within shutdown_grace + 1 s";
  EXPECT_NE(s.server.log().find("shutdown grace over; cutting 1 connections"), std::string::npos)
      << s.server.log();
  EXPECT_TRUE(s.stuck.wait_closed(10s));
}

TEST(ShutdownLoad, SecondSignalCutsRemainingConnectionsAtOnce) {
  stuck_setup s("60s");
  s.server.signal(SIGTERM);
  expect_bye_and_close(s.bob);
  expect_bye_and_close(s.pub);
  ASSERT_TRUE(s.server.wait_for_log("connections get up to 60000 ms to flush")) << s.server.log();
  EXPECT_FALSE(s.server.wait_exit(300ms)) << "exited before stuck was flushed or cut";
  const auto second = clock_type::now();
  s.server.signal(SIGINT);
  const auto code = s.server.wait_exit(5s);
  const double took = seconds_between(second, clock_type::now());
  ASSERT_EQ(code, std::optional<int>(0)) << s.server.log();
  std::cout << "[ measure  ] exit " << took << " s after the second signal\n";
  EXPECT_LT(took, 1.5);
  EXPECT_NE(s.server.log().find("received again; cutting all connections now"), std::string::npos)
      << s.server.log();
}
