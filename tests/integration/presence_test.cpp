// rooms.presence_max_members: a room announces joins, parts and quits while it has at most that
// many members, the user the announcement is about included (counted after a join, before a
// leave). Above it they are counted in chatd_presence_suppressed_total instead; nick and topic
// changes still go out, /who still lists everyone, and the join ok says which way the room is.
#include <gtest/gtest.h>

#include <csignal>
#include <string>

#include "integration/chat_helpers.hpp"
#include "integration/metrics_helpers.hpp"

using namespace chatd::integration;

namespace {

// No automatic join, so the rooms hold exactly the clients a test puts there.
std::string presence_config(const std::string& max_members) {
  return std::string(fast_limits_yaml) + "rooms:\n  default: \"\"\n  presence_max_members: " +
         max_members + "\n";
}

json join(test_client& client, const std::string& room) {
  client.send_line("/join " + room);
  return client.expect_ok("join");
}

json who(test_client& client, const std::string& room) {
  client.send_line("/who " + room);
  return client.expect_json("who");
}

double suppressed(const server_process& server, const std::string& event) {
  return scrape(metrics_port(server))
      .value("chatd_presence_suppressed_total", {{"event", event}});
}

// The next line of `client` must be the join (or part) event of `nick` in `room`.
void expect_room_event(test_client& client, std::string_view type, std::string_view room,
                       std::string_view nick) {
  const json ev = client.expect_json(type);
  EXPECT_EQ(ev["room"], room) << ev.dump();
  EXPECT_EQ(ev["nick"], nick) << ev.dump();
}

}  // namespace

TEST(Presence, TheJoinOverTheLimitIsNotAnnouncedButWhoListsEveryone) {
  server_process server(presence_config("3"), metrics_listen_args());
  test_client a = json_client(server, "a", "");
  test_client b = json_client(server, "b", "");
  test_client c = json_client(server, "c", "");
  test_client d = json_client(server, "d", "");

  EXPECT_EQ(join(a, "big")["presence"], true);
  EXPECT_EQ(join(b, "big")["presence"], true);
  expect_room_event(a, "join", "big", "b");

  // The third joiner makes 3 members: at the limit, still announced.
  const json third = join(c, "big");
  EXPECT_EQ(third["presence"], true) << third.dump();
  EXPECT_EQ(member_set(third), (std::set<std::string>{"a", "b", "c"}));
  expect_room_event(a, "join", "big", "c");
  expect_room_event(b, "join", "big", "c");

  // The fourth makes 4: over the limit. Its ok says so (the fields come last, after the ones it
  // always had), lists nobody and says how many there are; no one hears of it.
  d.send_line("/join big");
  const std::string epoch = third["epoch"];  // the room's, the same for every member
  EXPECT_EQ(d.read_raw_lines(1),
            R"({"type":"ok","cmd":"join","room":"big","members":[],"topic":"",)"
            R"("seq":0,"epoch":")" + epoch + R"(","presence":false,"total":4})"
            "\r\n");
  a.expect_quiet_json();
  b.expect_quiet_json();
  c.expect_quiet_json();
  d.expect_quiet_json();

  const std::set<std::string> everyone{"a", "b", "c", "d"};
  EXPECT_EQ(member_set(who(a, "big")), everyone);
  EXPECT_EQ(member_set(who(d, "big")), everyone);

  // Messages still reach every member, the unannounced one too.
  a.send_line("hello all");
  a.expect_ok("say");
  for (test_client* member : {&b, &c, &d}) check_msg(member->expect_json("msg"), "big", "a", "hello all");

  EXPECT_EQ(suppressed(server, "join"), 1);
  EXPECT_EQ(suppressed(server, "part"), 0);
  EXPECT_EQ(suppressed(server, "quit"), 0);
  EXPECT_TRUE(server.wait_for_log(
      "room big now has 4 members: presence off (rooms.presence_max_members 3)"))
      << server.log();
}

TEST(Presence, PartsAndQuitsAreAnnouncedOnlyAtOrBelowTheLimitCountingTheLeaver) {
  server_process server(presence_config("3"), metrics_listen_args());
  test_client a = json_client(server, "a", "");
  test_client b = json_client(server, "b", "");
  test_client c = json_client(server, "c", "");
  test_client d = json_client(server, "d", "");
  for (test_client* member : {&a, &b, &c, &d}) join(*member, "big");
  for (test_client* member : {&a, &b, &c}) member->sync_json();  // the joins up to c's

  // 4 members counting the leaver: d's part is not announced.
  d.send_line("/part big");
  EXPECT_EQ(d.expect_ok("part")["room"], "big");
  for (test_client* member : {&a, &b, &c}) member->expect_quiet_json();
  EXPECT_EQ(suppressed(server, "part"), 1);
  EXPECT_TRUE(server.wait_for_log(
      "room big now has 3 members: presence on (rooms.presence_max_members 3)"))
      << server.log();

  // Back to 4, then c quits with 4 members counting itself: not announced either.
  EXPECT_EQ(join(d, "big")["presence"], false);
  c.send_line("/quit off I go");
  c.expect_json("bye");
  EXPECT_TRUE(c.wait_closed());
  for (test_client* member : {&a, &b, &d}) member->expect_quiet_json();
  EXPECT_EQ(suppressed(server, "quit"), 1);
  EXPECT_EQ(suppressed(server, "join"), 2);

  // 3 members now (a, b, d): b's part is announced, and so is d's quit at 2.
  b.send_line("/part big");
  b.expect_ok("part");
  expect_room_event(a, "part", "big", "b");
  expect_room_event(d, "part", "big", "b");
  d.send_line("/quit");
  d.expect_json("bye");
  const json quit = a.expect_json("quit");
  EXPECT_EQ(quit["nick"], "d");
  EXPECT_EQ(quit["reason"], "quit");
  a.expect_quiet_json();
  EXPECT_EQ(suppressed(server, "part"), 1);
  EXPECT_EQ(suppressed(server, "quit"), 1);
}

TEST(Presence, AQuitStillReachesTheSmallRoomsOfAClientInABigOne) {
  server_process server(presence_config("3"), metrics_listen_args());
  test_client a = json_client(server, "a", "");
  test_client b = json_client(server, "b", "");
  test_client c = json_client(server, "c", "");
  test_client d = json_client(server, "d", "");
  test_client e = json_client(server, "e", "");
  for (test_client* member : {&a, &b, &c, &d}) join(*member, "big");  // d's join: unannounced
  for (test_client* member : {&a, &b, &c}) member->sync_json();
  for (test_client* member : {&a, &d, &e}) {
    join(*member, "small");
    for (test_client* in_small : {&a, &d, &e}) in_small->sync_json();  // the announced joins
  }

  // d is in big (4 members: no presence) and small (3: presence). Members of small hear the
  // quit once, a too though it shares big as well; b and c, only in big, do not.
  d.send_line("/quit bye now");
  d.expect_json("bye");
  for (test_client* member : {&a, &e}) {
    const json quit = member->expect_json("quit");
    EXPECT_EQ(quit["nick"], "d");
    EXPECT_EQ(quit["reason"], "bye now");
    member->expect_quiet_json();
  }
  b.expect_quiet_json();
  c.expect_quiet_json();
  EXPECT_EQ(suppressed(server, "quit"), 1);  // one room did not announce it
}

TEST(Presence, AQuitIsCountedOncePerRoomThatDidNotAnnounceIt) {
  server_process server(presence_config("1"), metrics_listen_args());
  test_client a = json_client(server, "a", "");
  test_client b = json_client(server, "b", "");
  for (const char* room : {"one", "two"}) {
    EXPECT_EQ(join(a, room)["presence"], true);   // alone: 1 member
    EXPECT_EQ(join(b, room)["presence"], false);  // 2 members
  }
  a.expect_quiet_json();
  b.close();
  // a shares two rooms with b, neither announces: nothing reaches a, two quits suppressed.
  ASSERT_TRUE(wait_until([&] { return suppressed(server, "quit") == 2; }, std::chrono::seconds(5),
                         "two suppressed quits"))
      << suppressed(server, "quit");
  a.expect_quiet_json();
  EXPECT_EQ(member_set(who(a, "one")), (std::set<std::string>{"a"}));
  EXPECT_EQ(suppressed(server, "join"), 2);
}

TEST(Presence, NickAndTopicChangesAreNotPresenceAndStillGoOut) {
  server_process server(presence_config("2"), metrics_listen_args());
  test_client a = json_client(server, "a", "");
  test_client b = json_client(server, "b", "");
  test_client c = json_client(server, "c", "");
  for (test_client* member : {&a, &b, &c}) join(*member, "big");
  a.sync_json();  // b's join; c's was not announced
  b.expect_quiet_json();

  c.send_line("/nick carol");
  c.expect_ok("nick");
  for (test_client* member : {&a, &b}) {
    const json nick = member->expect_json("nick");
    EXPECT_EQ(nick["old"], "c");
    EXPECT_EQ(nick["new"], "carol");
  }
  c.send_line("/topic big rooms are quiet");
  c.expect_ok("topic");
  for (test_client* member : {&a, &b}) {
    const json topic = member->expect_json("topic");
    EXPECT_EQ(topic["nick"], "carol");
    EXPECT_EQ(topic["topic"], "big rooms are quiet");
  }
  EXPECT_EQ(suppressed(server, "join"), 1);
}

TEST(Presence, ZeroMeansNoLimitAndTheDefaultIsAThousand) {
  for (const std::string& yaml : {presence_config("0"), std::string(fast_limits_yaml) +
                                                            "rooms:\n  default: \"\"\n"}) {
    SCOPED_TRACE(yaml);
    server_process server(yaml, metrics_listen_args());
    std::vector<test_client> members;
    for (int i = 0; i < 6; ++i) {
      members.push_back(json_client(server, "m" + std::to_string(i), ""));
      EXPECT_EQ(join(members.back(), "room")["presence"], true);
      for (int earlier = 0; earlier < i; ++earlier) {
        expect_room_event(members[earlier], "join", "room", "m" + std::to_string(i));
      }
    }
    members[5].send_line("/part room");
    members[5].expect_ok("part");
    for (int i = 0; i < 5; ++i) expect_room_event(members[i], "part", "room", "m5");
    EXPECT_EQ(suppressed(server, "join") + suppressed(server, "part"), 0);
  }
}

TEST(Presence, AReloadAppliesTheNewLimitAtTheNextEvent) {
  server_process server(presence_config("0"), metrics_listen_args());
  std::vector<test_client> members;
  for (int i = 0; i < 4; ++i) {
    members.push_back(json_client(server, "m" + std::to_string(i), ""));
    join(members.back(), "room");
  }
  for (test_client& member : members) member.sync_json();

  server.rewrite_config(presence_config("3"));
  server.signal(SIGHUP);
  ASSERT_TRUE(server.wait_for_log("configuration reloaded: rooms.presence_max_members '0' -> '3'"))
      << server.log();
  // The room already has 4 members; the next joiner is the 5th and is not announced.
  members.push_back(json_client(server, "m4", ""));
  EXPECT_EQ(join(members.back(), "room")["presence"], false);
  for (test_client& member : members) member.expect_quiet_json();
  // A re-join answers with the room's presence as it is now.
  EXPECT_EQ(join(members[0], "room")["presence"], false);

  server.rewrite_config(presence_config("10"));
  server.signal(SIGHUP);
  ASSERT_TRUE(server.wait_for_log("rooms.presence_max_members '3' -> '10'")) << server.log();
  members[4].send_line("/part room");
  members[4].expect_ok("part");
  for (int i = 0; i < 4; ++i) expect_room_event(members[i], "part", "room", "m4");
  EXPECT_EQ(join(members[0], "room")["presence"], true);
  EXPECT_EQ(suppressed(server, "join"), 1);
  EXPECT_EQ(suppressed(server, "part"), 0);
}

TEST(Presence, TheHumanJoinSaysWhenJoinsAreNotAnnounced) {
  server_process server(presence_config("2"));
  test_client a = json_client(server, "a", "");
  join(a, "big");
  a.send_line("/topic hush");
  a.expect_ok("topic");

  const auto human = [&](const std::string& nick) {
    test_client client(server.port(), nick);
    read_human_welcome(client);
    client.send_line("/nick " + nick);
    EXPECT_EQ(client.expect_line(), "* You are now known as " + nick + ".");
    return client;
  };
  // The second member: at the limit, the join reads as it always did.
  test_client bob = human("bob");
  bob.send_line("/join big");
  EXPECT_EQ(bob.read_raw_lines(2),
            "* You joined [big] (2 members: a, bob).\r\n"
            "* Topic: hush\r\n");
  bob.expect_quiet_human();
  // The third: one more line after the join confirmation, naming the limit.
  test_client carol = human("carol");
  carol.send_line("/join #big");
  EXPECT_EQ(carol.read_raw_lines(3),
            "* You joined [big] (3 members).\r\n"
            "* Topic: hush\r\n"
            "* [big] has more than 2 members: joins, parts and quits are not announced; /who lists "
            "them.\r\n");
  carol.expect_quiet_human();
  bob.expect_quiet_human();  // carol's join was not announced
}
