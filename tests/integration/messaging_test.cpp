// Messaging: chat lines, /say, /me, /msg, sequence numbers, /ping, /help, /format, sanitising.
#include <gtest/gtest.h>

#include "integration/chat_helpers.hpp"

using namespace chatd::integration;

namespace {

// alice and bob, both registered in the lobby, with every pending event read.
struct two_clients {
  explicit two_clients(const server_process& server)
      : alice(json_client(server, "alice")), bob(json_client(server, "bob")) {
    alice.sync_json();
  }
  test_client alice;
  test_client bob;
};

}  // namespace

TEST(Messaging, PlainLineGoesToCurrentRoomAndSenderGetsOkInsteadOfItsOwnMsg) {
  server_process server;
  two_clients c(server);
  c.alice.send_line("hello there");
  json ok = c.alice.expect_ok("say");
  EXPECT_EQ(ok["room"], "lobby");
  EXPECT_EQ(ok["seq"], 1);
  c.alice.expect_quiet_json();
  json msg = c.bob.expect_json("msg");
  check_msg(msg, "lobby", "alice", "hello there");
  EXPECT_EQ(msg["seq"], 1);
  c.bob.expect_quiet_json();
}

TEST(Messaging, SeqStartsAtOneAndIncreasesByOnePerMessageInEachRoom) {
  server_process server;
  two_clients c(server);
  c.alice.send_line("/join den");
  c.alice.expect_ok("join");
  c.bob.send_line("/join den");
  c.bob.expect_ok("join");
  c.alice.expect_json("join");
  // Three kinds of message share one sequence per room.
  const std::vector<std::string> lines = {"one", "/me two", "/say den three", "four"};
  for (std::size_t i = 0; i < lines.size(); ++i) {
    c.alice.send_line(lines[i]);
    json ok = c.alice.expect_ok("say");
    EXPECT_EQ(ok["room"], "den");
    EXPECT_EQ(ok["seq"], i + 1);
  }
  for (std::size_t i = 0; i < lines.size(); ++i) {
    json msg = c.bob.expect_json("msg");
    EXPECT_EQ(msg["room"], "den");
    EXPECT_EQ(msg["seq"], i + 1);
  }
  // The lobby has its own sequence.
  c.bob.send_line("/say lobby first in lobby");
  EXPECT_EQ(c.bob.expect_ok("say")["seq"], 1);
  json msg = c.alice.expect_json("msg");
  check_msg(msg, "lobby", "bob", "first in lobby");
  EXPECT_EQ(msg["seq"], 1);
}

TEST(Messaging, SayToNamedRoomDoesNotChangeCurrentRoom) {
  server_process server;
  two_clients c(server);
  c.alice.send_line("/join den");  // den becomes alice's current room
  c.alice.expect_ok("join");
  c.alice.send_line("/say lobby to the lobby");
  json ok = c.alice.expect_ok("say");
  EXPECT_EQ(ok["room"], "lobby");
  EXPECT_EQ(ok["seq"], 1);
  check_msg(c.bob.expect_json("msg"), "lobby", "alice", "to the lobby");
  c.alice.send_line("to the den");
  EXPECT_EQ(c.alice.expect_ok("say")["room"], "den");
  c.bob.expect_quiet_json();
}

TEST(Messaging, SayToRoomNotJoinedIsNotInRoom) {
  server_process server;
  two_clients c(server);
  c.bob.send_line("/join den");
  c.bob.expect_ok("join");
  c.alice.send_line("/say den sneaky");
  c.alice.expect_error("not-in-room");
  c.alice.send_line("/say nowhere hello");
  c.alice.expect_error("not-in-room");
  c.bob.expect_quiet_json();
}

TEST(Messaging, SayWithMissingArgumentsIsBadArgument) {
  server_process server;
  test_client alice = json_client(server, "alice");
  for (const char* line : {"/say", "/say lobby"}) {
    SCOPED_TRACE(line);
    alice.send_line(line);
    alice.expect_error("bad-argument");
  }
}

TEST(Messaging, PlainLineWithoutCurrentRoomIsNoRoom) {
  server_process server;
  test_client alice = json_client(server, "alice");
  alice.send_line("/part");
  alice.expect_ok("part");
  alice.send_line("anyone?");
  alice.expect_error("no-room");
}

TEST(Messaging, MeSendsActionToCurrentRoom) {
  server_process server;
  two_clients c(server);
  c.alice.send_line("/me waves");
  json ok = c.alice.expect_ok("say");
  EXPECT_EQ(ok["room"], "lobby");
  EXPECT_EQ(ok["seq"], 1);
  c.alice.expect_quiet_json();
  json msg = c.bob.expect_json("msg");
  check_msg(msg, "lobby", "alice", "waves", /*action=*/true);
}

TEST(Messaging, MeWithoutRoomIsNoRoomAndWithoutTextIsBadArgument) {
  server_process server;
  test_client alice = json_client(server, "alice");
  alice.send_line("/me");
  alice.expect_error("bad-argument");
  alice.send_line("/part");
  alice.expect_ok("part");
  alice.send_line("/me waves");
  alice.expect_error("no-room");
}

TEST(Messaging, MsgSendsPrivateMessageToTargetOnly) {
  server_process server;
  two_clients c(server);
  test_client carol = json_client(server, "carol");
  carol.send_line("/part");  // carol shares no room with anyone
  carol.expect_ok("part");
  c.alice.sync_json();
  c.bob.sync_json();
  c.alice.send_line("/msg carol psst, carol");
  json ok = c.alice.expect_ok("msg");
  EXPECT_EQ(ok["to"], "carol");
  c.alice.expect_quiet_json();
  json pm = carol.expect_json("pm");
  EXPECT_EQ(pm["from"], "alice");
  EXPECT_EQ(pm["to"], "carol");
  EXPECT_EQ(pm["text"], "psst, carol");
  EXPECT_TRUE(is_iso8601(pm["ts"])) << pm.dump();
  carol.expect_quiet_json();
  c.bob.expect_quiet_json();
}

TEST(Messaging, MsgToUnknownNickIsNoSuchNickAndMissingArgumentsAreBadArgument) {
  server_process server;
  test_client alice = json_client(server, "alice");
  alice.send_line("/msg nobody hello");
  alice.expect_error("no-such-nick");
  for (const char* line : {"/msg", "/msg nobody"}) {
    SCOPED_TRACE(line);
    alice.send_line(line);
    alice.expect_error("bad-argument");
  }
}

TEST(Messaging, DoubleSlashSendsTextStartingWithSlash) {
  server_process server;
  two_clients c(server);
  c.alice.send_line("//join is how you join");
  EXPECT_EQ(c.alice.expect_ok("say")["room"], "lobby");
  check_msg(c.bob.expect_json("msg"), "lobby", "alice", "/join is how you join");
  c.alice.send_line("/who");  // alice stayed where she was
  EXPECT_EQ(c.alice.expect_json("who")["room"], "lobby");
}

TEST(Messaging, CommandNamesAreCaseInsensitive) {
  server_process server;
  two_clients c(server);
  c.alice.send_line("/JOIN Den");
  EXPECT_EQ(c.alice.expect_ok("join")["room"], "den");
  c.alice.send_line("/PiNg Token");
  EXPECT_EQ(c.alice.expect_json("pong")["token"], "Token");
  c.alice.send_line("/WHO");
  EXPECT_EQ(c.alice.expect_json("who")["room"], "den");
  c.alice.send_line("/Msg BOB hi bob");
  c.alice.expect_ok("msg");
  EXPECT_EQ(c.bob.expect_json("pm")["text"], "hi bob");
}

TEST(Messaging, UnknownCommandIsRejected) {
  server_process server;
  test_client alice = json_client(server, "alice");
  alice.send_line("/frobnicate now");
  alice.expect_error("unknown-command");
}

TEST(Messaging, PingRepliesPongWithToken) {
  server_process server;
  test_client alice = json_client(server, "alice");
  alice.send_line("/ping abc-123");
  EXPECT_EQ(alice.expect_json("pong")["token"], "abc-123");
  alice.send_line("/ping");
  json pong = alice.expect_json("pong");
  EXPECT_EQ(pong.value("token", ""), "") << pong.dump();
}

TEST(Messaging, HelpIsAnsweredWithOk) {
  server_process server;
  test_client alice = json_client(server, "alice");
  alice.send_line("/help");
  alice.expect_ok("help");
  alice.expect_quiet_json();
}

TEST(Messaging, FormatWithUnknownOrMissingArgumentIsBadArgument) {
  server_process server;
  test_client alice = json_client(server, "alice");
  for (const char* line : {"/format xml", "/format"}) {
    SCOPED_TRACE(line);
    alice.send_line(line);
    alice.expect_error("bad-argument");
  }
}

TEST(Messaging, FormatChangeIsAnsweredInTheNewFormat) {
  server_process server;
  test_client alice = json_client(server, "alice");
  alice.send_line("/format human");
  std::string line = alice.expect_line();
  EXPECT_EQ(line.rfind("* ", 0), 0u) << line;
  alice.expect_quiet_human();
  alice.send_line("/format json");
  alice.expect_ok("format");
}

TEST(Messaging, SanitisedMessageArrivesAsValidUtf8WithoutControls) {
  server_process server;
  two_clients c(server);
  c.alice.send_raw(
      "\x1b[31mred\x1b[0m \x07"
      "bell\x01 \xff\xfb\x01"
      "iac \x80 \xc3( de\x7fl \x1b]0;pwned\x07ok\tx\n");
  c.alice.expect_ok("say");
  json msg = c.bob.expect_json("msg");  // the JSON parser already rejects invalid UTF-8
  EXPECT_EQ(msg["text"], "red bell iac \xEF\xBF\xBD \xEF\xBF\xBD( del ok\tx") << msg.dump();
}

TEST(Messaging, LineEmptyAfterSanitisingGetsNoReply) {
  server_process server;
  two_clients c(server);
  c.alice.send_raw("\x1b[2J\x1b[H\x07\r\n");
  c.alice.send_raw("\n");
  c.alice.send_raw("\xff\xfd\x18\n");
  c.alice.expect_quiet_json();
  c.bob.expect_quiet_json();
}

TEST(Messaging, CommandsAreSanitisedBeforeParsing) {
  server_process server;
  test_client alice = json_client(server, "alice");
  alice.send_raw("\x1b[1m/pi\x07ng\x1b[0m tok\n");
  EXPECT_EQ(alice.expect_json("pong")["token"], "tok");
}

TEST(Messaging, CarriageReturnBeforeLineFeedIsDropped) {
  server_process server;
  two_clients c(server);
  c.alice.send_raw("/ping crlf\r\n");
  EXPECT_EQ(c.alice.expect_json("pong")["token"], "crlf");
  c.alice.send_raw("windows line\r\n");
  c.alice.expect_ok("say");
  check_msg(c.bob.expect_json("msg"), "lobby", "alice", "windows line");
}

TEST(Messaging, LineSplitAcrossWritesIsOneLine) {
  server_process server;
  two_clients c(server);
  c.alice.send_raw("hel");
  c.alice.send_raw("lo wor");
  c.alice.send_raw("ld\n");
  c.alice.expect_ok("say");
  check_msg(c.bob.expect_json("msg"), "lobby", "alice", "hello world");
}

TEST(Messaging, SeveralLinesInOneWriteAreAnsweredInOrder) {
  server_process server(std::string{fast_limits_yaml});
  test_client alice = json_client(server, "alice");
  alice.send_raw("/ping a\none\n/ping b\n/bogus\n/ping c\n");
  EXPECT_EQ(alice.expect_json("pong")["token"], "a");
  EXPECT_EQ(alice.expect_ok("say")["seq"], 1);
  EXPECT_EQ(alice.expect_json("pong")["token"], "b");
  alice.expect_error("unknown-command");
  EXPECT_EQ(alice.expect_json("pong")["token"], "c");
}
