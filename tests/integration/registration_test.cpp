// Registration: welcome, nickname rules, the unregistered state, nick changes, the automatic join.
#include <gtest/gtest.h>

#include "integration/chat_helpers.hpp"

using namespace chatd::integration;

TEST(Registration, WelcomesInHumanFormatThenAnswersFormatJsonInJson) {
  server_process server;
  test_client client(server.port());
  std::string first = client.expect_line();
  EXPECT_EQ(first.rfind("* ", 0), 0u) << first;
  EXPECT_NE(first.find("chatd"), std::string::npos) << "welcome should name the server: " << first;

  client.send_line("/format json");
  for (;;) {  // the rest of the human welcome, then the JSON reply
    std::string line = client.expect_line();
    if (line.rfind("{", 0) == 0) {
      json ok = json::parse(line);
      EXPECT_EQ(ok["type"], "ok");
      EXPECT_EQ(ok["cmd"], "format");
      break;
    }
    EXPECT_EQ(line.rfind("* ", 0), 0u) << line;
  }
  client.expect_quiet_json();
}

TEST(Registration, PlainLineFromUnregisteredClientIsTakenAsNick) {
  server_process server;
  test_client client(server.port());
  client.send_line("/format json");
  while (client.expect_line().rfind("{", 0) != 0) {
  }
  client.send_line("alice");
  json ok = client.expect_ok("nick");
  EXPECT_EQ(ok["nick"], "alice");
  json join = client.expect_json("join");
  EXPECT_EQ(join["room"], "lobby");
  EXPECT_EQ(join["nick"], "alice");
  client.expect_quiet_json();
}

TEST(Registration, UnregisteredClientGetsNotRegisteredForRoomAndMessageCommands) {
  server_process server;
  test_client client(server.port());
  client.send_line("/format json");
  while (client.expect_line().rfind("{", 0) != 0) {
  }
  for (const char* line : {"/join room", "/part", "/say lobby hi", "/me waves", "/msg bob hi",
                           "/topic", "/rooms", "/who", "/who lobby"}) {
    SCOPED_TRACE(line);
    client.send_line(line);
    client.expect_error("not-registered");
  }
}

TEST(Registration, UnregisteredClientMayUsePingHelpFormatAndQuit) {
  server_process server;
  test_client client(server.port());
  client.send_line("/format json");
  while (client.expect_line().rfind("{", 0) != 0) {
  }
  client.send_line("/ping before-nick");
  EXPECT_EQ(client.expect_json("pong")["token"], "before-nick");
  client.send_line("/help");
  client.expect_ok("help");
  client.send_line("/format json");
  client.expect_ok("format");
  client.send_line("/quit");
  client.expect_json("bye");
  EXPECT_TRUE(client.wait_closed());
}

TEST(Registration, NickWithBadCharactersOrLeadingDigitIsInvalid) {
  server_process server;
  test_client client(server.port());
  client.send_line("/format json");
  while (client.expect_line().rfind("{", 0) != 0) {
  }
  for (const char* line : {"/nick al!ce", "/nick 9lives", "/nick _under", "/nick -dash",
                           "/nick al.ice", "/nick caf\xc3\xa9", "al ice"}) {
    SCOPED_TRACE(line);
    client.send_line(line);
    client.expect_error("nick-invalid");
  }
  client.send_line("/nick a1_-Z");
  EXPECT_EQ(client.expect_ok("nick")["nick"], "a1_-Z");
}

TEST(Registration, NickLongerThanDefaultMaximumIsInvalid) {
  server_process server;
  test_client client(server.port());
  client.send_line("/format json");
  while (client.expect_line().rfind("{", 0) != 0) {
  }
  client.send_line("/nick " + std::string(25, 'a'));
  client.expect_error("nick-invalid");
  client.send_line("/nick " + std::string(24, 'a'));
  EXPECT_EQ(client.expect_ok("nick")["nick"], std::string(24, 'a'));
}

TEST(Registration, NickLongerThanConfiguredNickMaxIsInvalid) {
  server_process server("limits:\n  nick_max: 8\n");
  test_client client(server.port());
  client.send_line("/format json");
  while (client.expect_line().rfind("{", 0) != 0) {
  }
  client.send_line("/nick abcdefghi");
  client.expect_error("nick-invalid");
  client.send_line("/nick abcdefgh");
  EXPECT_EQ(client.expect_ok("nick")["nick"], "abcdefgh");
}

TEST(Registration, NickTakenIsCaseInsensitive) {
  server_process server;
  test_client alice = json_client(server, "Alice");
  test_client other(server.port(), "other");
  other.send_line("/format json");
  while (other.expect_line().rfind("{", 0) != 0) {
  }
  for (const char* line : {"/nick alice", "/nick ALICE", "aLiCe"}) {
    SCOPED_TRACE(line);
    other.send_line(line);
    other.expect_error("nick-taken");
  }
  test_client bob = json_client(server, "bob");
  bob.send_line("/nick alice");
  bob.expect_error("nick-taken");
  bob.expect_quiet_json();
}

TEST(Registration, NickWithoutArgumentIsBadArgument) {
  server_process server;
  test_client alice = json_client(server, "alice");
  alice.send_line("/nick");
  alice.expect_error("bad-argument");
}

TEST(Registration, NickChangeSendsOkToSelfAndOneEventToEachClientSharingRooms) {
  server_process server;
  test_client alice = json_client(server, "alice");
  test_client bob = json_client(server, "bob");
  test_client carol = json_client(server, "carol");
  test_client dave = json_client(server, "dave");
  for (test_client* c : {&alice, &bob, &carol, &dave}) c->sync_json();  // the lobby joins
  // alice and bob share two rooms (lobby, x); carol shares only the lobby; dave shares nothing.
  alice.send_line("/join x");
  alice.expect_ok("join");
  bob.send_line("/join x");
  bob.expect_ok("join");
  dave.send_line("/part lobby");
  dave.expect_ok("part");
  for (test_client* c : {&alice, &bob, &carol, &dave}) c->sync_json();

  alice.send_line("/nick alicia");
  EXPECT_EQ(alice.expect_ok("nick")["nick"], "alicia");
  alice.expect_quiet_json();  // never the nick event about itself

  for (test_client* c : {&bob, &carol}) {
    SCOPED_TRACE(c->label());
    json ev = c->expect_json("nick");
    EXPECT_EQ(ev["old"], "alice");
    EXPECT_EQ(ev["new"], "alicia");
    c->expect_quiet_json();  // exactly one, however many rooms are shared
  }
  dave.expect_quiet_json();

  // The old nick is free again, the new one is taken.
  dave.send_line("/nick alice");
  EXPECT_EQ(dave.expect_ok("nick")["nick"], "alice");
  bob.send_line("/nick ALICIA");
  bob.expect_error("nick-taken");
}

TEST(Registration, NickChangeIsSeenInLaterMessagesAndWho) {
  server_process server;
  test_client alice = json_client(server, "alice");
  test_client bob = json_client(server, "bob");
  alice.sync_json();
  bob.send_line("/nick robert");
  bob.expect_ok("nick");
  alice.expect_json("nick");
  bob.send_line("hello");
  bob.expect_ok("say");
  check_msg(alice.expect_json("msg"), "lobby", "robert", "hello");
  alice.send_line("/who");
  EXPECT_EQ(member_set(alice.expect_json("who")), (std::set<std::string>{"alice", "robert"}));
}

TEST(Registration, AutoJoinSendsSelfJoinEventWithoutOkAndJoinEventToOthers) {
  server_process server;
  test_client alice = json_client(server, "alice");
  test_client bob(server.port(), "bob");
  bob.send_line("/format json");
  while (bob.expect_line().rfind("{", 0) != 0) {
  }
  bob.send_line("/nick bob");
  bob.expect_ok("nick");
  json self = bob.expect_json("join");  // not an ok: the automatic join answers no command
  EXPECT_EQ(self["room"], "lobby");
  EXPECT_EQ(self["nick"], "bob");
  bob.expect_quiet_json();

  json ev = alice.expect_json("join");
  EXPECT_EQ(ev["room"], "lobby");
  EXPECT_EQ(ev["nick"], "bob");
  alice.expect_quiet_json();

  bob.send_line("/who");
  json who = bob.expect_json("who");
  EXPECT_EQ(who["room"], "lobby");
  EXPECT_EQ(member_set(who), (std::set<std::string>{"alice", "bob"}));
}

TEST(Registration, EmptyDefaultRoomDisablesAutoJoin) {
  server_process server("rooms:\n  default: \"\"\n");
  test_client alice = json_client(server, "alice", "");
  auto extra = alice.sync_json();
  EXPECT_TRUE(extra.empty()) << extra.front().dump();
  alice.send_line("hello?");
  alice.expect_error("no-room");
  alice.send_line("/who");
  alice.expect_error("not-in-room");
  alice.send_line("/rooms");
  EXPECT_TRUE(alice.expect_json("rooms")["rooms"].empty());
}

TEST(Registration, ConfiguredDefaultRoomIsJoinedAutomatically) {
  server_process server("rooms:\n  default: hall\n");
  test_client alice = json_client(server, "alice", "hall");
  alice.send_line("/who");
  json who = alice.expect_json("who");
  EXPECT_EQ(who["room"], "hall");
  EXPECT_EQ(member_set(who), (std::set<std::string>{"alice"}));
}
