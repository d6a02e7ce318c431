// Cluster mode against a real 3-node nats-server cluster with JetStream on loopback, and real
// chatd nodes in front of it: one seq per room for the whole cluster, the ok only once stored,
// one nick namespace, history from the stream on any node and across restarts, and what a
// client sees while NATS is gone. Each test names its own prefix, so they share one NATS
// cluster (started once for the suite) without seeing each other's rooms or nicks.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "integration/chat_helpers.hpp"
#include "integration/http_client.hpp"
#include "integration/metrics_helpers.hpp"
#include "integration/nats_cluster.hpp"
#include "integration/poll.hpp"
#include "integration/server_process.hpp"
#include "integration/test_client.hpp"

namespace chatd::integration {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class Cluster : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { nats_ = std::make_unique<nats_cluster>(3); }
  static void TearDownTestSuite() { nats_.reset(); }

  // A chatd node of this test's chat, with no automatic room: `extra` is more YAML (limits),
  // `cluster_extra` more keys of cluster:, each line indented by two spaces.
  std::unique_ptr<server_process> node(const std::string& name, const std::string& extra = {},
                                       const std::string& cluster_extra = {}) {
    std::string urls;
    for (const std::string& url : nats_->urls()) urls += (urls.empty() ? "" : ", ") + url;
    const std::string yaml = "cluster:\n  nats: [" + urls + "]\n  node: " + name +
                             "\n  replicas: 3\n  prefix: " + prefix() + "\n" + cluster_extra +
                             "rooms:\n  default: \"\"\n" + extra;
    return std::make_unique<server_process>(yaml, metrics_listen_args());
  }

  // Unique per test: its subjects, stream and bucket.
  std::string prefix() const {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string("t_") + info->name();
    return name.substr(0, 32);
  }

  static std::unique_ptr<nats_cluster> nats_;
};
std::unique_ptr<nats_cluster> Cluster::nats_;

// What a node logged about the cluster, for a failure message.
std::string cluster_lines(const server_process& node) {
  std::istringstream log(node.log());
  std::string out;
  for (std::string line; std::getline(log, line);)
    if (line.find("cluster:") != std::string::npos) out += line + "\n";
  return out;
}

// One request in NATS's own text protocol, as the `nats` tool sends it (the tests call
// JetStream's API with it): the reply's payload, or nullopt.
std::optional<std::string> nats_request(std::uint16_t port, const std::string& subject,
                                        const std::string& payload = {}) {
  test_client c(port, "nats");
  if (!c.read_line()) return std::nullopt;  // INFO
  c.send_raw("CONNECT {\"verbose\":false,\"pedantic\":false}\r\nSUB _INBOX.chatdtest 1\r\n"
             "PUB " + subject + " _INBOX.chatdtest " + std::to_string(payload.size()) + "\r\n" +
             payload + "\r\n");
  for (int lines = 0; lines < 20; ++lines) {
    const auto line = c.read_line(5s);
    if (!line) return std::nullopt;
    if (line->rfind("MSG _INBOX.chatdtest ", 0) == 0) return c.read_line();
    if (*line == "PING") c.send_raw("PONG\r\n");
  }
  return std::nullopt;
}

// Fast enough for a burst of test messages.
constexpr const char* busy_limits = "limits:\n  rate: 10000\n  burst: 10000\n";

json join(test_client& c, const std::string& room) {
  c.send_line("/join " + room);
  json ok = c.expect_ok("join");
  return ok;
}

// Joins `clients` (on any nodes) to `room` and waits until each sees all of them in /who:
// what one node tells the others arrives a moment later. Then the join events they got are
// read, so each has nothing pending.
// Waits until `c` sees `members` in /who of `room` (what other nodes tell comes a moment
// later), reading what came meanwhile.
void wait_for_members(test_client& c, const std::string& room, std::size_t members) {
  std::size_t seen = 0;
  EXPECT_TRUE(wait_until(
      [&] {
        c.send_line("/who " + room);
        for (;;) {
          const json line = c.read_json();
          if (line.at("type") == "who") return (seen = line.at("total")) == members;
        }
      },
      10s, "every member in /who"))
      << c.label() << " sees " << seen;
}

void join_all(const std::vector<test_client*>& clients, const std::string& room) {
  for (test_client* c : clients) join(*c, room);
  for (test_client* c : clients) wait_for_members(*c, room, clients.size());
  for (test_client* c : clients) c->sync_json();
}

TEST_F(Cluster, AMessageCrossesNodesWithOneSeqAndItsOkComesOnceStored) {
  auto a = node("a");
  auto b = node("b");
  test_client alice = json_client(*a, "alice", "");
  test_client bob = json_client(*b, "bob", "");
  join_all({&alice, &bob}, "dev");

  alice.send_line("hello from a");
  const json ok = alice.expect_ok("say");
  EXPECT_EQ(ok.at("seq"), 1);
  const json got = bob.expect_json("msg");
  check_msg(got, "dev", "alice", "hello from a");
  EXPECT_EQ(got.at("seq"), 1);

  bob.send_line("and from b");
  EXPECT_EQ(bob.expect_ok("say").at("seq"), 2);
  const json back = alice.expect_json("msg");
  check_msg(back, "dev", "bob", "and from b");
  EXPECT_EQ(back.at("seq"), 2);
  alice.expect_quiet_json();  // a sender never gets its own message back
  bob.expect_quiet_json();
}

// A room with no message yet has the same epoch on every node, so a client that joined it
// empty resumes on another node with what its join ok said, and sees nothing twice.
TEST_F(Cluster, AnEmptyRoomHasOneEpochOnEveryNode) {
  auto a = node("a");
  auto b = node("b");
  test_client alice = json_client(*a, "alice", "");
  test_client bob = json_client(*b, "bob", "");
  const json bob_join = join(bob, "quiet");
  const json alice_join = join(alice, "quiet");
  EXPECT_EQ(bob_join.at("seq"), 0);
  EXPECT_EQ(alice_join.at("epoch"), bob_join.at("epoch"));
  EXPECT_EQ(bob.expect_json("join", 10s).at("nick"), "alice");  // from the other node
  alice.sync_json();
  alice.send_line("first words");
  EXPECT_EQ(alice.expect_ok("say").at("seq"), 1);
  check_msg(bob.expect_json("msg"), "quiet", "alice", "first words");

  // Bob resumes on node a from what his join said: the one message, complete.
  test_client again = json_client(*a, "bob2", "");
  again.send_line("/join quiet since 0 " + bob_join.at("epoch").get<std::string>());
  const json ok = again.expect_ok("join");
  EXPECT_EQ(ok.at("epoch"), bob_join.at("epoch"));
  EXPECT_EQ(ok.value("complete", false), true) << ok.dump();
  const json replayed = again.expect_json("msg");
  EXPECT_EQ(replayed.at("text"), "first words");
  EXPECT_EQ(replayed.at("seq"), 1);
  EXPECT_EQ(replayed.value("history", false), true);
  again.expect_quiet_json();
}

TEST_F(Cluster, PublishersOnTwoNodesGetOneGaplessOrderSeenAlikeEverywhere) {
  auto a = node("a", busy_limits);
  auto b = node("b", busy_limits);
  test_client alice = json_client(*a, "alice", "");
  test_client bob = json_client(*b, "bob", "");
  test_client carol = json_client(*a, "carol", "");
  test_client dave = json_client(*b, "dave", "");
  join_all({&alice, &bob, &carol, &dave}, "race");

  constexpr int each = 150;
  std::thread alice_sends([&] {
    for (int i = 0; i < each; ++i) alice.send_line("a" + std::to_string(i));
  });
  for (int i = 0; i < each; ++i) bob.send_line("b" + std::to_string(i));
  alice_sends.join();

  // Each sender's oks: one per message, in its order, with the seq the others see it under;
  // between them, the other sender's messages, in seq order.
  std::map<std::string, std::uint64_t> ok_seq;
  for (auto [sender, tag] : {std::pair{&alice, "a"}, std::pair{&bob, "b"}}) {
    std::uint64_t last_ok = 0;
    std::uint64_t last_msg = 0;
    int oks = 0;
    int msgs = 0;
    while (oks < each || msgs < each) {
      const json line = sender->read_json(20s);
      const std::uint64_t seq = line.at("seq");
      if (line.at("type") == "ok") {
        EXPECT_GT(seq, last_ok);
        last_ok = seq;
        ok_seq[tag + std::to_string(oks++)] = seq;
      } else {
        ASSERT_EQ(line.at("type"), "msg") << line.dump();
        EXPECT_GT(seq, last_msg);
        last_msg = seq;
        ++msgs;
      }
    }
  }
  std::vector<std::string> seen_by_carol;
  std::vector<std::string> seen_by_dave;
  for (auto [reader, seen] : {std::pair{&carol, &seen_by_carol}, std::pair{&dave, &seen_by_dave}}) {
    for (std::uint64_t expect = 1; expect <= 2 * each; ++expect) {
      const json msg = reader->expect_json("msg", 20s);
      ASSERT_EQ(msg.at("seq"), expect) << "a gap or a reorder on " << reader->label() << ": "
                                       << msg.dump() << "\n" << a->log() << b->log();
      const std::string text = msg.at("text");
      EXPECT_EQ(ok_seq.at(text), expect) << text;
      seen->push_back(text);
    }
    reader->expect_quiet_json();  // and nothing twice
  }
  EXPECT_EQ(seen_by_carol, seen_by_dave);
}

TEST_F(Cluster, AJoinerOnAnotherNodeGetsTheHistoryAndResumesFromASeq) {
  auto a = node("a");
  auto b = node("b");
  test_client alice = json_client(*a, "alice", "");
  join(alice, "dev");
  for (int i = 1; i <= 5; ++i) {
    alice.send_line("m" + std::to_string(i));
    alice.expect_ok("say");
  }
  // Node b reads the stream a moment after node a stored it: what it has read by the join is
  // history, the rest comes live, and together they are 1..5 once each, in order.
  test_client bob = json_client(*b, "bob", "");
  const std::uint64_t known = join(bob, "dev").at("seq");
  EXPECT_LE(known, 5u);
  for (std::uint64_t i = 1; i <= 5; ++i) {
    const json m = bob.expect_json("msg", 10s);
    EXPECT_EQ(m.at("seq"), i);
    EXPECT_EQ(m.at("text"), "m" + std::to_string(i));
    EXPECT_EQ(m.value("history", false), i <= known) << m.dump();
  }
  bob.send_line("/join dev");  // a member already: the ok says where the room is
  const json ok = bob.expect_ok("join");
  EXPECT_EQ(ok.at("seq"), 5);
  const std::string epoch = ok.at("epoch");
  bob.send_line("/join dev since 3 " + epoch);
  const json resumed = bob.expect_ok("join");
  EXPECT_EQ(resumed.at("replay"), 2);
  EXPECT_EQ(resumed.at("complete"), true);
  EXPECT_EQ(bob.expect_json("msg").at("seq"), 4);
  EXPECT_EQ(bob.expect_json("msg").at("seq"), 5);
}

TEST_F(Cluster, ANickRaceBetweenTwoNodesHasExactlyOneWinnerEveryTime) {
  auto a = node("a");
  auto b = node("b");
  constexpr int rounds = 100;
  for (int round = 0; round < rounds; ++round) {
    test_client x(a->port(), "x");
    test_client y(b->port(), "y");
    for (test_client* c : {&x, &y}) {
      read_human_welcome(*c);
      c->send_line("/format json");
      c->expect_ok("format");
    }
    const std::string nick = "racer" + std::to_string(round);
    x.send_line("/nick " + nick);
    y.send_line("/nick " + nick);
    int winners = 0;
    for (test_client* c : {&x, &y}) {
      const json reply = c->read_json(10s);
      if (reply.at("type") == "ok") {
        EXPECT_EQ(reply.at("nick"), nick);
        ++winners;
      } else {
        EXPECT_EQ(reply.at("type"), "error");
        EXPECT_EQ(reply.at("code"), "nick-taken") << reply.dump();
      }
    }
    ASSERT_EQ(winners, 1) << "round " << round;
  }
}

TEST_F(Cluster, ANickIsFreedClusterWideWhenItsHolderQuits) {
  auto a = node("a");
  auto b = node("b");
  {
    test_client alice = json_client(*a, "alice", "");
    test_client imposter(b->port(), "imposter");
    read_human_welcome(imposter);
    imposter.send_line("/nick ALICE");
    EXPECT_NE(imposter.expect_line().find("nick-taken"), std::string::npos);
    alice.send_line("/quit");
    alice.wait_closed();
  }
  // The release is on its way to the engine: the nick is free within moments.
  bool taken_again = false;
  for (int attempt = 0; attempt < 50 && !taken_again; ++attempt) {
    test_client again(b->port(), "again");
    read_human_welcome(again);
    again.send_line("/nick alice");
    taken_again = again.expect_line().find("nick-taken") == std::string::npos;
    if (!taken_again) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(taken_again);
}

TEST_F(Cluster, HistorySeqAndEpochSurviveARestartOfEveryNode) {
  std::string epoch;
  {
    auto a = node("a");
    auto b = node("b");
    test_client alice = json_client(*a, "alice", "");
    epoch = join(alice, "dev").at("epoch");
    for (int i = 1; i <= 3; ++i) {
      alice.send_line("before " + std::to_string(i));
      alice.expect_ok("say");
    }
    for (auto* n : {a.get(), b.get()}) {
      n->signal(SIGTERM);
      EXPECT_EQ(n->wait_exit(), 0) << n->log();
    }
  }
  auto a = node("a");
  test_client bob = json_client(*a, "bob", "");
  const json ok = join(bob, "dev");
  EXPECT_EQ(ok.at("seq"), 3);
  EXPECT_EQ(ok.at("epoch"), epoch);
  for (int i = 1; i <= 3; ++i) EXPECT_EQ(bob.expect_json("msg").at("text"), "before " + std::to_string(i));
  bob.send_line("after");
  EXPECT_EQ(bob.expect_ok("say").at("seq"), 4);
}

TEST_F(Cluster, WhileNatsIsGoneSendersGetUnavailableAndTheNodeResumesByItself) {
  auto a = node("a");
  const std::uint16_t http = metrics_port(*a);
  test_client alice = json_client(*a, "alice", "");
  const std::string epoch = join(alice, "dev").at("epoch");
  alice.send_line("stored before");
  EXPECT_EQ(alice.expect_ok("say").at("seq"), 1);

  for (std::size_t i = 0; i < nats_->size(); ++i) nats_->kill9(i);
  http_reply health;
  EXPECT_TRUE(wait_until([&] { return (health = http_get(http, "/healthz")).status == 503; }, 10s,
                         "/healthz to answer 503"));
  EXPECT_EQ(health.body, "NATS unreachable (cluster.nats)\n");
  const auto outage_started = std::chrono::steady_clock::now();
  // The client keeps its connection; what needs no engine still works.
  alice.send_line("/help");
  EXPECT_EQ(alice.expect_ok("help").at("cmd"), "help");
  alice.sync_json();
  alice.send_line("reaches no one");
  alice.expect_error("unavailable");
  test_client newcomer(a->port(), "newcomer");
  read_human_welcome(newcomer);
  newcomer.send_line("/nick newcomer");
  EXPECT_NE(newcomer.expect_line(10s).find("unavailable"), std::string::npos);

  std::this_thread::sleep_until(outage_started + 10s);  // ten seconds without any NATS server
  for (std::size_t i = 0; i < nats_->size(); ++i) nats_->start(i);
  nats_->wait_ready();
  EXPECT_TRUE(wait_until([&] { return (health = http_get(http, "/healthz")).status == 200; }, 30s,
                         "/healthz to answer 200 again"))
      << health.body;
  EXPECT_TRUE(a->wait_for_log("cluster: reconnected to NATS")) << a->log();

  // Messages flow again, numbered on from the last one stored; the refused one is nowhere.
  bool sent = false;
  for (int attempt = 0; attempt < 50 && !sent; ++attempt) {
    alice.send_line("stored after");
    const json reply = alice.read_json(10s);
    sent = reply.at("type") == "ok";
    if (sent) {
      EXPECT_EQ(reply.at("seq"), 2);
    } else {
      std::this_thread::sleep_for(200ms);  // the stream's leader may still be electing
    }
  }
  ASSERT_TRUE(sent);
  test_client bob = json_client(*a, "bob", "");
  const json ok = join(bob, "dev");
  EXPECT_EQ(ok.at("seq"), 2);
  EXPECT_EQ(ok.at("epoch"), epoch);
  EXPECT_EQ(bob.expect_json("msg").at("text"), "stored before");
  EXPECT_EQ(bob.expect_json("msg").at("text"), "stored after");
  bob.expect_quiet_json();
  EXPECT_GE(scrape(http).value("chatd_cluster_engine_reconnects_total"), 1);
  EXPECT_GE(scrape(http).value("chatd_cluster_publish_failures_total", {{"reason", "disconnected"}}), 1);
}

TEST_F(Cluster, RoomsSpanNodesMembersEventsTopicsAndPrivateMessages) {
  auto a = node("a");
  auto b = node("b");
  test_client alice = json_client(*a, "alice", "");
  join(alice, "dev");
  test_client bob = json_client(*b, "bob", "");
  // The join ok lists members wherever they are; the others hear of the joiner.
  const json ok = join(bob, "dev");
  EXPECT_EQ(member_set(ok), (std::set<std::string>{"alice", "bob"}));
  const json joined = alice.expect_json("join", 10s);
  EXPECT_EQ(joined.at("nick"), "bob");

  for (test_client* c : {&alice, &bob}) {
    c->send_line("/who dev");
    const json who = c->expect_json("who");
    EXPECT_EQ(member_set(who), (std::set<std::string>{"alice", "bob"})) << c->label();
    c->send_line("/rooms");
    const json rooms = c->expect_json("rooms");
    ASSERT_EQ(rooms.at("rooms").size(), 1u) << rooms.dump();
    EXPECT_EQ(rooms.at("rooms")[0].at("members"), 2) << c->label();
  }

  alice.send_line("/topic release on friday");
  alice.expect_ok("topic");
  const json topic = bob.expect_json("topic", 10s);
  EXPECT_EQ(topic.at("topic"), "release on friday");
  EXPECT_EQ(topic.at("nick"), "alice");

  bob.send_line("/msg ALICE psst");
  EXPECT_EQ(bob.expect_ok("msg").at("to"), "alice");
  const json pm = alice.expect_json("pm", 10s);
  EXPECT_EQ(pm.at("from"), "bob");
  EXPECT_EQ(pm.at("text"), "psst");

  bob.send_line("/nick robert");
  bob.expect_ok("nick");
  const json renamed = alice.expect_json("nick", 10s);
  EXPECT_EQ(renamed.at("old"), "bob");
  EXPECT_EQ(renamed.at("new"), "robert");

  bob.send_line("/part dev");
  bob.expect_ok("part");
  const json parted = alice.expect_json("part", 10s);
  EXPECT_EQ(parted.at("nick"), "robert");
  join(bob, "dev");
  EXPECT_EQ(alice.expect_json("join", 10s).at("nick"), "robert");
  bob.send_line("/quit see you");
  bob.wait_closed();
  const json quit = alice.expect_json("quit", 10s);
  EXPECT_EQ(quit.at("nick"), "robert");
  EXPECT_EQ(quit.at("reason"), "see you");
  alice.expect_quiet_json();
}

TEST_F(Cluster, AKilledNodesClientsQuitEverywhereAndItsNicksAreFreedWithinTheBound) {
  const std::string fast = "  node_timeout: 3s\n";
  auto a = node("a", {}, fast);
  auto b = node("b", {}, fast);
  test_client alice = json_client(*a, "alice", "");
  join(alice, "dev");
  std::string epoch;
  std::uint64_t seq = 0;
  {
    test_client bob = json_client(*b, "bob", "");
    const json ok = join(bob, "dev");
    epoch = ok.at("epoch");
    EXPECT_EQ(alice.expect_json("join", 10s).at("nick"), "bob");
    // Node b may hear of alice's join after bob's: that event, if any, is read here.
    wait_for_members(bob, "dev", 2);
    bob.sync_json();
    bob.send_line("said before the crash");
    seq = bob.expect_ok("say").at("seq");
    EXPECT_EQ(alice.expect_json("msg", 10s).at("seq"), seq);

    const auto killed = std::chrono::steady_clock::now();
    b->signal(SIGKILL);
    b->wait_exit();
    // The others see its clients quit, within cluster.node_timeout (3 s here) and a beat.
    const json quit = alice.expect_json("quit", 30s);
    EXPECT_EQ(quit.at("nick"), "bob");
    EXPECT_EQ(quit.at("reason"), "node b went away");
    EXPECT_LT(std::chrono::steady_clock::now() - killed, 30s);
  }
  // Its nick is free again, and its client resumes through another node.
  test_client bob = json_client(*a, "bob", "");
  bob.send_line("/join dev since " + std::to_string(seq - 1) + " " + epoch);
  const json resumed = bob.expect_ok("join");
  EXPECT_EQ(resumed.at("complete"), true);
  EXPECT_EQ(bob.expect_json("msg").at("text"), "said before the crash");
}

TEST_F(Cluster, AckedMessagesSurviveTheKillOfANatsServerWhilePublishersOnTwoNodesSend) {
  // Shorter than a stream leader's election after the kill: batches in flight then are given
  // up and fenced off, and their senders told unavailable, so the test sees both kinds.
  const std::string patient = "  publish_timeout: 1s\n";
  auto a = node("a", busy_limits, patient);
  auto b = node("b", busy_limits, patient);
  test_client alice = json_client(*a, "alice", "");
  test_client bob = json_client(*b, "bob", "");
  test_client carol = json_client(*a, "carol", "");
  test_client dave = json_client(*b, "dave", "");
  join_all({&alice, &bob, &carol, &dave}, "ha");

  // Kill the NATS server node a is connected to, so that a must reconnect.
  std::size_t victim = 0;
  for (std::size_t i = 0; i < nats_->size(); ++i)
    if (a->log().find("connected to NATS at " + nats_->url(i)) != std::string::npos) victim = i;

  // Whatever happens below, the next test finds three servers.
  struct restart_victim {
    std::size_t index;
    ~restart_victim() {
      if (!nats_->running(index)) {
        nats_->start(index);
        nats_->wait_ready();
      }
    }
  } restart{victim};

  constexpr int each = 60;
  // JetStream's leader elections and the ordered consumers' restarts after the kill take
  // seconds, and tens of seconds in a sanitizer build on two busy cores.
  constexpr auto recovery = 60s;
  // The senders' oks tell what was stored; the listeners must have exactly those, no more.
  std::map<std::uint64_t, std::string> seen_carol;
  std::map<std::uint64_t, std::string> seen_dave;
  std::thread alice_sends([&] {
    for (int i = 0; i < each; ++i) {
      alice.send_line("a" + std::to_string(i));
      if (i == each / 3) nats_->kill9(victim);
      std::this_thread::sleep_for(20ms);
    }
  });
  for (int i = 0; i < each; ++i) {
    bob.send_line("b" + std::to_string(i));
    std::this_thread::sleep_for(20ms);
  }
  alice_sends.join();
  std::map<std::uint64_t, std::string> ok_by_seq;
  for (auto [sender, tag] : {std::pair{&alice, "a"}, std::pair{&bob, "b"}}) {
    int answers = 0;  // the k-th answer is about the k-th line: replies keep their order
    while (answers < each) {
      const json line = sender->read_json(recovery);
      if (line.at("type") == "ok") {
        ok_by_seq[line.at("seq")] = tag + std::to_string(answers);
        ++answers;
      } else if (line.at("type") == "error") {
        EXPECT_EQ(line.at("code"), "unavailable") << line.dump();
        ++answers;
      }
    }
  }
  ASSERT_FALSE(ok_by_seq.empty());
  const std::uint64_t last = ok_by_seq.rbegin()->first;
  for (auto [reader, seen] : {std::pair{&carol, &seen_carol}, std::pair{&dave, &seen_dave}}) {
    for (std::uint64_t expect = 1; expect <= last; ++expect) {
      json msg;
      try {
        msg = reader->expect_json("msg", recovery);
      } catch (const std::exception& e) {
        FAIL() << e.what() << " waiting for seq " << expect << " of " << last << "\nnode a:\n"
               << cluster_lines(*a) << "node b:\n" << cluster_lines(*b);
      }
      ASSERT_EQ(msg.at("seq"), expect) << "a gap or a reorder on " << reader->label();
      (*seen)[expect] = msg.at("text");
    }
    reader->expect_quiet_json();
  }
  EXPECT_EQ(seen_carol, seen_dave);
  // Every acked message once under its seq, and nothing else.
  for (const auto& [seq, text] : seen_carol) {
    const auto acked = ok_by_seq.find(seq);
    EXPECT_TRUE(acked != ok_by_seq.end() && acked->second == text)
        << "seq " << seq << " delivered as " << text << ", acked as "
        << (acked == ok_by_seq.end() ? std::string("nothing") : acked->second);
  }
  EXPECT_EQ(seen_carol.size(), ok_by_seq.size())
      << "node a:\n" << cluster_lines(*a) << "node b:\n" << cluster_lines(*b);
  EXPECT_TRUE(a->wait_for_log("cluster: reconnected to NATS", 20s)) << a->log();
  EXPECT_GE(scrape(metrics_port(*a)).value("chatd_cluster_engine_reconnects_total"), 1);
}

// Reading the room stream can stall for long (a dead NATS server's JetStream electing
// leaders while libnats restarts its consumer). Here the node's consumer is deleted under
// it: the node sees JetStream ack records it has not read, reads again from the last seq
// read within about cluster.publish_timeout, and the sender's ok comes; nothing is missed or
// read twice.
TEST_F(Cluster, ANodeWhoseReadingStallsReadsAgainFromWhereItWas) {
  const std::string fast = "  publish_timeout: 1s\n";
  auto a = node("a", busy_limits, fast);
  auto b = node("b", busy_limits, fast);
  test_client alice = json_client(*a, "alice", "");
  test_client bob = json_client(*b, "bob", "");
  join_all({&alice, &bob}, "dev");
  alice.send_line("before");
  EXPECT_EQ(alice.expect_ok("say").at("seq"), 1);
  check_msg(bob.expect_json("msg"), "dev", "alice", "before");

  const std::string stream = prefix() + "_rooms";
  const std::vector<std::string> consumers = nats_->consumers_of(stream);
  ASSERT_EQ(consumers.size(), 2u) << "one ordered consumer per node";
  for (const std::string& consumer : consumers) {
    const auto reply = nats_request(nats_->client_port(0),
                                    "$JS.API.CONSUMER.DELETE." + stream + "." + consumer);
    ASSERT_TRUE(reply && reply->find("\"success\":true") != std::string::npos)
        << consumer << ": " << reply.value_or("no reply");
  }

  // Both nodes' reading is stalled; each finds out when its own record is acked.
  alice.send_line("after");
  const json ok = alice.expect_ok("say", 10s);
  EXPECT_EQ(ok.at("seq"), 2);
  bob.send_line("from b");
  check_msg(bob.expect_json("msg", 10s), "dev", "alice", "after");  // the stream's order
  EXPECT_EQ(bob.expect_ok("say", 10s).at("seq"), 3);
  check_msg(alice.expect_json("msg", 10s), "dev", "bob", "from b");
  alice.expect_quiet_json();
  bob.expect_quiet_json();
  EXPECT_GE(scrape(metrics_port(*a)).value("chatd_cluster_stream_reader_restarts_total"), 1)
      << cluster_lines(*a);
  EXPECT_TRUE(a->wait_for_log("reading the stream")) << cluster_lines(*a);
}

// Delete markers do not stay for ever: with cluster.purge_after at 1 s, the marker a departed
// member left in the state bucket is gone within seconds. Its freed nick's marker stays
// (for 5 minutes at least, past the duplicate window nick claims rely on), and the nick can
// be taken again.
TEST_F(Cluster, OldDeleteMarkersArePurgedFromTheBuckets) {
  auto a = node("a", {}, "  purge_after: 1s\n");
  {
    test_client alice = json_client(*a, "alice", "");
    join(alice, "dev");
    alice.send_line("/quit");
    alice.expect_json("bye");
  }
  // The newest message of the bucket's key, as JetStream's API gives it.
  const auto last_of = [&](const std::string& bucket, const std::string& key) {
    return nats_request(nats_->client_port(0), "$JS.API.STREAM.MSG.GET.KV_" + bucket,
                        "{\"last_by_subj\":\"$KV." + bucket + "." + key + "\"}")
        .value_or("no answer");
  };
  const std::string state = prefix() + "_state";
  const std::string nicks = prefix() + "_nicks";
  std::string last;
  EXPECT_TRUE(wait_until([&] { return (last = last_of(state, "m.dev.alice")).find("\"message\"") !=
                                      std::string::npos; },
                         5s, "the member's delete marker"))
      << last;
  EXPECT_TRUE(wait_until([&] { return (last = last_of(state, "m.dev.alice"))
                                          .find("no message found") != std::string::npos; },
                         10s, "the member's delete marker to be purged"))
      << last << "\n" << cluster_lines(*a);
  EXPECT_GE(scrape(metrics_port(*a)).value("chatd_cluster_marker_purges_total", {{"result", "ok"}}),
            1);
  last = last_of(nicks, "alice");
  EXPECT_NE(last.find("\"message\""), std::string::npos) << "the nick's marker went: " << last;
  // The nick is free, as before the purge.
  test_client again = json_client(*a, "alice", "");
  join(again, "dev");
}

TEST_F(Cluster, StandaloneHasNoClusterSeries) {
  server_process standalone({}, metrics_listen_args());
  const http_reply reply = http_get(metrics_port(standalone), "/metrics");
  EXPECT_EQ(reply.body.find("chatd_cluster_"), std::string::npos);
  auto a = node("a");
  EXPECT_NE(http_get(metrics_port(*a), "/metrics").body.find("chatd_cluster_engine_connected 1"),
            std::string::npos);
  EXPECT_EQ(http_get(metrics_port(*a), "/healthz").status, 200);
}

// NATS with authorization, as operators run it: a node with the right user and password is
// one of the chat; one with a wrong password says what NATS refused and exits at once rather
// than retrying what cannot succeed.
TEST(ClusterAuth, ANodeSignsInWithItsUserAndPasswordAndAWrongOneExitsSayingSo) {
  nats_cluster nats(3, nats_ready_timeout,
                    "authorization {\n  user: chatd\n  password: \"s3cret-pw\"\n}\n");
  std::string urls;
  for (const std::string& url : nats.urls()) urls += (urls.empty() ? "" : ", ") + url;
  const auto yaml = [&](const std::string& password) {
    return "cluster:\n  nats: [" + urls + "]\n  node: a\n  replicas: 3\n  prefix: auth\n" +
           "  user: chatd\n  password: " + password + "\nrooms:\n  default: \"\"\n";
  };
  {
    server_process a(yaml("s3cret-pw"), metrics_listen_args());
    EXPECT_EQ(http_get(metrics_port(a), "/healthz").status, 200);
    test_client alice = json_client(a, "alice", "");
    join(alice, "dev");
    alice.send_line("signed in");
    EXPECT_EQ(alice.expect_ok("say").at("seq"), 1);
  }
  launch_options no_wait;
  no_wait.wait_for_listening = false;
  server_process wrong(yaml("not-the-password"), metrics_listen_args(), no_wait);
  const auto code = wrong.wait_exit(10s);
  ASSERT_TRUE(code) << "still running with a wrong password\n" << wrong.log();
  EXPECT_NE(*code, 0);
  EXPECT_NE(wrong.log().find("NATS refused this node's credentials"), std::string::npos)
      << wrong.log();
  EXPECT_EQ(wrong.log().find("not-the-password"), std::string::npos) << "the password was logged";
}

}  // namespace
}  // namespace chatd::integration
