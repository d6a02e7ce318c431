// rooms.presence_delay: joins, parts and quits may wait to go out with a member's next lines,
// but never change the order a member sees.
#include <gtest/gtest.h>

#include "integration/chat_helpers.hpp"

using namespace chatd::integration;

namespace {

// A delay far longer than any test: what arrives came with something urgent.
constexpr const char* held_yaml = "rooms:\n  presence_delay: 10s\n";

// The lines before the pong of a /ping, which is urgent and takes held notices along.
std::vector<json> lines_before_pong(test_client& client) { return client.sync_json(); }

}  // namespace

TEST(PresenceDelay, AHeldJoinGoesOutBeforeTheNextUrgentLine) {
  server_process server(held_yaml);
  test_client alice = json_client(server, "alice");
  test_client carol = json_client(server, "carol", "");
  carol.send_line("/join lobby");
  carol.expect_ok("join");
  const auto before = lines_before_pong(alice);
  ASSERT_EQ(before.size(), 1u);
  EXPECT_EQ(before[0]["type"], "join");
  EXPECT_EQ(before[0]["nick"], "carol");
}

TEST(PresenceDelay, AMessageNeverOvertakesTheJoinOfItsSender) {
  server_process server(held_yaml);
  test_client alice = json_client(server, "alice");
  test_client carol = json_client(server, "carol", "");
  carol.send_line("/join lobby");
  carol.expect_ok("join");
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
  const auto before = lines_before_pong(alice);
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
