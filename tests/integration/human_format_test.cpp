// The human format, as a telnet user sees it: "* " notices, "! CODE: text" errors,
// "[room] nick: text" messages.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>

#include "integration/chat_helpers.hpp"

using namespace chatd::integration;

namespace {

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// All lines, for failure messages.
std::string dump(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += "\n  " + printable(line);
  return out;
}

// Every line is a notice or reply ("* ...").
void expect_all_notices(const std::vector<std::string>& lines) {
  for (const auto& line : lines) {
    EXPECT_TRUE(starts_with(line, "* ")) << "not a '* ' line: " << printable(line);
  }
}

// Some line contains every one of `words`.
bool some_line_has(const std::vector<std::string>& lines,
                   std::initializer_list<std::string_view> words) {
  return std::any_of(lines.begin(), lines.end(), [&](const std::string& line) {
    return std::all_of(words.begin(), words.end(), [&](std::string_view w) {
      return line.find(w) != std::string::npos;
    });
  });
}

// Connects, reads the welcome, sets the nick; the lines after the nick are all notices.
test_client noticed_client(const server_process& server, const std::string& nick,
                           std::vector<std::string>* after_nick = nullptr) {
  std::vector<std::string> lines;
  test_client client = human_client(server, nick, &lines);
  expect_all_notices(lines);
  if (after_nick) *after_nick = std::move(lines);
  return client;
}

// Sends `line` and returns the reply lines up to a /ping round-trip.
std::vector<std::string> command(test_client& client, const std::string& line) {
  client.send_line(line);
  return client.sync_human();
}

// The next line must be "! CODE: <some text>".
void expect_human_error(test_client& client, std::string_view code) {
  std::string line = client.expect_line();
  std::string prefix = "! " + std::string(code) + ": ";
  EXPECT_TRUE(starts_with(line, prefix) && line.size() > prefix.size())
      << "expected '" << prefix << "...', got '" << printable(line) << "'";
}

}  // namespace

TEST(HumanFormat, TelnetSessionReadsCleanly) {
  server_process server(std::string{fast_limits_yaml});

  // Welcome and nick prompt, then a plain line answers the prompt.
  test_client alice(server.port(), "alice");
  auto welcome = read_human_welcome(alice);
  EXPECT_TRUE(std::any_of(welcome.begin(), welcome.end(),
                          [](const std::string& l) { return lower(l).find("nick") != std::string::npos; }))
      << "the welcome should ask for a nickname:" << dump(welcome);
  alice.send_line("alice");
  auto joined = alice.sync_human();
  expect_all_notices(joined);
  EXPECT_TRUE(some_line_has(joined, {"lobby"})) << "no auto-join notice:" << dump(joined);

  std::vector<std::string> bob_joined;
  test_client bob = noticed_client(server, "bob", &bob_joined);
  EXPECT_TRUE(some_line_has(bob_joined, {"lobby"})) << dump(bob_joined);
  auto seen = alice.sync_human();
  expect_all_notices(seen);
  EXPECT_TRUE(some_line_has(seen, {"bob", "lobby"})) << "no join notice:" << dump(seen);

  // Chatting.
  alice.send_line("hi");
  EXPECT_EQ(bob.expect_line(), "[lobby] alice: hi");
  alice.send_line("/me waves");
  EXPECT_EQ(bob.expect_line(), "[lobby] * alice waves");
  alice.send_line("/msg bob psst");
  EXPECT_EQ(bob.expect_line(), "[pm] alice: psst");
  bob.send_line("hello alice");
  bob.expect_quiet_human();  // bob's message has been handled once his pong is back
  auto alice_sees = alice.sync_human();
  // alice's own oks, if shown at all, are notices; then bob's message.
  ASSERT_FALSE(alice_sees.empty());
  EXPECT_EQ(alice_sees.back(), "[lobby] bob: hello alice") << dump(alice_sees);
  alice_sees.pop_back();
  expect_all_notices(alice_sees);

  // A nick that is taken.
  test_client carol(server.port(), "carol");
  read_human_welcome(carol);
  carol.send_line("Bob");
  expect_human_error(carol, "nick-taken");

  // Help.
  auto help = command(alice, "/help");
  expect_all_notices(help);
  for (const char* cmd : {"/nick", "/join", "/part", "/msg", "/who", "/quit"}) {
    EXPECT_TRUE(some_line_has(help, {cmd})) << cmd << " missing from /help:" << dump(help);
  }

  // Goodbye.
  alice.send_line("/quit see you");
  EXPECT_TRUE(alice.wait_closed());
  int goodbye_lines = 0;
  while (auto line = alice.read_line(std::chrono::milliseconds(0))) {
    EXPECT_TRUE(starts_with(*line, "* ")) << printable(*line);
    ++goodbye_lines;
  }
  EXPECT_GE(goodbye_lines, 1);
  auto quit_notice = bob.sync_human();
  ASSERT_EQ(quit_notice.size(), 1u) << dump(quit_notice);
  EXPECT_TRUE(some_line_has(quit_notice, {"* ", "alice", "see you"})) << dump(quit_notice);
}

TEST(HumanFormat, EveryCommandIsAnsweredWithNotices) {
  server_process server(std::string{fast_limits_yaml});  // many commands in a row
  test_client alice = noticed_client(server, "alice");
  test_client bob = json_client(server, "bob");

  auto reply = command(alice, "/join #Den");
  expect_all_notices(reply);
  EXPECT_TRUE(some_line_has(reply, {"den"})) << dump(reply);

  reply = command(alice, "/topic Cosy corner");
  expect_all_notices(reply);
  EXPECT_TRUE(some_line_has(reply, {"Cosy corner"})) << dump(reply);
  reply = command(alice, "/topic");
  expect_all_notices(reply);
  EXPECT_TRUE(some_line_has(reply, {"Cosy corner"})) << dump(reply);

  reply = command(alice, "/rooms");
  expect_all_notices(reply);
  EXPECT_TRUE(some_line_has(reply, {"lobby"})) << dump(reply);
  EXPECT_TRUE(some_line_has(reply, {"den"})) << dump(reply);
  EXPECT_TRUE(some_line_has(reply, {"Cosy corner"})) << dump(reply);

  reply = command(alice, "/who");
  expect_all_notices(reply);
  EXPECT_TRUE(some_line_has(reply, {"alice"})) << dump(reply);
  reply = command(alice, "/who lobby");
  expect_all_notices(reply);
  EXPECT_TRUE(some_line_has(reply, {"bob"})) << dump(reply);

  // A chat line's ok shows nothing the user did not type; bob gets the message.
  reply = command(alice, "/say lobby hi bob");
  expect_all_notices(reply);
  check_msg(bob.expect_json("msg"), "lobby", "alice", "hi bob");

  reply = command(alice, "/msg bob psst");
  expect_all_notices(reply);
  EXPECT_EQ(bob.expect_json("pm")["text"], "psst");

  reply = command(alice, "/part den");
  expect_all_notices(reply);
  EXPECT_TRUE(some_line_has(reply, {"den"})) << dump(reply);

  reply = command(alice, "/nick alicia");
  expect_all_notices(reply);
  EXPECT_TRUE(some_line_has(reply, {"alicia"})) << dump(reply);
  EXPECT_EQ(bob.expect_json("nick")["new"], "alicia");

  alice.send_line("/ping tok-42");
  std::string pong = alice.expect_line();
  EXPECT_TRUE(starts_with(pong, "* ") && pong.find("tok-42") != std::string::npos) << pong;

  alice.send_line("/format json");
  alice.expect_ok("format");
  alice.send_line("/format human");
  std::string back = alice.expect_line();
  EXPECT_TRUE(starts_with(back, "* ")) << printable(back);
  alice.expect_quiet_human();
}

TEST(HumanFormat, EventsFromOthersShowNickRoomAndText) {
  server_process server(std::string(fast_limits_yaml) +
                        "rooms:\n  history: 10\n  history_replay: 10\n");
  test_client bob = noticed_client(server, "bob");
  test_client alice = json_client(server, "alice");
  auto lines = bob.sync_human();
  ASSERT_EQ(lines.size(), 1u) << dump(lines);
  EXPECT_TRUE(some_line_has(lines, {"* ", "alice", "lobby"})) << dump(lines);

  command(bob, "/join den");
  alice.send_line("/join den");
  alice.expect_ok("join");
  lines = bob.sync_human();
  ASSERT_EQ(lines.size(), 1u) << dump(lines);
  EXPECT_TRUE(some_line_has(lines, {"* ", "alice", "den"})) << dump(lines);

  alice.send_line("/topic new topic");
  alice.expect_ok("topic");
  lines = bob.sync_human();
  ASSERT_EQ(lines.size(), 1u) << dump(lines);
  EXPECT_TRUE(some_line_has(lines, {"* ", "alice", "new topic"})) << dump(lines);

  alice.send_line("hi");
  alice.expect_ok("say");
  EXPECT_EQ(bob.expect_line(), "[den] alice: hi");
  alice.send_line("/me smiles");
  alice.expect_ok("say");
  EXPECT_EQ(bob.expect_line(), "[den] * alice smiles");
  alice.send_line("/msg BOB secret");
  alice.expect_ok("msg");
  EXPECT_EQ(bob.expect_line(), "[pm] alice: secret");

  // Replayed history reads like the live messages.
  test_client carol = noticed_client(server, "carol");
  lines = command(carol, "/join den");
  EXPECT_TRUE(some_line_has(lines, {"[den]", "alice: hi"})) << dump(lines);
  EXPECT_TRUE(some_line_has(lines, {"[den]", "* alice smiles"})) << dump(lines);
  bob.sync_human();  // carol's joins
  alice.sync_json();

  alice.send_line("/nick alicia");  // two shared rooms, one notice
  alice.expect_ok("nick");
  lines = bob.sync_human();
  ASSERT_EQ(lines.size(), 1u) << dump(lines);
  EXPECT_TRUE(some_line_has(lines, {"* ", "alice", "alicia"})) << dump(lines);

  alice.send_line("/part den");
  alice.expect_ok("part");
  lines = bob.sync_human();
  ASSERT_EQ(lines.size(), 1u) << dump(lines);
  EXPECT_TRUE(some_line_has(lines, {"* ", "alicia", "den"})) << dump(lines);

  alice.send_line("/quit bye-now");
  alice.expect_json("bye");
  lines = bob.sync_human();
  ASSERT_EQ(lines.size(), 1u) << dump(lines);
  EXPECT_TRUE(some_line_has(lines, {"* ", "alicia", "bye-now"})) << dump(lines);
}

TEST(HumanFormat, ErrorsAreBangCodeColonText) {
  server_process server(std::string(fast_limits_yaml) +
                        "  max_rooms_per_client: 2\n  max_rooms: 3\n");  // more limits
  test_client alice(server.port(), "alice");
  read_human_welcome(alice);
  alice.send_line("/join den");
  expect_human_error(alice, "not-registered");
  alice.send_line("/nick 9lives");
  expect_human_error(alice, "nick-invalid");
  alice.send_line("alice");
  alice.sync_human();

  const std::pair<const char*, const char*> cases[] = {
      {"/join bad!", "room-invalid"},    {"/bogus", "unknown-command"},
      {"/format xml", "bad-argument"},   {"/msg", "bad-argument"},
      {"/msg nobody hi", "no-such-nick"}, {"/who ghost", "no-such-room"},
      {"/say den hi", "not-in-room"},    {"/part den", "not-in-room"},
  };
  for (const auto& [line, code] : cases) {
    SCOPED_TRACE(line);
    alice.send_line(line);
    expect_human_error(alice, code);
  }

  command(alice, "/join den");  // lobby + den: alice's limit
  alice.send_line("/join third");
  expect_human_error(alice, "too-many-rooms");

  test_client bob = noticed_client(server, "bob");
  command(bob, "/join cellar");  // lobby, den, cellar: the server's limit
  command(bob, "/part lobby");
  bob.send_line("/join attic");
  expect_human_error(bob, "server-rooms-full");

  command(bob, "/part");  // leaves the cellar, bob's last room
  bob.send_line("no room");
  expect_human_error(bob, "no-room");
  bob.send_line("/who");
  expect_human_error(bob, "not-in-room");
  bob.send_line("/topic");
  expect_human_error(bob, "no-room");
}
