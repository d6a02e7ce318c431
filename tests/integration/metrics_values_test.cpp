// The numbers on /metrics after known traffic: the real chatd on loopback, real clients, and a
// scrape over real HTTP, compared with exactly what the traffic must have produced.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "integration/abuse_helpers.hpp"
#include "integration/chat_helpers.hpp"
#include "integration/metrics_helpers.hpp"

using namespace chatd::integration;

namespace {

constexpr const char* every_command[] = {"text", "nick",   "join", "part", "say",
                                         "me",   "msg",    "topic", "rooms", "who",
                                         "format", "ping", "help", "quit"};

// Every labelled series of `name` by its `label`, with each of `expected` (others must be 0).
void expect_by_label(const metrics_text& scraped, const std::string& name,
                     const std::string& label, const std::map<std::string, double>& expected) {
  const auto actual = scraped.by_label(name, label);
  for (const auto& [value, count] : expected) {
    const auto it = actual.find(value);
    if (it == actual.end()) {
      ADD_FAILURE() << name << "{" << label << "=\"" << value << "\"} is missing";
      continue;
    }
    EXPECT_EQ(it->second, count) << name << "{" << label << "=\"" << value << "\"}";
  }
  for (const auto& [value, count] : actual) {
    if (expected.count(value) == 0) {
      EXPECT_EQ(count, 0) << name << "{" << label << "=\"" << value << "\"}";
    }
  }
}

TEST(MetricsValues, StartAtZeroWithEverySeriesPresent) {
  server_process server("", metrics_listen_args());
  const metrics_text scraped = scrape(metrics_port(server));
  EXPECT_EQ(scraped.value("chatd_connections_active"), 0);
  EXPECT_EQ(scraped.value("chatd_connections_accepted_total"), 0);
  EXPECT_EQ(scraped.value("chatd_rooms_active"), 0);
  EXPECT_EQ(scraped.value("chatd_messages_received_total"), 0);
  EXPECT_EQ(scraped.value("chatd_build_info", {{"version", CHATD_VERSION}}), 1);
  std::map<std::string, double> zero_commands;
  for (const char* command : every_command) zero_commands[command] = 0;
  expect_by_label(scraped, "chatd_commands_total", "command", zero_commands);
  expect_by_label(scraped, "chatd_connections_rejected_total", "reason",
                  {{"server-full", 0}, {"too-many-connections", 0}, {"bad-proxy-header", 0}});
  expect_by_label(scraped, "chatd_disconnects_total", "reason",
                  {{"quit", 0}, {"closed", 0}, {"reset", 0}, {"register-timeout", 0},
                   {"idle-timeout", 0}, {"slow-consumer", 0}, {"server-shutdown", 0},
                   {"server-draining", 0}, {"error", 0}});
  EXPECT_EQ(scraped.value("chatd_draining"), 0);
  EXPECT_EQ(scraped.value("chatd_errors_total", {{"code", "nick-taken"}}), 0);
  expect_by_label(scraped, "chatd_presence_suppressed_total", "event",
                  {{"join", 0}, {"part", 0}, {"quit", 0}});
}

TEST(MetricsValues, AfterKnownTrafficAreExactlyWhatItProduced) {
  server_process server("limits:\n  max_connections: 4\n  max_connections_per_ip: 3\n",
                        metrics_listen_args());
  const std::uint16_t http_port = metrics_port(server);
  int pings = 0;  // every /ping round-trip the helpers make is a command too
  const auto sync = [&pings](test_client& client) {
    ++pings;
    return client.sync_json();
  };

  // alice and bob register (each: /format, /nick, /ping) and land in the lobby.
  test_client alice = json_client(server, "alice");
  test_client bob = json_client(server, "bob");
  pings += 2;
  sync(alice);  // bob's join

  // carol asks for bob's nickname first: nick-taken, then takes her own.
  test_client carol(server.port(), "carol");
  carol.send_line("/format json");
  for (std::string line = carol.expect_line(); line.rfind('{', 0) != 0;
       line = carol.expect_line()) {
  }
  carol.send_line("/nick bob");
  carol.expect_error("nick-taken");
  carol.send_line("/nick carol");
  carol.expect_ok("nick");
  carol.expect_json("join");
  sync(alice);
  sync(bob);

  // Four room messages in the lobby of three: each reaches the two others. (Each sender first
  // reads what the others said, so that its next line is its ok.)
  alice.send_line("hello all");
  alice.expect_ok("say");
  alice.send_line("second line");
  alice.expect_ok("say");
  sync(bob);
  bob.send_line("/say lobby hi");
  bob.expect_ok("say");
  sync(carol);
  carol.send_line("/me waves");
  carol.expect_ok("say");
  // A private message, and a second room.
  sync(alice);
  alice.send_line("/msg bob psst");
  alice.expect_ok("msg");
  bob.send_line("/join dev");
  sync(bob);
  sync(alice);
  sync(carol);

  // 127.0.0.1 has its 3 connections: a 4th is refused. A 4th from elsewhere is served (and
  // stays unregistered); a 5th finds the server full.
  test_client extra(server.port(), "extra");
  EXPECT_EQ(lines_until_closed(extra),
            (std::vector<std::string>{
                "! too-many-connections: too many connections from 127.0.0.1"}));
  test_client dave(server.port(), "dave", from_address("127.0.0.2"));
  read_human_welcome(dave);
  ++pings;
  test_client eve(server.port(), "eve", from_address("127.0.0.3"));
  EXPECT_EQ(lines_until_closed(eve), (std::vector<std::string>{"* Bye (server-full)."}));

  // carol quits; dave just closes his side.
  carol.send_line("/quit done");
  EXPECT_TRUE(carol.wait_closed());
  carol.close();
  dave.close();
  ASSERT_TRUE(server.wait_for_log("reason=quit")) << server.log();
  ASSERT_TRUE(server.wait_for_log("nick=- reason=closed")) << server.log();
  sync(alice);  // carol's quit
  sync(bob);
  // A disconnect is counted when the connection starts closing; it stays active until its
  // socket is closed, once its bye has been flushed and the client has closed its side.
  EXPECT_TRUE(wait_until([&] { return scrape(http_port).value("chatd_connections_active") == 2; },
                         default_timeout, "chatd_connections_active to fall to 2"))
      << "it is " << scrape(http_port).value("chatd_connections_active");

  const metrics_text scraped = scrape(http_port);
  EXPECT_EQ(scraped.value("chatd_connections_active"), 2);
  EXPECT_EQ(scraped.value("chatd_connections_accepted_total"), 4);
  expect_by_label(scraped, "chatd_connections_rejected_total", "reason",
                  {{"server-full", 1}, {"too-many-connections", 1}});
  expect_by_label(scraped, "chatd_disconnects_total", "reason", {{"quit", 1}, {"closed", 1}});
  EXPECT_EQ(scraped.value("chatd_messages_received_total"), 4);
  EXPECT_EQ(scraped.value("chatd_messages_delivered_total"), 8);  // the sender gets an ok
  EXPECT_EQ(scraped.value("chatd_fanout_seconds_count"), 4);
  EXPECT_EQ(scraped.value("chatd_private_messages_total"), 1);
  EXPECT_EQ(scraped.value("chatd_rooms_active"), 2);  // lobby and dev
  // The refused connection's too-many-connections line is a rejection, not a counted error.
  expect_by_label(scraped, "chatd_errors_total", "code", {{"nick-taken", 1}});
  expect_by_label(scraped, "chatd_commands_total", "command",
                  {{"format", 3},
                   {"nick", 4},
                   {"ping", pings},
                   {"text", 2},
                   {"say", 1},
                   {"me", 1},
                   {"msg", 1},
                   {"join", 1},
                   {"quit", 1}});
  EXPECT_EQ(scraped.value("chatd_slow_consumers_total"), 0);
  EXPECT_EQ(scraped.value("chatd_outbound_queued_bytes"), 0);
  EXPECT_GT(scraped.value("chatd_bytes_received_total"), 0);
  EXPECT_GT(scraped.value("chatd_bytes_sent_total"), 0);

  // accepted - sum of disconnects = active
  double disconnects = 0;
  for (const auto& [reason, count] : scraped.by_label("chatd_disconnects_total", "reason"))
    disconnects += count;
  EXPECT_EQ(scraped.value("chatd_connections_accepted_total") - disconnects,
            scraped.value("chatd_connections_active"));
}

}  // namespace
