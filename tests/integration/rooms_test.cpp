// Rooms: /join, /part, /topic, /rooms, /who, history replay, room limits.
#include <gtest/gtest.h>

#include "integration/chat_helpers.hpp"

using namespace chatd::integration;

namespace {

// The entry for `name` in a rooms reply, or null.
json find_room(const json& rooms_reply, std::string_view name) {
  for (const auto& r : rooms_reply.at("rooms")) {
    if (r.value("name", "") == name) return r;
  }
  return nullptr;
}

}  // namespace

TEST(Rooms, JoinCreatesRoomWithEmptyTopicAndSeqZero) {
  server_process server;
  test_client alice = json_client(server, "alice");
  alice.send_line("/join newroom");
  json ok = alice.expect_ok("join");
  EXPECT_EQ(ok["room"], "newroom");
  EXPECT_EQ(member_set(ok), (std::set<std::string>{"alice"}));
  EXPECT_EQ(ok["topic"], "");
  EXPECT_EQ(ok["seq"], 0);
  alice.expect_quiet_json();
}

TEST(Rooms, JoinListsMembersAndOthersGetJoinEvent) {
  server_process server;
  test_client alice = json_client(server, "alice");
  test_client bob = json_client(server, "bob");
  alice.sync_json();
  alice.send_line("/join den");
  alice.expect_ok("join");
  bob.send_line("/join den");
  json ok = bob.expect_ok("join");
  EXPECT_EQ(ok["room"], "den");
  EXPECT_EQ(member_set(ok), (std::set<std::string>{"alice", "bob"}));
  bob.expect_quiet_json();  // no join event about itself after an explicit join
  json ev = alice.expect_json("join");
  EXPECT_EQ(ev["room"], "den");
  EXPECT_EQ(ev["nick"], "bob");
  alice.expect_quiet_json();
}

TEST(Rooms, JoinFoldsHashAndUpperCaseToCanonicalName) {
  server_process server;
  test_client alice = json_client(server, "alice");
  test_client bob = json_client(server, "bob");
  alice.sync_json();
  alice.send_line("/join #Room_1-X");
  EXPECT_EQ(alice.expect_ok("join")["room"], "room_1-x");
  bob.send_line("/join room_1-x");
  json ok = bob.expect_ok("join");
  EXPECT_EQ(ok["room"], "room_1-x");
  EXPECT_EQ(member_set(ok), (std::set<std::string>{"alice", "bob"}));
  EXPECT_EQ(alice.expect_json("join")["room"], "room_1-x");
  bob.send_line("/say #ROOM_1-x hi");
  EXPECT_EQ(bob.expect_ok("say")["room"], "room_1-x");
  check_msg(alice.expect_json("msg"), "room_1-x", "bob", "hi");
}

TEST(Rooms, JoinRejectsInvalidRoomNames) {
  server_process server;
  test_client alice = json_client(server, "alice");
  for (std::string line : {std::string("/join a.b"), std::string("/join #"),
                           std::string("/join a b"), std::string("/join ##a"),
                           std::string("/join caf\xc3\xa9"), "/join " + std::string(33, 'r')}) {
    SCOPED_TRACE(line);
    alice.send_line(line);
    alice.expect_error("room-invalid");
  }
  alice.send_line("/join " + std::string(32, 'r'));
  EXPECT_EQ(alice.expect_ok("join")["room"], std::string(32, 'r'));
}

TEST(Rooms, JoinWithoutArgumentIsBadArgument) {
  server_process server;
  test_client alice = json_client(server, "alice");
  alice.send_line("/join");
  alice.expect_error("bad-argument");
}

TEST(Rooms, JoinReplaysHistoryAfterOkInSeqOrder) {
  server_process server(std::string(fast_limits_yaml) + "rooms:\n  history: 5\n  history_replay: 3\n");
  test_client alice = json_client(server, "alice");
  alice.send_line("/join hist");
  alice.expect_ok("join");
  for (int i = 1; i <= 7; ++i) {
    alice.send_line("m" + std::to_string(i));
    EXPECT_EQ(alice.expect_ok("say")["seq"], i);
  }
  test_client bob = json_client(server, "bob");
  bob.send_line("/join hist");
  json ok = bob.expect_ok("join");
  EXPECT_EQ(ok["seq"], 7);
  for (int seq = 5; seq <= 7; ++seq) {
    json msg = bob.expect_json("msg");
    EXPECT_EQ(msg["room"], "hist");
    EXPECT_EQ(msg["from"], "alice");
    EXPECT_EQ(msg["text"], "m" + std::to_string(seq));
    EXPECT_EQ(msg["seq"], seq);
    EXPECT_EQ(msg["history"], true);
    EXPECT_EQ(msg["action"], false);
    EXPECT_TRUE(is_iso8601(msg["ts"])) << msg.dump();
  }
  bob.expect_quiet_json();
}

TEST(Rooms, JoinReplaysAtMostTheHistoryRing) {
  server_process server(std::string(fast_limits_yaml) + "rooms:\n  history: 4\n  history_replay: 4\n");
  test_client alice = json_client(server, "alice");
  alice.send_line("/join ring");
  alice.expect_ok("join");
  for (int i = 1; i <= 6; ++i) {
    alice.send_line(i % 2 ? "/me m" + std::to_string(i) : "m" + std::to_string(i));
    alice.expect_ok("say");
  }
  test_client bob = json_client(server, "bob");
  bob.send_line("/join ring");
  EXPECT_EQ(bob.expect_ok("join")["seq"], 6);
  for (int seq = 3; seq <= 6; ++seq) {
    json msg = bob.expect_json("msg");
    EXPECT_EQ(msg["seq"], seq);
    EXPECT_EQ(msg["text"], "m" + std::to_string(seq));
    EXPECT_EQ(msg["action"], seq % 2 == 1);
    EXPECT_EQ(msg["history"], true);
  }
  bob.expect_quiet_json();
}

TEST(Rooms, AutoJoinReplaysLobbyHistory) {
  server_process server("rooms:\n  history: 10\n  history_replay: 2\n");
  test_client alice = json_client(server, "alice");
  for (int i = 1; i <= 3; ++i) {
    alice.send_line("m" + std::to_string(i));
    alice.expect_ok("say");
  }
  test_client bob(server.port(), "bob");
  auto replay = bob.register_json("bob");  // join event, then the replay before the pong
  ASSERT_EQ(replay.size(), 2u);
  EXPECT_EQ(replay[0]["seq"], 2);
  EXPECT_EQ(replay[1]["seq"], 3);
  for (const auto& msg : replay) {
    EXPECT_EQ(msg["type"], "msg");
    EXPECT_EQ(msg["history"], true);
    EXPECT_EQ(msg["room"], "lobby");
  }
}

TEST(Rooms, JoinBeyondMaxRoomsPerClientIsTooManyRooms) {
  server_process server("limits:\n  max_rooms_per_client: 2\n");
  test_client alice = json_client(server, "alice");  // lobby is the first room
  alice.send_line("/join a");
  alice.expect_ok("join");
  alice.send_line("/join b");
  alice.expect_error("too-many-rooms");
  alice.send_line("/part a");
  alice.expect_ok("part");
  alice.send_line("/join b");
  alice.expect_ok("join");
}

TEST(Rooms, JoinBeyondServerMaxRoomsIsServerRoomsFullUntilARoomEmpties) {
  server_process server("limits:\n  max_rooms: 2\nrooms:\n  keep_empty: 0\n");
  test_client alice = json_client(server, "alice");  // lobby exists
  test_client bob = json_client(server, "bob");
  alice.sync_json();
  alice.send_line("/join a");
  alice.expect_ok("join");
  bob.send_line("/join b");
  bob.expect_error("server-rooms-full");
  bob.send_line("/join a");  // joining an existing room is still fine
  bob.expect_ok("join");
  alice.expect_json("join");
  alice.send_line("/part a");
  alice.expect_ok("part");
  bob.expect_json("part");
  bob.send_line("/part a");  // the room empties and is removed
  bob.expect_ok("part");
  bob.send_line("/join b");
  EXPECT_EQ(bob.expect_ok("join")["seq"], 0);
}

TEST(Rooms, PartLeavesCurrentRoomAndOthersGetPartEvent) {
  server_process server;
  test_client alice = json_client(server, "alice");
  test_client bob = json_client(server, "bob");
  alice.sync_json();
  bob.send_line("/part");
  json ok = bob.expect_ok("part");
  EXPECT_EQ(ok["room"], "lobby");
  bob.expect_quiet_json();
  json ev = alice.expect_json("part");
  EXPECT_EQ(ev["room"], "lobby");
  EXPECT_EQ(ev["nick"], "bob");
  alice.expect_quiet_json();
  alice.send_line("/who");
  EXPECT_EQ(member_set(alice.expect_json("who")), (std::set<std::string>{"alice"}));
}

TEST(Rooms, PartNamedRoomKeepsOtherRooms) {
  server_process server;
  test_client alice = json_client(server, "alice");
  test_client bob = json_client(server, "bob");
  alice.sync_json();
  bob.send_line("/join side");
  bob.expect_ok("join");
  bob.send_line("/PART #Lobby");
  EXPECT_EQ(bob.expect_ok("part")["room"], "lobby");
  json ev = alice.expect_json("part");
  EXPECT_EQ(ev["room"], "lobby");
  EXPECT_EQ(ev["nick"], "bob");
  bob.send_line("still here");  // "side" is still the current room
  EXPECT_EQ(bob.expect_ok("say")["room"], "side");
}

TEST(Rooms, PartOfRoomNotJoinedIsNotInRoom) {
  server_process server;
  test_client alice = json_client(server, "alice");
  test_client bob = json_client(server, "bob");
  alice.sync_json();
  bob.send_line("/join elsewhere");
  bob.expect_ok("join");
  alice.send_line("/part elsewhere");
  alice.expect_error("not-in-room");
  alice.send_line("/part nowhere");
  alice.expect_error("not-in-room");
  alice.send_line("/part");
  alice.expect_ok("part");
  alice.send_line("/part");  // no current room any more
  alice.expect_error("not-in-room");
}

TEST(Rooms, TopicIsShownAndSetAndOthersGetTopicEvent) {
  server_process server;
  test_client alice = json_client(server, "alice");
  test_client bob = json_client(server, "bob");
  alice.sync_json();
  alice.send_line("/topic");
  json shown = alice.expect_ok("topic");
  EXPECT_EQ(shown["room"], "lobby");
  EXPECT_EQ(shown["topic"], "");

  alice.send_line("/topic Welcome to the lobby");
  json set = alice.expect_ok("topic");
  EXPECT_EQ(set["room"], "lobby");
  EXPECT_EQ(set["topic"], "Welcome to the lobby");
  alice.expect_quiet_json();  // no topic event to the one who set it

  json ev = bob.expect_json("topic");
  EXPECT_EQ(ev["room"], "lobby");
  EXPECT_EQ(ev["nick"], "alice");
  EXPECT_EQ(ev["topic"], "Welcome to the lobby");
  bob.expect_quiet_json();

  bob.send_line("/topic");
  EXPECT_EQ(bob.expect_ok("topic")["topic"], "Welcome to the lobby");

  test_client carol = json_client(server, "carol");
  carol.send_line("/part");
  carol.expect_ok("part");
  carol.send_line("/join lobby");
  EXPECT_EQ(carol.expect_ok("join")["topic"], "Welcome to the lobby");
}

TEST(Rooms, TopicWithNoCurrentRoomIsNoRoom) {
  server_process server;
  test_client alice = json_client(server, "alice");
  alice.send_line("/part");
  alice.expect_ok("part");
  alice.send_line("/topic");
  alice.expect_error("no-room");
  alice.send_line("/topic new topic");
  alice.expect_error("no-room");
}

TEST(Rooms, RoomsListsNamesMemberCountsAndTopics) {
  server_process server;
  test_client alice = json_client(server, "alice");
  test_client bob = json_client(server, "bob");
  alice.sync_json();
  alice.send_line("/join #Den");
  alice.expect_ok("join");
  alice.send_line("/topic cosy");
  alice.expect_ok("topic");
  bob.send_line("/rooms");
  json reply = bob.expect_json("rooms");
  ASSERT_TRUE(reply["rooms"].is_array()) << reply.dump();
  EXPECT_EQ(reply["rooms"].size(), 2u) << reply.dump();
  json lobby = find_room(reply, "lobby");
  ASSERT_FALSE(lobby.is_null()) << reply.dump();
  EXPECT_EQ(lobby["members"], 2);
  EXPECT_EQ(lobby["topic"], "");
  json den = find_room(reply, "den");
  ASSERT_FALSE(den.is_null()) << reply.dump();
  EXPECT_EQ(den["members"], 1);
  EXPECT_EQ(den["topic"], "cosy");
}

TEST(Rooms, WithKeepEmptyZeroAnEmptyRoomIsRemovedAtOnce) {
  server_process server("rooms:\n  keep_empty: 0\n");
  test_client alice = json_client(server, "alice");
  alice.send_line("/join temp");
  alice.expect_ok("join");
  alice.send_line("/part temp");
  alice.expect_ok("part");
  alice.send_line("/rooms");
  json reply = alice.expect_json("rooms");
  EXPECT_TRUE(find_room(reply, "temp").is_null()) << reply.dump();
  alice.send_line("/who temp");
  alice.expect_error("no-such-room");
  alice.send_line("/join temp");  // a fresh room starts over at seq 0
  EXPECT_EQ(alice.expect_ok("join")["seq"], 0);
}

TEST(Rooms, WhoListsMembersOfCurrentOrNamedRoom) {
  server_process server;
  test_client alice = json_client(server, "alice");
  test_client bob = json_client(server, "bob");
  alice.sync_json();
  bob.send_line("/join den");
  bob.expect_ok("join");
  alice.send_line("/who");
  json who = alice.expect_json("who");
  EXPECT_EQ(who["room"], "lobby");
  EXPECT_EQ(member_set(who), (std::set<std::string>{"alice", "bob"}));
  alice.send_line("/who #DEN");  // a room alice is not in
  who = alice.expect_json("who");
  EXPECT_EQ(who["room"], "den");
  EXPECT_EQ(member_set(who), (std::set<std::string>{"bob"}));
}

TEST(Rooms, WhoOfMissingRoomIsNoSuchRoomAndWithoutCurrentRoomIsNotInRoom) {
  server_process server;
  test_client alice = json_client(server, "alice");
  alice.send_line("/who ghost");
  alice.expect_error("no-such-room");
  alice.send_line("/part");
  alice.expect_ok("part");
  alice.send_line("/who");
  alice.expect_error("not-in-room");
}

// ---- bounded listings: /rooms [PATTERN] [LIMIT], /who [ROOM] [LIMIT] -------------------------

namespace {

// The "name" of every room of a rooms reply, in the order given.
std::vector<std::string> room_names(const json& reply) {
  std::vector<std::string> out;
  for (const auto& r : reply.at("rooms")) out.push_back(r.at("name").get<std::string>());
  return out;
}

std::vector<std::string> members_in_order(const json& reply) {
  return reply.at("members").get<std::vector<std::string>>();
}

// Joins every room of `rooms`, sending all the lines before reading the oks.
void join_all(test_client& client, const std::vector<std::string>& rooms) {
  std::string lines;
  for (const std::string& r : rooms) lines += "/join " + r + "\n";
  client.send_raw(lines);
  for (const std::string& r : rooms) EXPECT_EQ(client.expect_ok("join")["room"], r);
}

// "r000" .. "r<n-1>", zero-padded so that name order is number order.
std::vector<std::string> numbered_rooms(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    std::string digits = std::to_string(i);
    out.push_back("r" + std::string(3 - digits.size(), '0') + digits);
  }
  return out;
}

}  // namespace

TEST(Rooms, RoomsFiltersByAGlobIgnoringCaseAndAHash) {
  server_process server;
  test_client alice = json_client(server, "alice");
  join_all(alice, {"ops", "dev-ops", "design", "dev", "42", "dev_1"});

  alice.send_line("/rooms dev*");
  json reply = alice.expect_json("rooms");
  EXPECT_EQ(room_names(reply), (std::vector<std::string>{"dev", "dev-ops", "dev_1"}));
  EXPECT_EQ(reply["total"], 3);
  alice.send_line("/rooms #DE*");
  EXPECT_EQ(room_names(alice.expect_json("rooms")),
            (std::vector<std::string>{"design", "dev", "dev-ops", "dev_1"}));
  alice.send_line("/rooms *ops");
  EXPECT_EQ(room_names(alice.expect_json("rooms")), (std::vector<std::string>{"dev-ops", "ops"}));
  alice.send_line("/rooms d?v");
  EXPECT_EQ(room_names(alice.expect_json("rooms")), (std::vector<std::string>{"dev"}));
  alice.send_line("/rooms [l-o]*");
  EXPECT_EQ(room_names(alice.expect_json("rooms")), (std::vector<std::string>{"lobby", "ops"}));
  // A lone number is a LIMIT; an all-digit pattern comes with one.
  alice.send_line("/rooms 42 10");
  EXPECT_EQ(room_names(alice.expect_json("rooms")), (std::vector<std::string>{"42"}));

  alice.send_line("/rooms nothing*");
  reply = alice.expect_json("rooms");
  EXPECT_EQ(reply, json::parse(R"({"type":"rooms","rooms":[],"total":0})"));
}

TEST(Rooms, RoomsShowsTheFirstHundredByNameAndTheTotalByDefault) {
  server_process server(std::string(fast_limits_yaml) + "  max_rooms_per_client: 200\n");
  test_client alice = json_client(server, "alice");
  std::vector<std::string> rooms = numbered_rooms(150);
  join_all(alice, std::vector<std::string>(rooms.rbegin(), rooms.rend()));  // not in name order

  alice.send_line("/rooms");
  json reply = alice.expect_json("rooms");
  std::vector<std::string> first{"lobby"};
  first.insert(first.end(), rooms.begin(), rooms.begin() + 99);
  EXPECT_EQ(room_names(reply), first);
  EXPECT_EQ(reply["total"], 151);
  EXPECT_EQ(reply["rooms"][1], json::parse(R"({"name":"r000","members":1,"topic":""})"));

  alice.send_line("/rooms r1*");  // matches fewer than the limit: all of them
  reply = alice.expect_json("rooms");
  EXPECT_EQ(room_names(reply), std::vector<std::string>(rooms.begin() + 100, rooms.end()));
  EXPECT_EQ(reply["total"], 50);

  alice.send_line("/rooms r* 1000");
  reply = alice.expect_json("rooms");
  EXPECT_EQ(room_names(reply), rooms);
  EXPECT_EQ(reply["total"], 150);
}

TEST(Rooms, RoomsLimitCapsTheListingNotTheTotal) {
  server_process server(std::string(fast_limits_yaml) + "  max_rooms_per_client: 40\n");
  test_client alice = json_client(server, "alice");
  const std::vector<std::string> rooms = numbered_rooms(30);
  join_all(alice, rooms);

  alice.send_line("/rooms 5");
  json reply = alice.expect_json("rooms");
  EXPECT_EQ(room_names(reply), (std::vector<std::string>{"lobby", "r000", "r001", "r002", "r003"}));
  EXPECT_EQ(reply["total"], 31);
  alice.send_line("/rooms r01? 3");
  reply = alice.expect_json("rooms");
  EXPECT_EQ(room_names(reply), (std::vector<std::string>{"r010", "r011", "r012"}));
  EXPECT_EQ(reply["total"], 10);
  alice.send_line("/rooms * 1");
  reply = alice.expect_json("rooms");
  EXPECT_EQ(room_names(reply), (std::vector<std::string>{"lobby"}));
  EXPECT_EQ(reply["total"], 31);
}

TEST(Rooms, ListingsRejectBadLimitsAndExtraWordsWithTheUsage) {
  server_process server;
  test_client alice = json_client(server, "alice");
  const std::pair<const char*, const char*> cases[] = {
      {"/rooms 0", "usage: /rooms [PATTERN] [LIMIT] (LIMIT is 1 to 1000)"},
      {"/rooms * 1001", "usage: /rooms [PATTERN] [LIMIT] (LIMIT is 1 to 1000)"},
      {"/rooms dev* many", "usage: /rooms [PATTERN] [LIMIT] (LIMIT is 1 to 1000)"},
      {"/rooms dev* 10 more", "usage: /rooms [PATTERN] [LIMIT]"},
      {"/who lobby 0", "usage: /who [ROOM] [LIMIT] (LIMIT is 1 to 1000)"},
      {"/who 5000", "usage: /who [ROOM] [LIMIT] (LIMIT is 1 to 1000)"},
      {"/who a b", "usage: /who [ROOM] [LIMIT] (LIMIT is 1 to 1000)"},
      {"/who lobby 10 more", "usage: /who [ROOM] [LIMIT]"},
  };
  for (const auto& [line, message] : cases) {
    SCOPED_TRACE(line);
    alice.send_line(line);
    EXPECT_EQ(alice.expect_error("bad-argument")["message"], message);
  }
  alice.send_line("/who lobby 1000");  // the connection is fine, and 1000 is allowed
  EXPECT_EQ(alice.expect_json("who")["total"], 1);
}

TEST(Rooms, WhoShowsTheFirstLimitMembersInCaseInsensitiveOrderAndTheTotal) {
  server_process server;
  std::vector<test_client> clients;
  for (const char* nick : {"Zed", "amy", "dora", "Bob", "Eve", "carl"}) {
    clients.push_back(json_client(server, nick));
  }
  test_client& zed = clients.front();
  zed.sync_json();  // the others' join events

  zed.send_line("/who lobby 3");
  json who = zed.expect_json("who");
  EXPECT_EQ(who["room"], "lobby");
  EXPECT_EQ(members_in_order(who), (std::vector<std::string>{"amy", "Bob", "carl"}));
  EXPECT_EQ(who["total"], 6);
  zed.send_line("/who 2");  // a lone number: the current room
  who = zed.expect_json("who");
  EXPECT_EQ(members_in_order(who), (std::vector<std::string>{"amy", "Bob"}));
  EXPECT_EQ(who["total"], 6);
  zed.send_line("/who");
  who = zed.expect_json("who");
  EXPECT_EQ(members_in_order(who),
            (std::vector<std::string>{"amy", "Bob", "carl", "dora", "Eve", "Zed"}));
  EXPECT_EQ(who["total"], 6);
}

TEST(Rooms, WhoOfAnAllDigitRoomNeedsTheLimitToo) {
  server_process server;
  test_client alice = json_client(server, "alice");
  test_client bob = json_client(server, "bob");
  alice.sync_json();
  bob.send_line("/join 50");
  bob.expect_ok("join");
  alice.send_line("/who 50 100");
  json who = alice.expect_json("who");
  EXPECT_EQ(who["room"], "50");
  EXPECT_EQ(members_in_order(who), (std::vector<std::string>{"bob"}));
  alice.send_line("/who 50");  // a LIMIT of 50 for alice's current room
  EXPECT_EQ(alice.expect_json("who")["room"], "lobby");
}

TEST(Rooms, WhoListsAHundredMembersByDefault) {
  // Presence off above 10 members keeps 105 joins from costing 105² join events.
  server_process server(std::string(fast_limits_yaml) +
                        "  max_connections_per_ip: 200\nrooms:\n  presence_max_members: 10\n");
  std::vector<test_client> clients;
  std::vector<std::string> nicks;
  for (int i = 0; i < 105; ++i) {
    std::string digits = std::to_string(i);
    nicks.push_back("u" + std::string(3 - digits.size(), '0') + digits);
    clients.push_back(json_client(server, nicks.back()));
  }
  test_client& last = clients.back();
  last.send_line("/who");
  json who = last.expect_json("who");
  EXPECT_EQ(members_in_order(who), std::vector<std::string>(nicks.begin(), nicks.begin() + 100));
  EXPECT_EQ(who["total"], 105);
}

TEST(Rooms, HumanListingsSayHowManyOfHowManyWhenTruncated) {
  server_process server;
  test_client alice = json_client(server, "alice");
  test_client bob = json_client(server, "bob");
  test_client carol = json_client(server, "carol");
  alice.sync_json();
  join_all(alice, {"dev", "ops"});
  alice.send_line("/format human");
  EXPECT_EQ(alice.expect_line(), "* Output format: human");

  alice.send_line("/rooms * 2");
  EXPECT_EQ(alice.expect_line(), "* Rooms (showing 2 of 3):");
  EXPECT_EQ(alice.expect_line(), "*   [dev] (1 member)");
  EXPECT_EQ(alice.expect_line(), "*   [lobby] (3 members)");
  alice.send_line("/rooms ?ev");  // all that match: the usual heading
  EXPECT_EQ(alice.expect_line(), "* Rooms:");
  EXPECT_EQ(alice.expect_line(), "*   [dev] (1 member)");
  alice.send_line("/rooms #Nope*");
  EXPECT_EQ(alice.expect_line(), "* No rooms match nope*.");

  alice.send_line("/who lobby 2");
  EXPECT_EQ(alice.expect_line(), "* Members of [lobby] (3, showing 2): alice, bob");
  alice.send_line("/who lobby");
  EXPECT_EQ(alice.expect_line(), "* Members of [lobby] (3): alice, bob, carol");
  alice.expect_quiet_human();
}
