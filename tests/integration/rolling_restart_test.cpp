// A rolling restart of two chatd nodes behind a real HAProxy, over a real 3-node JetStream
// cluster: node a is drained with SIGUSR2 and started again, then node b. Meanwhile a
// publisher says a numbered sequence into a room through the balancer, and a bot that comes
// back through the balancer whenever it is drained (resuming with /join ROOM since SEQ EPOCH)
// ends up with every acked message exactly once, in order, with no gap.
#include <gtest/gtest.h>

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "integration/chat_helpers.hpp"
#include "integration/free_ports.hpp"
#include "integration/haproxy_process.hpp"
#include "integration/nats_cluster.hpp"
#include "integration/poll.hpp"
#include "integration/server_process.hpp"
#include "integration/test_client.hpp"

namespace chatd::integration {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

constexpr std::string_view room_name = "rolling";
// Bounds: the run takes about 15 s; nothing here may wait past these.
constexpr auto run_deadline = 60s;
constexpr int max_messages = 600;
constexpr int min_messages = 200;
constexpr int max_connects = 60;

// Connects through the balancer and registers as `nick` (no automatic room); nullopt if the
// balancer has no node to give it just now.
std::optional<test_client> connect_through(std::uint16_t port, const std::string& nick) {
  try {
    test_client c(port, nick);
    c.register_json(nick, "");
    return c;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// The next line as JSON, or nullopt on timeout or close.
std::optional<json> next_json(test_client& c, std::chrono::milliseconds timeout) {
  const auto line = c.read_line(timeout);
  if (!line) return std::nullopt;
  return json::parse(*line);
}

// What the publisher did: the text of every acked message under its seq.
struct publisher_result {
  std::map<std::uint64_t, std::string> acked;
  int sent = 0;
  int connects = 0;
  int drained = 0;  // byes server-draining it got
};

// Says "m1", "m2", ... one at a time, each after the previous one's ok, until `stop` is set and
// at least min_messages went out (at most max_messages). A message whose ok does not come
// (drained, refused) is never sent again: a number is said at most once.
void publish(std::uint16_t port, const std::atomic<bool>& stop, publisher_result& out,
             std::atomic<std::uint64_t>& last_acked) {
  const auto deadline = steady::now() + run_deadline;
  int next = 1;
  const auto go_on = [&] {
    return next <= max_messages && !(stop && out.sent >= min_messages) &&
           steady::now() < deadline;
  };
  while (go_on() && out.connects < max_connects) {
    auto c = connect_through(port, "pub" + std::to_string(++out.connects));
    if (!c) {
      std::this_thread::sleep_for(100ms);
      continue;
    }
    // Reads up to the answer to what was just sent; false once the connection is gone.
    const auto answered = [&](const std::string& text) {
      for (;;) {
        const auto j = next_json(*c, 3s);
        if (!j) return false;
        const std::string type = j->value("type", "");
        const std::string cmd = j->value("cmd", "");
        if (type == "ok" && cmd == "join") return true;
        if (type == "ok" && cmd == "say") {
          const std::uint64_t seq = j->at("seq");
          out.acked[seq] = text;
          last_acked = std::max<std::uint64_t>(last_acked, seq);
          return true;
        }
        if (type == "error") return true;  // not stored: that number is skipped
        if (type == "bye") {
          out.drained += j->value("reason", "") == "server-draining";
          return false;
        }
        // notices, joins, parts, quits: nothing to answer
      }
    };
    try {
      c->send_line("/join " + std::string(room_name));
      if (!answered("")) continue;
      while (go_on()) {
        const std::string text = "m" + std::to_string(next++);
        c->send_line(text);
        ++out.sent;
        if (!answered(text)) break;
        std::this_thread::sleep_for(15ms);
      }
    } catch (const std::runtime_error&) {
      // The connection went while sending: connect again.
    }
  }
}

// What the bot saw.
struct bot_result {
  std::vector<std::pair<std::uint64_t, std::string>> received;  // in the order they came
  std::vector<std::string> problems;
  int connects = 0;
  int drained = 0;  // byes server-draining
  int notices = 0;  // notices server-draining
  int resumed_complete = 0;
};

// Stays in the room through the balancer until the publisher is done and the bot has every
// seq up to the last acked one. Each time it is drained it connects again and resumes.
void follow(std::uint16_t port, const std::atomic<bool>& publisher_done,
            const std::atomic<std::uint64_t>& last_acked, std::atomic<bool>& joined_once,
            bot_result& out) {
  const auto deadline = steady::now() + run_deadline;
  std::uint64_t last_seq = 0;
  std::string epoch;
  const auto finished = [&] { return publisher_done && last_seq >= last_acked; };
  while (!finished() && steady::now() < deadline && out.connects < max_connects) {
    auto c = connect_through(port, "bot" + std::to_string(++out.connects));
    if (!c) {
      std::this_thread::sleep_for(100ms);
      continue;
    }
    try {
      c->send_line("/join " + std::string(room_name) + " since " + std::to_string(last_seq) +
                   (epoch.empty() ? "" : " " + epoch));
      bool gone = false;
      while (!gone && !finished() && steady::now() < deadline) {
        const auto j = next_json(*c, 500ms);
        if (!j) {
          gone = c->peer_closed();
          if (gone) out.problems.push_back("closed without a bye on connection " +
                                           std::to_string(out.connects));
          continue;
        }
        const std::string type = j->value("type", "");
        if (type == "ok" && j->value("cmd", "") == "join") {
          const std::string got_epoch = j->at("epoch");
          if (!epoch.empty() && got_epoch != epoch) out.problems.push_back("epoch changed");
          epoch = got_epoch;  // every node gives an empty room the same epoch
          if (j->value("complete", false)) {
            ++out.resumed_complete;
          } else {
            out.problems.push_back("resume not complete: " + j->dump());
          }
          joined_once = true;
        } else if (type == "msg" && j->value("room", "") == room_name) {
          const std::uint64_t seq = j->at("seq");
          if (seq != last_seq + 1) {
            out.problems.push_back("after seq " + std::to_string(last_seq) + " came " +
                                   std::to_string(seq));
          }
          last_seq = std::max(last_seq, seq);
          out.received.emplace_back(seq, j->at("text"));
        } else if (type == "notice") {
          out.notices += j->value("code", "") == "server-draining";
        } else if (type == "bye") {
          if (j->value("reason", "") == "server-draining") {
            ++out.drained;
          } else {
            out.problems.push_back("bye " + j->dump());
          }
          gone = true;
        } else if (type == "error") {
          out.problems.push_back(j->dump());
        }
      }
    } catch (const std::runtime_error& e) {
      out.problems.push_back(std::string("connection ") + std::to_string(out.connects) +
                             ": " + e.what());
    }
  }
  if (!finished()) out.problems.push_back("stopped at seq " + std::to_string(last_seq));
}

class RollingRestart : public ::testing::Test {
 protected:
  RollingRestart() : nats_(3) {}

  std::vector<std::string> args(const balanced_node& n) const {
    return {"--listen", "127.0.0.1:" + std::to_string(n.chat_port), "--metrics-listen",
            "127.0.0.1:" + std::to_string(n.health_port)};
  }
  std::string yaml(const balanced_node& n) const {
    std::string urls;
    for (const std::string& url : nats_.urls()) urls += (urls.empty() ? "" : ", ") + url;
    return "cluster:\n  nats: [" + urls + "]\n  node: " + n.name +
           "\n  replicas: 3\n  prefix: rolling\n"
           "rooms:\n  default: \"\"\n  history: 2000\n"
           "limits:\n  drain_period: 2s\n  rate: 10000\n  burst: 10000\n";
  }
  std::unique_ptr<server_process> start(const balanced_node& n) const {
    return std::make_unique<server_process>(yaml(n), args(n));
  }

  nats_cluster nats_;
};

TEST_F(RollingRestart, ADrainedBotResumesOnTheOtherNodeAndMissesNothing) {
  const auto ports = free_loopback_ports(4);
  const balanced_node na{"a", ports[0], ports[1]};
  const balanced_node nb{"b", ports[2], ports[3]};
  std::map<std::string, std::unique_ptr<server_process>> nodes;
  nodes["a"] = start(na);
  nodes["b"] = start(nb);
  haproxy_process balancer({na, nb});
  ASSERT_TRUE(balancer.wait_status("a", "UP", 5s));
  ASSERT_TRUE(balancer.wait_status("b", "UP", 5s));

  std::atomic<bool> stop_publishing{false};
  std::atomic<bool> publisher_done{false};
  std::atomic<bool> bot_joined{false};
  std::atomic<std::uint64_t> last_acked{0};
  publisher_result pub;
  bot_result bot;
  std::thread bot_thread(
      [&] { follow(balancer.port(), publisher_done, last_acked, bot_joined, bot); });
  ASSERT_TRUE(wait_until([&] { return bot_joined.load(); }, 10s, "the bot to join"));
  std::thread pub_thread([&] {
    publish(balancer.port(), stop_publishing, pub, last_acked);
    publisher_done = true;
  });
  // Whatever fails below, the threads end within their own bounds.
  struct joiner {
    std::thread& a;
    std::thread& b;
    std::atomic<bool>& stop;
    ~joiner() {
      stop = true;
      if (a.joinable()) a.join();
      if (b.joinable()) b.join();
    }
  } join_threads{pub_thread, bot_thread, stop_publishing};

  for (const balanced_node* n : {&na, &nb}) {
    const std::uint64_t before = last_acked;
    ASSERT_TRUE(wait_until([&] { return last_acked >= before + 40; }, 15s,
                           "40 more acked messages before draining " + n->name));
    auto& node = nodes[n->name];
    const auto signalled = steady::now();
    node->signal(SIGUSR2);
    EXPECT_TRUE(balancer.wait_status(n->name, "DOWN", 3s));
    EXPECT_EQ(node->wait_exit(8s), std::optional<int>(0)) << node->log();
    EXPECT_LE(steady::now() - signalled, 8s);
    EXPECT_NE(node->log().find("lame duck: drain done"), std::string::npos) << node->log();
    node = start(*n);  // the new version
    ASSERT_TRUE(balancer.wait_status(n->name, "UP", 10s)) << node->log();
  }
  {
    const std::uint64_t before = last_acked;
    EXPECT_TRUE(wait_until([&] { return last_acked >= before + 20; }, 15s,
                           "20 more acked messages after the restart"));
  }
  stop_publishing = true;
  pub_thread.join();
  bot_thread.join();

  for (const auto& p : bot.problems) ADD_FAILURE() << "bot: " << p;
  EXPECT_GE(bot.drained, 1) << "the bot was never drained: the test proved nothing";
  EXPECT_EQ(bot.notices, bot.drained) << "one notice before each bye";
  EXPECT_GE(bot.resumed_complete, bot.drained + 1) << "each connection resumes completely";
  EXPECT_GE(pub.drained, 1);
  ASSERT_GE(pub.acked.size(), static_cast<std::size_t>(min_messages) - 10);

  // Every acked message exactly once, under its seq; every seq from 1 on, once, in order.
  std::map<std::string, int> seen;
  for (std::size_t i = 0; i < bot.received.size(); ++i) {
    EXPECT_EQ(bot.received[i].first, i + 1) << "position " << i;
    ++seen[bot.received[i].second];
  }
  for (const auto& [seq, text] : pub.acked) {
    ASSERT_LE(seq, bot.received.size()) << text << " acked as " << seq << " never came";
    EXPECT_EQ(bot.received[seq - 1].second, text) << "seq " << seq;
    EXPECT_EQ(seen[text], 1) << text;
  }
  for (const auto& [text, count] : seen) EXPECT_EQ(count, 1) << text << " came " << count;
  std::cout << "rolling restart: " << pub.sent << " sent, " << pub.acked.size() << " acked, "
            << bot.received.size() << " received by the bot over " << bot.connects
            << " connections (" << bot.drained << " drained)\n";
}

}  // namespace
}  // namespace chatd::integration
