// Leaving: /quit, abrupt close, and the quit event to everyone sharing a room.
#include <gtest/gtest.h>

#include <optional>

#include "integration/chat_helpers.hpp"
#include "integration/metrics_helpers.hpp"
#include "integration/poll.hpp"

using namespace chatd::integration;

namespace {

// alice, bob, carol and dave registered; alice and bob share two rooms (lobby and den), carol
// shares only the lobby with alice, dave shares nothing. All pending events have been read.
struct quit_setup {
  explicit quit_setup(const server_process& server)
      : alice(json_client(server, "alice")),
        bob(json_client(server, "bob")),
        carol(json_client(server, "carol")),
        dave(json_client(server, "dave")) {
    for (test_client* c : {&alice, &bob, &carol, &dave}) c->sync_json();  // the lobby joins
    alice.send_line("/join den");
    alice.expect_ok("join");
    bob.send_line("/join den");
    bob.expect_ok("join");
    dave.send_line("/part");
    dave.expect_ok("part");
    for (test_client* c : {&alice, &bob, &carol, &dave}) c->sync_json();
  }
  test_client alice, bob, carol, dave;
};

}  // namespace

TEST(Quit, QuitSendsByeThenClosesAndOthersGetOneQuitEventWithReason) {
  server_process server({}, metrics_listen_args());
  quit_setup s(server);
  s.alice.send_line("/quit gone fishing");
  json bye = s.alice.expect_json("bye");
  EXPECT_TRUE(bye.contains("reason") && bye["reason"].is_string()) << bye.dump();
  EXPECT_TRUE(s.alice.wait_closed());

  for (test_client* c : {&s.bob, &s.carol}) {
    SCOPED_TRACE(c->label());
    json ev = c->expect_json("quit");
    EXPECT_EQ(ev["nick"], "alice");
    EXPECT_EQ(ev["reason"], "gone fishing");
    c->expect_quiet_json();  // one event even for two shared rooms
  }
  s.dave.expect_quiet_json();

  // alice is gone from her rooms and her nick is free.
  s.bob.send_line("/who den");
  EXPECT_EQ(member_set(s.bob.expect_json("who")), (std::set<std::string>{"bob"}));
  s.dave.send_line("/nick alice");
  EXPECT_EQ(s.dave.expect_ok("nick")["nick"], "alice");
  EXPECT_TRUE(no_connections_after_closing(server, {&s.alice, &s.bob, &s.carol, &s.dave}));
}

TEST(Quit, QuitWithoutReasonStillSendsByeAndQuitEvent) {
  server_process server({}, metrics_listen_args());
  quit_setup s(server);
  s.alice.send_line("/QUIT");
  s.alice.expect_json("bye");
  EXPECT_TRUE(s.alice.wait_closed());
  json ev = s.bob.expect_json("quit");
  EXPECT_EQ(ev["nick"], "alice");
  EXPECT_TRUE(ev.contains("reason") && ev["reason"].is_string()) << ev.dump();
  s.bob.expect_quiet_json();
  EXPECT_TRUE(no_connections_after_closing(server, {&s.alice, &s.bob, &s.carol, &s.dave}));
}

TEST(Quit, AbruptCloseSendsOneQuitEventToClientsSharingRooms) {
  server_process server({}, metrics_listen_args());
  quit_setup s(server);
  s.alice.close();
  for (test_client* c : {&s.bob, &s.carol}) {
    SCOPED_TRACE(c->label());
    json ev = c->expect_json("quit");
    EXPECT_EQ(ev["nick"], "alice");
    EXPECT_TRUE(ev.contains("reason") && ev["reason"].is_string()) << ev.dump();
    c->expect_quiet_json();
  }
  s.dave.expect_quiet_json();
  s.bob.send_line("/who den");
  EXPECT_EQ(member_set(s.bob.expect_json("who")), (std::set<std::string>{"bob"}));
  EXPECT_TRUE(no_connections_after_closing(server, {&s.bob, &s.carol, &s.dave}));
}

TEST(Quit, ConnectionResetSendsOneQuitEventToClientsSharingRooms) {
  server_process server({}, metrics_listen_args());
  quit_setup s(server);
  s.alice.reset();
  for (test_client* c : {&s.bob, &s.carol}) {
    SCOPED_TRACE(c->label());
    json ev = c->expect_json("quit");
    EXPECT_EQ(ev["nick"], "alice");
    EXPECT_TRUE(ev.contains("reason") && ev["reason"].is_string()) << ev.dump();
    c->expect_quiet_json();
  }
  s.dave.expect_quiet_json();
  EXPECT_TRUE(no_connections_after_closing(server, {&s.bob, &s.carol, &s.dave}));
}

TEST(Quit, HalfClosedClientIsTreatedAsGone) {
  server_process server({}, metrics_listen_args());
  quit_setup s(server);
  s.alice.shutdown_write();  // EOF from alice
  json ev = s.bob.expect_json("quit");
  EXPECT_EQ(ev["nick"], "alice");
  s.bob.expect_quiet_json();
  EXPECT_TRUE(s.alice.wait_closed());
  EXPECT_TRUE(no_connections_after_closing(server, {&s.alice, &s.bob, &s.carol, &s.dave}));
}

TEST(Quit, UnregisteredClientCanQuitWithoutEvents) {
  server_process server({}, metrics_listen_args());
  test_client alice = json_client(server, "alice");
  test_client anon(server.port(), "anon");
  anon.send_line("/quit");
  EXPECT_TRUE(anon.wait_closed());
  // The human welcome and the goodbye, all "* " lines, then the close.
  int lines = 0;
  while (auto line = anon.read_line(std::chrono::milliseconds(0))) {
    EXPECT_EQ(line->rfind("* ", 0), 0u) << printable(*line);
    ++lines;
  }
  EXPECT_GE(lines, 2);
  alice.expect_quiet_json();
  EXPECT_TRUE(no_connections_after_closing(server, {&alice, &anon}));
}

TEST(Quit, QuitReasonIsSanitised) {
  server_process server({}, metrics_listen_args());
  quit_setup s(server);
  s.alice.send_raw("/quit bye\x1b[2J now\n");
  s.alice.expect_json("bye");
  EXPECT_EQ(s.bob.expect_json("quit")["reason"], "bye now");
  EXPECT_TRUE(no_connections_after_closing(server, {&s.alice, &s.bob, &s.carol, &s.dave}));
}

namespace {

// Connects and registers `nick`, retrying (for up to `timeout`) while the server turns the
// connection away (a slot that is still being released). A rejected connection is closed by the
// server before it answers the /ping.
test_client admitted_client(const server_process& server, const std::string& nick,
                            std::chrono::milliseconds timeout) {
  std::optional<test_client> admitted;
  const auto result = wait_until(
      [&] {
        test_client client(server.port(), nick);
        client.send_line("/ping admitted");
        while (auto line = client.read_line()) {
          if (line->find("admitted") != std::string::npos) {
            admitted.emplace(std::move(client));
            return true;
          }
        }
        return false;
      },
      timeout, nick + " to be admitted rather than turned away", std::chrono::milliseconds(5));
  if (!result) throw protocol_failure(result.message());
  // The welcome has been read; register as register_json would.
  test_client& client = *admitted;
  client.send_line("/format json");
  client.expect_ok("format");
  client.send_line("/nick " + nick);
  client.expect_ok("nick");
  client.expect_json("join");
  return std::move(client);
}

}  // namespace

TEST(Quit, ConnectionSlotsAreReleasedAfterQuitCloseAndReset) {
  // With room for two connections and an observer holding one, every round needs the slot of
  // the round before: a session that leaked would lock the next one out.
  server_process server("limits:\n  max_connections: 2\n  max_connections_per_ip: 2\n",
                        metrics_listen_args());
  test_client observer = json_client(server, "observer");
  for (int round = 0; round < 6; ++round) {
    SCOPED_TRACE(round);
    const std::string nick = "guest" + std::to_string(round);
    test_client guest = admitted_client(server, nick, std::chrono::seconds(5));
    EXPECT_EQ(observer.expect_json("join")["nick"], nick);
    switch (round % 3) {
      case 0:
        guest.send_line("/quit");
        guest.expect_json("bye");
        break;
      case 1:
        guest.close();
        break;
      default:
        guest.reset();
        break;
    }
    EXPECT_EQ(observer.expect_json("quit")["nick"], nick);
  }
  observer.expect_quiet_json();
  EXPECT_TRUE(no_connections_after_closing(server, {&observer}));
}
