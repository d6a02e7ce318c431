// The server's memory stays bounded whatever one client sends or fails to read: measured as its
// resident set size (VmRSS, and the peak VmHWM) from /proc. The figures are printed and recorded
// as test properties.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <thread>

#include "integration/abuse_helpers.hpp"
#include "integration/chat_helpers.hpp"
#include "integration/metrics_helpers.hpp"

using namespace chatd::integration;
using namespace std::chrono_literals;

namespace {

using clock_type = std::chrono::steady_clock;

// ASan keeps freed blocks in a quarantine (256 MiB by default) and adds shadow memory, so its
// RSS says little about leaks; its bounds only catch gross growth.
constexpr std::int64_t stream_growth_bound = under_asan ? 96 * mib : 16 * mib;
constexpr std::int64_t fanout_growth_bound = under_asan ? 320 * mib : 32 * mib;

void report(const std::string& key, std::int64_t bytes) {
  std::cout << "[ measure  ] " << key << ": " << mib_text(bytes) << "\n";
  ::testing::Test::RecordProperty(key, std::to_string(bytes / kib) + " KiB");
}

}  // namespace

TEST(Memory, StreamOf100MiBWithoutNewlineDoesNotGrowTheServer) {
  server_process server({}, metrics_listen_args());  // max_line_bytes 4096
  test_client alice = json_client(server, "alice");
  test_client bob = json_client(server, "bob");
  alice.sync_json();
  const std::int64_t baseline = rss_bytes(server.pid());
  const std::int64_t baseline_peak = peak_rss_bytes(server.pid());

  const std::string chunk(1 * mib, 'A');
  std::int64_t highest = baseline;
  const auto start = clock_type::now();
  for (int i = 0; i < 100; ++i) {
    alice.send_raw(chunk);  // the server must keep reading (and discarding) to take it all
    if (i % 4 == 3) highest = std::max(highest, rss_bytes(server.pid()));
  }
  const double took = std::chrono::duration<double>(clock_type::now() - start).count();
  alice.send_raw("\n");
  highest = std::max(highest, rss_bytes(server.pid()));
  const std::int64_t peak = peak_rss_bytes(server.pid());

  // One error for the whole line, and the connection still works.
  alice.expect_error("line-too-long");
  alice.send_line("short again");
  EXPECT_EQ(alice.expect_ok("say")["seq"], 1);
  check_msg(bob.expect_json("msg"), "lobby", "alice", "short again");
  bob.expect_quiet_json();

  report("stream_rss_baseline", baseline);
  report("stream_rss_highest_sampled", highest);
  report("stream_rss_peak_growth", peak - baseline_peak);
  std::cout << "[ measure  ] 100 MiB sent in " << took << " s; bound on growth "
            << mib_text(stream_growth_bound) << "\n";
  EXPECT_LT(highest - baseline, stream_growth_bound);
  EXPECT_LT(peak - baseline_peak, stream_growth_bound);
  EXPECT_TRUE(no_connections_after_closing(server, {&alice, &bob}));
}

TEST(Memory, HeavyFanOutToNonReadingClientsKeepsTheServerBounded) {
  server_process server(
      "limits:\n"
      "  rate: 100000\n"
      "  burst: 100000\n"
      "  max_outbound_bytes: 1MiB\n"
      "  shutdown_grace: 1s\n", metrics_listen_args());
  constexpr int non_readers = 8;
  std::vector<test_client> stalled;
  for (int i = 0; i < non_readers; ++i) {
    const std::string nick = "stalled" + std::to_string(i);
    stalled.emplace_back(server.port(), nick, small_window());
    stalled.back().register_json(nick);
  }
  test_client bob = json_client(server, "bob");
  test_client pub = json_client(server, "pub");
  bob.sync_json();
  const std::int64_t baseline = rss_bytes(server.pid());
  const std::int64_t baseline_peak = peak_rss_bytes(server.pid());

  // 15000 messages of 3000 bytes: 45 MB to every member. Queued lines are shared between
  // members, so if nothing bounded the queues of the 8 that do not read, the server would hold
  // all 45 MB (and 8 x 15000 queue entries) by the end.
  // (Fewer under ASan: it is slow, and its RSS figures only catch gross growth anyway.)
  constexpr std::uint64_t messages = under_asan ? 4000 : 15000;
  const std::string text(3000, 'f');
  std::string bob_error;  // read once the thread is joined
  std::atomic<bool> bob_failed{false};
  std::atomic<std::uint64_t> bob_last{0};
  std::size_t bob_quits = 0;
  std::vector<std::thread> threads;
  join_on_exit join_threads{threads};
  threads.emplace_back([&] {
    try {
      while (bob_last < messages) {
        const std::string line = bob.expect_line(10s);
        const auto seq = fast_msg_seq(line);
        if (!seq && json::parse(line).value("type", "") == "quit") {
          ++bob_quits;
          continue;
        }
        if (seq != bob_last + 1) {
          throw std::runtime_error("after seq " + std::to_string(bob_last) + ": " +
                                   line.substr(0, 200));
        }
        bob_last = *seq;
      }
    } catch (const std::exception& e) {
      bob_error = e.what();
      bob_failed = true;
    }
  });

  std::int64_t highest = baseline;
  std::uint64_t acked = 0;
  const auto start = clock_type::now();
  while (acked < messages) {
    std::string batch;
    for (int k = 0; k < 100; ++k) batch += text + "\n";
    pub.send_raw(batch);
    for (int k = 0; k < 100;) {
      json j = pub.read_json(10s);
      if (j["type"] == "ok") {
        ++acked;
        ++k;
      }
    }
    if (acked % 1000 == 0) highest = std::max(highest, rss_bytes(server.pid()));
    // bob reads as fast as he can, but the publisher is faster: stay at most one batch ahead
    // of him, or he would be (rightly) cut as a slow consumer too.
    ASSERT_TRUE(wait_until([&] { return bob_last >= acked || bob_failed; }, 10s,
                           "bob to read up to the last acked message", 1ms))
        << "bob fell behind: at " << bob_last << " of " << acked;
  }
  threads[0].join();
  const double took = std::chrono::duration<double>(clock_type::now() - start).count();
  highest = std::max(highest, rss_bytes(server.pid()));
  const std::int64_t peak = peak_rss_bytes(server.pid());

  ASSERT_EQ(bob_error, "");
  EXPECT_EQ(bob_last, messages);
  EXPECT_EQ(bob_quits, static_cast<std::size_t>(non_readers)) << "every non-reader is cut";
  EXPECT_EQ(count_of(server.log(), "reason=slow-consumer"), static_cast<std::size_t>(non_readers));

  report("fanout_rss_baseline", baseline);
  report("fanout_rss_highest_sampled", highest);
  report("fanout_rss_peak_growth", peak - baseline_peak);
  std::cout << "[ measure  ] " << messages << " x 3000 B to " << non_readers + 2
            << " members in " << took << " s; bound on growth " << mib_text(fanout_growth_bound)
            << "\n";
  EXPECT_LT(highest - baseline, fanout_growth_bound);
  EXPECT_LT(peak - baseline_peak, fanout_growth_bound);
  for (auto& c : stalled) c.close();
  EXPECT_TRUE(no_connections_after_closing(server, {&bob, &pub}));
}
