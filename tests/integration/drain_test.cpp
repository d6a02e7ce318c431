// Lame-duck draining on SIGUSR2: the node stops accepting, /healthz answers 503 "draining",
// every client is told once and then closed with bye "server-draining", one by one over
// limits.drain_period, and the process exits 0. SIGTERM during a drain shuts down as always.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "integration/chat_helpers.hpp"
#include "integration/metrics_helpers.hpp"

using namespace chatd::integration;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

constexpr std::string_view drain_2s_yaml =
    "limits:\n"
    "  drain_period: 2s\n";

// Reads a JSON client up to its bye: exactly one notice "server-draining" must come first, and
// only quits of peers drained before it may come between. Returns when the bye was read.
steady::time_point expect_drained(test_client& client, std::string_view bye_reason) {
  int notices = 0;
  for (;;) {
    const json j = client.read_json(6s);
    if (j["type"] == "notice") {
      EXPECT_EQ(j["code"], "server-draining") << j.dump();
      EXPECT_NE(j.value("text", "").find("Reconnect"), std::string::npos) << j.dump();
      ++notices;
      continue;
    }
    if (j["type"] == "bye") {
      const auto at = steady::now();
      EXPECT_EQ(j["reason"], bye_reason) << client.label();
      EXPECT_EQ(notices, 1) << client.label() << " should be told exactly once";
      EXPECT_TRUE(client.wait_closed()) << client.label();
      return at;
    }
    EXPECT_EQ(j["type"], "quit") << client.label() << ": unexpected " << j.dump();
  }
}

bool refuses_connections(std::uint16_t port) {
  try {
    test_client probe(port, "probe");
    return false;
  } catch (const std::runtime_error&) {
    return true;
  }
}

}  // namespace

TEST(Drain, SigusrTwoClosesClientsOneByOneOverThePeriodAndExitsZero) {
  server_process server(std::string{drain_2s_yaml}, metrics_listen_args());
  const std::uint16_t http = metrics_port(server);
  constexpr int n = 5;
  std::vector<test_client> clients;
  for (int i = 0; i < n - 1; ++i) clients.push_back(json_client(server, "c" + std::to_string(i)));
  test_client human(server.port(), "human");
  read_human_welcome(human);
  human.send_line("/nick human");
  human.sync_human();
  for (auto& c : clients) c.sync_json();
  ASSERT_EQ(http_get(http, "/healthz").status, 200);
  ASSERT_EQ(scrape(http).value("chatd_draining"), 0);

  const auto signalled = steady::now();
  server.signal(SIGUSR2);
  ASSERT_TRUE(wait_until([&] { return http_get(http, "/healthz").status == 503; }, 2s,
                         "/healthz to answer 503"));
  const http_reply health = http_get(http, "/healthz");
  EXPECT_EQ(health.body, "draining\n");
  EXPECT_EQ(scrape(http).value("chatd_draining"), 1);
  EXPECT_TRUE(wait_until([&] { return refuses_connections(server.port()); }, 2s,
                         "new chat connections to be refused"));
  // A second SIGUSR2 changes nothing (each client still gets one notice, below).
  server.signal(SIGUSR2);
  EXPECT_TRUE(server.wait_for_log("already draining, ignored")) << server.log();

  // The oldest connections go first: read them in that order.
  std::vector<steady::time_point> byes;
  for (auto& c : clients) byes.push_back(expect_drained(c, "server-draining"));
  // Counted as they go (the human, due last, may be gone already).
  EXPECT_GE(scrape(http).value("chatd_disconnects_total", {{"reason", "server-draining"}}),
            n - 1);
  ASSERT_TRUE(human.wait_closed(4s));
  std::vector<std::string> lines;
  while (auto line = human.read_line(0ms)) lines.push_back(*line);
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(lines.back(), "* Bye (server-draining).");
  int told = 0;
  for (const auto& line : lines) told += line.rfind("* This server is going away", 0) == 0;
  EXPECT_EQ(told, 1) << printable(lines.front());
  byes.push_back(steady::now());

  // Spread out over the 2 s, not all at once: the k-th of 5 is due at k * 400 ms.
  EXPECT_GE(byes.front() - signalled, 250ms);
  EXPECT_GE(byes[n - 2] - byes.front(), 900ms) << "the byes came too close together";
  EXPECT_LE(byes[n - 2] - signalled, 3500ms);
  EXPECT_EQ(server.wait_exit(4s), std::optional<int>(0)) << server.log();
  EXPECT_LE(steady::now() - signalled, 6s);
  const std::string log = server.log();
  EXPECT_NE(log.find("lame duck: draining 5 connections over 2000 ms"), std::string::npos) << log;
  EXPECT_NE(log.find("lame duck: 5 of 5 connections done"), std::string::npos) << log;
  EXPECT_NE(log.find("lame duck: drain done"), std::string::npos) << log;
}

TEST(Drain, SigusrTwoWithoutClientsExitsZeroAtOnce) {
  server_process server(std::string{drain_2s_yaml});
  const auto signalled = steady::now();
  server.signal(SIGUSR2);
  EXPECT_EQ(server.wait_exit(3s), std::optional<int>(0)) << server.log();
  EXPECT_LE(steady::now() - signalled, 2s);
}

TEST(Drain, SigtermDuringADrainShutsDownAsAlways) {
  server_process server("limits:\n  drain_period: 30s\n");
  test_client alice = json_client(server, "alice");
  test_client bob = json_client(server, "bob");
  alice.sync_json();
  server.signal(SIGUSR2);
  for (test_client* c : {&alice, &bob}) {
    const json notice = c->expect_json("notice");
    EXPECT_EQ(notice["code"], "server-draining");
    EXPECT_NE(notice.value("text", "").find("within 30 s"), std::string::npos) << notice.dump();
  }
  const auto signalled = steady::now();
  server.signal(SIGTERM);
  for (test_client* c : {&alice, &bob}) {
    for (;;) {
      const json j = c->read_json();
      if (j["type"] == "bye") {
        EXPECT_EQ(j["reason"], "server-shutdown");
        break;
      }
      ASSERT_EQ(j["type"], "quit") << j.dump();
      EXPECT_EQ(j["reason"], "server-shutdown");
    }
    EXPECT_TRUE(c->wait_closed());
  }
  EXPECT_EQ(server.wait_exit(5s), std::optional<int>(0)) << server.log();
  EXPECT_LE(steady::now() - signalled, 5s);
  EXPECT_TRUE(server.wait_for_log("drain cut short by shutdown")) << server.log();
}

TEST(Drain, AReloadedDrainPeriodAppliesToTheNextDrain) {
  server_process server("limits:\n  drain_period: 1h\n");
  test_client alice = json_client(server, "alice");
  server.rewrite_config(std::string{drain_2s_yaml});
  server.signal(SIGHUP);
  ASSERT_TRUE(server.wait_for_log("limits.drain_period '1h' -> '2s'")) << server.log();
  const auto signalled = steady::now();
  server.signal(SIGUSR2);
  const json notice = alice.expect_json("notice");
  EXPECT_NE(notice.value("text", "").find("within 2 s"), std::string::npos) << notice.dump();
  EXPECT_EQ(alice.expect_json("bye", 4s)["reason"], "server-draining");
  EXPECT_GE(steady::now() - signalled, 1500ms) << "the one client goes at the end of the period";
  EXPECT_EQ(server.wait_exit(4s), std::optional<int>(0)) << server.log();
}
