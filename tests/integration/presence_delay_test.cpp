// rooms.presence_delay: joins, parts and quits may wait to go out with a member's next lines,
// but never change the order a member sees.
#include <gtest/gtest.h>

#include "integration/chat_helpers.hpp"

using namespace chatd::integration;

namespace {

// A delay far longer than any test: what arrives came with something urgent.
constexpr const char* held_yaml = "rooms:\n  presence_delay: 10s\n";

// `client` (registered without a room) joins the lobby.
void join_lobby(test_client& client) {
  client.send_line("/join lobby");
  client.expect_ok("join");
}

}  // namespace

TEST(PresenceDelay, AHeldJoinGoesOutBeforeTheNextUrgentLine) {
  server_process server(held_yaml);
  test_client alice = json_client(server, "alice");
  test_client carol = json_client(server, "carol", "");
  join_lobby(carol);
  // Held: nothing reaches alice by itself (with the delay at 10 s, a join sent at once would
  // be here long before the timeout).
  EXPECT_EQ(alice.read_line(std::chrono::milliseconds(300)), std::nullopt);
  // A /ping is urgent: its pong takes the held join along, in front of it.
  const auto before = alice.sync_json();
  ASSERT_EQ(before.size(), 1u);
  EXPECT_EQ(before[0]["type"], "join");
  EXPECT_EQ(before[0]["nick"], "carol");
}

TEST(PresenceDelay, AMessageNeverOvertakesTheJoinOfItsSender) {
  server_process server(held_yaml);
  test_client alice = json_client(server, "alice");
  test_client carol = json_client(server, "carol", "");
  join_lobby(carol);
  carol.send_line("hello");
  carol.expect_ok("say");
  const json join = alice.expect_json("join");  // held, then taken along by the message
  EXPECT_EQ(join["nick"], "carol");
  const json msg = alice.expect_json("msg");
  EXPECT_EQ(msg["from"], "carol");
  EXPECT_EQ(msg["text"], "hello");
}

TEST(PresenceDelay, HeldPartsAndQuitsKeepTheirOrderToo) {
  server_process server(held_yaml);
  test_client alice = json_client(server, "alice");
  test_client bob = json_client(server, "bob");
  test_client carol = json_client(server, "carol");
  alice.sync_json();  // the joins of bob and carol
  bob.sync_json();    // carol's join
  bob.send_line("/part lobby");
  bob.expect_ok("part");
  carol.sync_json();  // bob's part
  carol.send_line("/quit bye now");
  carol.expect_json("bye");
  const auto before = alice.sync_json();
  ASSERT_EQ(before.size(), 2u);
  EXPECT_EQ(before[0]["type"], "part");
  EXPECT_EQ(before[0]["nick"], "bob");
  EXPECT_EQ(before[1]["type"], "quit");
  EXPECT_EQ(before[1]["nick"], "carol");
}

TEST(PresenceDelay, HeldNoticesArriveByThemselvesOnceTheDelayIsOver) {
  server_process server("rooms:\n  presence_delay: 50ms\n");
  test_client alice = json_client(server, "alice");
  test_client carol = json_client(server, "carol");
  // Nothing urgent is sent to alice: the join comes on its own.
  const json join = alice.expect_json("join");
  EXPECT_EQ(join["nick"], "carol");
}
