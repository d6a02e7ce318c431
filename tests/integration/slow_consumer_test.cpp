// A client that does not read while its rooms are busy: its unsent output passes
// limits.max_outbound_bytes and it is cut as a slow consumer, while everyone else in the room
// keeps receiving every message, in order, promptly.
#include <gtest/gtest.h>

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

// What a reading subscriber saw: the msg seqs in arrival order and the other events, with the
// number of msgs that had arrived before each. `last` is read by the publisher to pace itself.
struct subscription {
  std::vector<std::uint64_t> seqs;
  std::vector<std::pair<std::size_t, json>> events;
  std::atomic<std::uint64_t> last{0};
  std::atomic<bool> failed{false};
  std::string error;  // read once the thread is joined
};

// Reads until the msg whose text is `end` arrived (or a failure); every read has `timeout`.
void read_until_end(test_client& client, subscription& out, std::chrono::milliseconds timeout) {
  try {
    for (;;) {
      const std::string line = client.expect_line(timeout);
      if (auto seq = fast_msg_seq(line)) {
        out.seqs.push_back(*seq);
        out.last = *seq;
        if (line.find(R"("text":"end",)") != std::string::npos) break;
        continue;
      }
      json j = json::parse(line);
      if (j.value("type", "") == "msg") throw protocol_failure("msg not recognised: " + line);
      out.events.emplace_back(out.seqs.size(), std::move(j));
    }
  } catch (const std::exception& e) {
    out.error = e.what();
    out.failed = true;
  }
}

}  // namespace

TEST(SlowConsumer, ClientThatDoesNotReadIsCutAndOthersGetEverySeqWithoutGaps) {
  server_process server(
      "limits:\n"
      "  rate: 100000\n"
      "  burst: 100000\n"
      "  max_outbound_bytes: 256KiB\n"
      "  shutdown_grace: 1s\n",
      metrics_listen_args());
  // A small receive window, set before connecting, so the server's side backs up sooner.
  test_client slow(server.port(), "slow", small_window());
  slow.register_json("slow");
  test_client bob = json_client(server, "bob");
  test_client carol = json_client(server, "carol");
  test_client pub = json_client(server, "pub");
  bob.sync_json();
  carol.sync_json();
  // From here on slow reads nothing.

  subscription bob_got, carol_got;
  std::vector<std::thread> readers;
  join_on_exit join_readers{readers};
  readers.emplace_back([&] { read_until_end(bob, bob_got, 10s); });
  readers.emplace_back([&] { read_until_end(carol, carol_got, 10s); });

  // pub sends batches of 3000-byte messages until slow is cut (the kernel's socket buffers take
  // a few MB first), then as many again as it took. It stays at most one batch ahead of the
  // readers, who have the same bound on their queues: they are quick, not infinitely so.
  constexpr std::uint64_t batch_size = 40;
  constexpr std::uint64_t most = 20000;  // 60 MB: slow must be cut long before
  const std::string text(3000, 'm');
  const json slow_quit{{"type", "quit"}, {"nick", "slow"}, {"reason", "slow-consumer"}};
  const auto start = clock_type::now();
  std::vector<json> pub_events;
  std::uint64_t acked = 0;
  std::uint64_t cut_at = 0;  // acked when pub saw slow's quit
  auto publish = [&](const std::string& line_text, std::uint64_t n) {
    std::string batch;
    for (std::uint64_t k = 0; k < n; ++k) batch += line_text + "\n";
    pub.send_raw(batch);
    for (std::uint64_t k = 0; k < n;) {
      json j = pub.read_json(10s);
      if (j["type"] != "ok") {
        if (j == slow_quit && cut_at == 0) cut_at = acked;
        pub_events.push_back(j);
        continue;
      }
      ASSERT_EQ(j["seq"], ++acked) << j.dump();
      ++k;
    }
    ASSERT_TRUE(wait_until([&] {
      return (bob_got.last >= acked && carol_got.last >= acked) || bob_got.failed ||
             carol_got.failed;
    }, 10s, "the readers to catch up with the last acked message", 1ms))
        << "bob at " << bob_got.last << ", carol at " << carol_got.last << " of " << acked;
  };
  while (cut_at == 0 && acked < most) {
    publish(text, batch_size);
    if (HasFatalFailure()) return;
  }
  ASSERT_NE(cut_at, 0u) << "slow was never cut";
  const std::uint64_t after_cut = cut_at;
  while (acked < 2 * after_cut) {
    publish(text, batch_size);
    if (HasFatalFailure()) return;
  }
  publish("end", 1);
  const std::uint64_t messages = acked;
  for (auto& t : readers) t.join();
  const double took = std::chrono::duration<double>(clock_type::now() - start).count();
  std::cout << "[ measure  ] slow consumer cut after " << cut_at << " x 3 KB messages; "
            << messages << " messages to 2 readers in " << took << " s\n";
  EXPECT_LT(took, 30.0);

  for (auto* got : {&bob_got, &carol_got}) {
    ASSERT_EQ(got->error, "");
    ASSERT_EQ(got->seqs.size(), messages) << "messages lost or duplicated";
    for (std::uint64_t k = 0; k < messages; ++k) ASSERT_EQ(got->seqs[k], k + 1) << "gap or reorder";
    ASSERT_EQ(got->events.size(), 1u) << "expected exactly slow's quit";
    EXPECT_EQ(got->events[0].second, slow_quit);
    // slow was cut while the others went on receiving.
    EXPECT_LT(got->events[0].first, messages / 2 + batch_size);
  }
  ASSERT_EQ(pub_events.size(), 1u);
  EXPECT_EQ(pub_events[0], slow_quit);
  EXPECT_TRUE(server.wait_for_log("nick=slow reason=slow-consumer")) << server.log();

  // slow's connection is closed. What it can still read: its registration, some messages, and
  // the bye if the server could still write it.
  auto lines = lines_until_closed(slow, 10s);
  std::size_t slow_msgs = 0;
  bool slow_bye = false;
  for (const auto& line : lines) {
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded()) continue;  // the human welcome
    if (j.value("type", "") == "msg") ++slow_msgs;
    if (j.value("type", "") == "bye") {
      slow_bye = true;
      EXPECT_EQ(j, (json{{"type", "bye"}, {"reason", "slow-consumer"}}));
    }
  }
  std::cout << "[ measure  ] slow consumer received " << slow_msgs << " of " << messages
            << " messages before the cut" << (slow_bye ? ", then the bye\n" : " (no bye)\n");
  EXPECT_LT(slow_msgs, cut_at);

  // Everyone else is still fine.
  pub.send_line("after");
  EXPECT_EQ(pub.expect_ok("say")["seq"], messages + 1);
  check_msg(bob.expect_json("msg"), "lobby", "pub", "after");
  check_msg(carol.expect_json("msg"), "lobby", "pub", "after");

  // The server let go of the cut connection itself (slow's socket is still open here), and
  // of every other one once its client closed.
  EXPECT_TRUE(wait_connections_active(server, 3));
  EXPECT_TRUE(no_connections_after_closing(server, {&slow, &bob, &carol, &pub}));
}

TEST(SlowConsumer, SlowConsumerInHumanFormatInSeveralRoomsLeavesThemAllOnce) {
  server_process server(
      "limits:\n"
      "  rate: 100000\n"
      "  burst: 100000\n"
      "  max_outbound_bytes: 16KiB\n"
      "  shutdown_grace: 1s\n",
      metrics_listen_args());
  test_client slow(server.port(), "slow", small_window());
  read_human_welcome(slow);
  slow.send_line("/nick slow");
  slow.send_line("/join den");
  slow.sync_human();
  test_client bob = json_client(server, "bob");  // in lobby and den with slow
  bob.send_line("/join den");
  bob.expect_ok("join");
  bob.sync_json();

  // bob talks in den until slow is cut (bounded: 40 MB; the kernel's buffers take a few first).
  std::vector<json> events;
  const std::string text(2000, 'b');
  std::string batch;
  for (int k = 0; k < 20; ++k) batch += text + "\n";
  for (int i = 0; i < 1000 && events.empty(); ++i) {
    bob.send_raw(batch);
    for (int k = 0; k < 20;) {
      json j = bob.read_json();
      if (j["type"] == "ok") {
        ++k;
        continue;
      }
      events.push_back(j);
    }
  }
  ASSERT_FALSE(events.empty()) << "slow was never cut";
  for (auto& j : bob.sync_json()) events.push_back(j);
  ASSERT_EQ(events.size(), 1u) << "one quit event for two shared rooms";
  EXPECT_EQ(events[0], (json{{"type", "quit"}, {"nick", "slow"}, {"reason", "slow-consumer"}}));
  EXPECT_TRUE(slow.wait_closed(10s));
  bob.send_line("/who den");
  EXPECT_EQ(member_set(bob.expect_json("who")), (std::set<std::string>{"bob"}));
  EXPECT_TRUE(wait_connections_active(server, 1)) << "the cut connection is still counted";
  EXPECT_TRUE(no_connections_after_closing(server, {&slow, &bob}));
}

// max_outbound_bytes may be as small as max_line_bytes, but JSON escaping makes a line of
// quotes twice as long on the wire: a member that reads along still gets it, and stays.
TEST(SlowConsumer, AnEscapedLineLongerThanTheBoundReachesAMemberThatReads) {
  server_process server("limits:\n  max_outbound_bytes: 4KiB\n  max_line_bytes: 4096\n");
  test_client alice = json_client(server, "alice");
  test_client bob = json_client(server, "bob");
  alice.sync_json();  // bob's join
  const std::string quotes(3000, '"');
  alice.send_line(quotes);
  EXPECT_EQ(alice.expect_ok("say")["seq"], 1);
  const json msg = bob.expect_json("msg");
  EXPECT_EQ(msg["text"], quotes);
  bob.send_line("/ping still-here");
  EXPECT_EQ(bob.expect_json("pong")["token"], "still-here");
}
