// Recovery after a gap (issue 12): room epochs, rooms kept empty for rooms.keep_empty,
// "/join ROOM since SEQ [EPOCH]" and "/history [ROOM] [N]", against the real server.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "integration/chat_helpers.hpp"
#include "integration/metrics_helpers.hpp"
#include "integration/poll.hpp"

using namespace chatd::integration;
using namespace std::chrono_literals;

namespace {

using clock_type = std::chrono::steady_clock;

// Flood control off, plus `rooms` lines (each "  key: value\n") under rooms:. Without a
// rooms.default of its own the config has no automatic join, so a room holds exactly the
// clients a test puts there.
std::string config_with(const std::string& rooms_lines, bool no_default = true) {
  std::string yaml = std::string(fast_limits_yaml) + "rooms:\n";
  if (no_default) yaml += "  default: \"\"\n";
  return yaml + rooms_lines;
}

bool is_epoch(const json& value) {
  static const std::regex pattern("[A-Za-z0-9_-]{11}");
  return value.is_string() && std::regex_match(value.get<std::string>(), pattern);
}

// A valid epoch that is not `epoch`.
std::string other_epoch(std::string epoch) {
  epoch[0] = epoch[0] == 'A' ? 'B' : 'A';
  return epoch;
}

json join(test_client& client, const std::string& room) {
  client.send_line("/join " + room);
  json ok = client.expect_ok("join");
  EXPECT_EQ(ok.value("room", ""), room) << ok.dump();
  return ok;
}

// Says `text` in the current room; returns the seq of the say ok. Lines that come before the
// ok (presence events, say) are skipped and, if `others` is given, kept there.
std::uint64_t say(test_client& client, const std::string& text,
                  std::vector<json>* others = nullptr) {
  client.send_line(text);
  for (;;) {
    json j = client.read_json();
    if (j.value("type", "") == "ok" && j.value("cmd", "") == "say") {
      return j.at("seq").get<std::uint64_t>();
    }
    if (j.value("type", "") == "ok" || j.value("type", "") == "error") {
      throw protocol_failure(client.label() + ": expected the say ok, got " + j.dump());
    }
    if (others != nullptr) others->push_back(std::move(j));
  }
}

// Says "<prefix><i>" for i in first..last, in batches so a long run does not wait a round trip
// per line; checks the seqs are consecutive from `first_seq`.
void say_many(test_client& client, const std::string& prefix, int first, int last,
              std::uint64_t first_seq) {
  constexpr int batch = 25;
  std::uint64_t expected = first_seq;
  for (int start = first; start <= last; start += batch) {
    const int end = std::min(last, start + batch - 1);
    std::string lines;
    for (int i = start; i <= end; ++i) lines += prefix + std::to_string(i) + "\n";
    client.send_raw(lines);
    for (int i = start; i <= end; ++i) {
      const json ok = client.expect_ok("say");
      ASSERT_EQ(ok.at("seq").get<std::uint64_t>(), expected) << ok.dump();
      ++expected;
    }
  }
}

// The next `count` lines must be replayed messages of `room` with seqs first, first+1, ...;
// `text_of(seq)` is the text each must carry (empty: not checked).
template <typename TextOf>
void expect_replay(test_client& client, const std::string& room, std::uint64_t first,
                   std::uint64_t count, TextOf&& text_of) {
  for (std::uint64_t k = 0; k < count; ++k) {
    const json msg = client.expect_json("msg");
    ASSERT_EQ(msg.value("room", ""), room) << msg.dump();
    ASSERT_EQ(msg.at("seq").get<std::uint64_t>(), first + k) << msg.dump();
    ASSERT_EQ(msg.value("history", false), true) << msg.dump();
    const std::string text = text_of(first + k);
    if (!text.empty()) {
      ASSERT_EQ(msg.value("text", ""), text) << msg.dump();
    }
  }
}

void expect_replay(test_client& client, const std::string& room, std::uint64_t first,
                   std::uint64_t count, const std::string& prefix = "m") {
  expect_replay(client, room, first, count,
                [&](std::uint64_t seq) { return prefix + std::to_string(seq); });
}

// Checks the recovery fields of a since-join ok.
void expect_recovery(const json& ok, std::uint64_t since, std::uint64_t replay, bool complete,
                     std::uint64_t seq) {
  EXPECT_EQ(ok.value("since", std::uint64_t{999999}), since) << ok.dump();
  EXPECT_EQ(ok.value("replay", std::uint64_t{999999}), replay) << ok.dump();
  EXPECT_EQ(ok.value("complete", !complete), complete) << ok.dump();
  EXPECT_EQ(ok.value("seq", std::uint64_t{999999}), seq) << ok.dump();
  EXPECT_TRUE(is_epoch(ok["epoch"])) << ok.dump();
}

// The entry for `name` in a rooms reply, or null.
json find_room(const json& rooms_reply, std::string_view name) {
  for (const auto& r : rooms_reply.at("rooms")) {
    if (r.value("name", "") == name) return r;
  }
  return nullptr;
}

json rooms(test_client& client) {
  client.send_line("/rooms");
  return client.expect_json("rooms");
}

double recoveries(const server_process& server, bool complete) {
  return scrape(metrics_port(server))
      .value("chatd_recoveries_total", {{"complete", complete ? "true" : "false"}});
}

double kept_empty(const server_process& server) {
  return scrape(metrics_port(server)).value("chatd_rooms_kept_empty");
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

std::string dump(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += "\n  " + printable(line);
  return out;
}

}  // namespace

// 1. Every member sees the same epoch, and /history reports it too.
TEST(Recovery, EveryMemberGetsTheSameEpochAndHistoryReportsIt) {
  server_process server(config_with(""));
  test_client a = json_client(server, "a", "");
  test_client b = json_client(server, "b", "");
  test_client c = json_client(server, "c", "");
  const json ok_a = join(a, "dev");
  const json ok_b = join(b, "dev");
  const json ok_c = join(c, "dev");
  ASSERT_TRUE(is_epoch(ok_a["epoch"])) << ok_a.dump();
  EXPECT_EQ(ok_a["seq"], 0);
  EXPECT_EQ(ok_b["epoch"], ok_a["epoch"]);
  EXPECT_EQ(ok_c["epoch"], ok_a["epoch"]);
  EXPECT_EQ(member_set(ok_c), (std::set<std::string>{"a", "b", "c"}));

  EXPECT_EQ(say(a, "m1"), 1u);
  for (test_client* client : {&a, &b, &c}) {
    client->send_line("/history dev");
    // b and c may get presence events and the message first.
    json ok;
    for (;;) {
      ok = client->read_json();
      if (ok.value("type", "") == "ok") break;
    }
    EXPECT_EQ(ok.value("cmd", ""), "history") << ok.dump();
    EXPECT_EQ(ok["room"], "dev") << ok.dump();
    EXPECT_EQ(ok["epoch"], ok_a["epoch"]) << ok.dump();
    EXPECT_EQ(ok["seq"], 1) << ok.dump();
    EXPECT_EQ(ok["replay"], 1) << ok.dump();
    expect_replay(*client, "dev", 1, 1);
  }
}

// 2. A room emptied within keep_empty keeps its seq, epoch and history.
TEST(Recovery, RejoinWithinKeepEmptyContinuesSeqWithTheSameEpoch) {
  server_process server(config_with(""), metrics_listen_args());
  test_client a = json_client(server, "a", "");
  const json first = join(a, "dev");
  const std::string epoch = first.at("epoch");
  for (int i = 1; i <= 3; ++i) EXPECT_EQ(say(a, "m" + std::to_string(i)), std::uint64_t(i));
  a.send_line("/topic kept");
  a.expect_ok("topic");
  a.send_line("/part dev");
  a.expect_ok("part");

  const json listed = find_room(rooms(a), "dev");
  ASSERT_FALSE(listed.is_null()) << "an emptied room is kept and listed";
  EXPECT_EQ(listed["members"], 0) << listed.dump();
  EXPECT_EQ(kept_empty(server), 1);
  EXPECT_EQ(scrape(metrics_port(server)).value("chatd_rooms_active"), 1);

  test_client b = json_client(server, "b", "");
  const json again = join(b, "dev");
  EXPECT_EQ(again["seq"], 3) << again.dump();
  EXPECT_EQ(again["epoch"], epoch) << again.dump();
  EXPECT_EQ(again["topic"], "kept") << again.dump();
  EXPECT_EQ(member_set(again), (std::set<std::string>{"b"}));
  expect_replay(b, "dev", 1, 3);
  b.expect_quiet_json();
  EXPECT_EQ(say(b, "m4"), 4u);
  EXPECT_EQ(kept_empty(server), 0);
}

// 3. keep_empty 0: the room is gone at once and starts again with a new epoch.
TEST(Recovery, WithKeepEmptyZeroARecreatedRoomRestartsWithANewEpoch) {
  server_process server(config_with("  keep_empty: 0\n"));
  test_client a = json_client(server, "a", "");
  const json first = join(a, "dev");
  EXPECT_EQ(say(a, "m1"), 1u);
  EXPECT_EQ(say(a, "m2"), 2u);
  a.send_line("/part dev");
  a.expect_ok("part");
  EXPECT_TRUE(find_room(rooms(a), "dev").is_null());
  const json second = join(a, "dev");
  EXPECT_EQ(second["seq"], 0) << second.dump();
  ASSERT_TRUE(is_epoch(second["epoch"])) << second.dump();
  EXPECT_NE(second["epoch"], first["epoch"]);
  a.expect_quiet_json();  // no history from the old incarnation
  EXPECT_EQ(say(a, "fresh"), 1u);
}

// 4. A restarted server gives the same room name a new epoch; a since-join with the old epoch
// is not complete.
TEST(Recovery, AServerRestartGivesANewEpoch) {
  const std::string cfg = config_with("");
  std::string old_epoch;
  {
    server_process server(cfg);
    test_client a = json_client(server, "a", "");
    old_epoch = join(a, "dev").at("epoch");
    EXPECT_EQ(say(a, "m1"), 1u);
    EXPECT_EQ(say(a, "m2"), 2u);
    a.close();
    server.signal(SIGTERM);
    EXPECT_EQ(server.wait_exit(10s), std::optional<int>(0)) << server.log();
  }
  server_process server(cfg);
  test_client a = json_client(server, "a", "");
  a.send_line("/join dev since 2 " + old_epoch);
  const json ok = a.expect_ok("join");
  EXPECT_NE(ok["epoch"], old_epoch) << ok.dump();
  expect_recovery(ok, 2, 0, false, 0);
  a.expect_quiet_json();
}

// 5. Exactly (SEQ, S] is replayed; a since-join on a room already joined gives one ok and tells
// nobody.
TEST(Recovery, SinceReplaysExactlyTheMissedMessages) {
  server_process server(config_with("  presence_delay: 0\n"));
  test_client a = json_client(server, "a", "");
  test_client b = json_client(server, "b", "");
  const std::string epoch = join(a, "dev").at("epoch");
  join(b, "dev");
  a.expect_json("join");
  say_many(a, "m", 1, 10, 1);
  for (int i = 1; i <= 10; ++i) EXPECT_EQ(b.expect_json("msg")["seq"], i);
  a.expect_quiet_json();
  b.expect_quiet_json();

  // A newcomer: the ok (recovery fields last), then 7..10 and nothing more.
  test_client c = json_client(server, "c", "");
  c.send_line("/join dev since 6");
  const std::string line = c.expect_line();
  EXPECT_NE(line.find(R"(,"since":6,"replay":4,"complete":true})"), std::string::npos) << line;
  const json ok = json::parse(line);
  EXPECT_EQ(ok.value("cmd", ""), "join") << line;
  EXPECT_EQ(ok["epoch"], epoch) << line;
  EXPECT_EQ(member_set(ok), (std::set<std::string>{"a", "b", "c"}));
  expect_recovery(ok, 6, 4, true, 10);
  expect_replay(c, "dev", 7, 4);
  c.expect_quiet_json();
  for (test_client* peer : {&a, &b}) {
    const json ev = peer->expect_json("join");
    EXPECT_EQ(ev["nick"], "c") << ev.dump();
    peer->expect_quiet_json();
  }

  // Already a member: since S replays nothing, complete.
  c.send_line("/join dev since 10");
  expect_recovery(c.expect_ok("join"), 10, 0, true, 10);
  c.expect_quiet_json();
  // With the right epoch: the same as without.
  c.send_line("/join dev since 6 " + epoch);
  const json with_epoch = c.expect_ok("join");
  expect_recovery(with_epoch, 6, 4, true, 10);
  EXPECT_EQ(member_set(with_epoch), (std::set<std::string>{"a", "b", "c"}));
  expect_replay(c, "dev", 7, 4);
  c.expect_quiet_json();
  a.expect_quiet_json();
  b.expect_quiet_json();

  // The since-join made dev current again: a plain line is said there.
  join(c, "other");
  c.send_line("/join dev since 10");
  c.expect_ok("join");
  EXPECT_EQ(say(c, "eleven"), 11u);
  check_msg(a.expect_json("msg"), "dev", "c", "eleven");
}

// 6. complete:false when the ring lost some, the epoch is another, or SEQ is ahead; counted.
TEST(Recovery, IncompleteRecoveriesReplayWhatIsKeptAndAreCounted) {
  server_process server(config_with("  history: 5\n"), metrics_listen_args());
  test_client a = json_client(server, "a", "");
  const std::string epoch = join(a, "dev").at("epoch");
  say_many(a, "m", 1, 12, 1);

  test_client b = json_client(server, "b", "");
  b.send_line("/join dev since 2");  // 3..7 are gone
  expect_recovery(b.expect_ok("join"), 2, 5, false, 12);
  expect_replay(b, "dev", 8, 5);
  b.expect_quiet_json();

  b.send_line("/join dev since 7");  // 8..12 are all kept
  expect_recovery(b.expect_ok("join"), 7, 5, true, 12);
  expect_replay(b, "dev", 8, 5);

  b.send_line("/join dev since 12");
  expect_recovery(b.expect_ok("join"), 12, 0, true, 12);

  b.send_line("/join dev since 10 " + other_epoch(epoch));  // another incarnation: all kept
  expect_recovery(b.expect_ok("join"), 10, 5, false, 12);
  expect_replay(b, "dev", 8, 5);

  b.send_line("/join dev since 13");  // ahead of the room: it must have started again
  expect_recovery(b.expect_ok("join"), 13, 5, false, 12);
  expect_replay(b, "dev", 8, 5);
  b.expect_quiet_json();

  EXPECT_EQ(recoveries(server, true), 2);
  EXPECT_EQ(recoveries(server, false), 3);
}

// 7. /history: the default count, the cap, the room argument, a lone number, the errors.
TEST(Recovery, HistoryReplaysTheLatestKeptMessagesOfAJoinedRoom) {
  server_process server(config_with("  history: 8\n  history_replay: 3\n"));
  test_client a = json_client(server, "a", "");
  const std::string epoch = join(a, "dev").at("epoch");
  say_many(a, "m", 1, 10, 1);

  const auto history = [&](const std::string& line, const std::string& room,
                           std::uint64_t replay) {
    SCOPED_TRACE(line);
    a.send_line(line);
    const json ok = a.expect_ok("history");
    EXPECT_EQ(ok["room"], room) << ok.dump();
    EXPECT_EQ(ok["replay"], replay) << ok.dump();
    return ok;
  };
  json ok = history("/history", "dev", 3);  // rooms.history_replay
  EXPECT_EQ(ok["seq"], 10);
  EXPECT_EQ(ok["epoch"], epoch);
  expect_replay(a, "dev", 8, 3);
  history("/history 5", "dev", 5);  // a lone number is N
  expect_replay(a, "dev", 6, 5);
  history("/history dev 100000", "dev", 8);  // at most rooms.history
  expect_replay(a, "dev", 3, 8);
  history("/history #DEV 1", "dev", 1);
  expect_replay(a, "dev", 10, 1);
  a.expect_quiet_json();

  // Another joined room, named; and one with nothing kept.
  join(a, "quiet");
  ok = history("/history quiet", "quiet", 0);
  EXPECT_EQ(ok["seq"], 0);
  EXPECT_TRUE(is_epoch(ok["epoch"])) << ok.dump();
  history("/history dev 2", "dev", 2);
  expect_replay(a, "dev", 9, 2);
  a.expect_quiet_json();

  // Errors.
  test_client b = json_client(server, "b", "");
  join(b, "other");
  for (const char* line : {"/history other", "/history nosuchroom"}) {
    SCOPED_TRACE(line);
    a.send_line(line);
    a.expect_error("not-in-room");
  }
  for (const char* line : {"/history 0", "/history 100001", "/history dev x", "/history dev 0",
                           "/history dev 1 2"}) {
    SCOPED_TRACE(line);
    a.send_line(line);
    a.expect_error("bad-argument");
  }
  test_client c = json_client(server, "c", "");  // no rooms.default: in no room
  c.send_line("/history");
  c.expect_error("no-room");
  c.send_line("/history 3");
  c.expect_error("no-room");
  c.send_line("/history dev");
  c.expect_error("not-in-room");
  a.expect_quiet_json();
  c.expect_quiet_json();
}

// 8. The bot: it reads to seq k, loses its connection while 30 more are said, comes back,
// takes its nick again and recovers each of the 30 exactly once, then reads live from k+31.
TEST(Recovery, ABotThatReconnectsRecoversEveryMessageExactlyOnce) {
  server_process server{std::string(fast_limits_yaml)};  // rooms.default lobby
  test_client writer = json_client(server, "writer");
  std::optional<test_client> bot(json_client(server, "bot"));
  writer.expect_json("join");  // bot's
  std::uint64_t k = 0;
  for (int i = 1; i <= 5; ++i) {
    k = say(writer, "before " + std::to_string(i));
    const json msg = bot->expect_json("msg");
    check_msg(msg, "lobby", "writer", "before " + std::to_string(i));
    ASSERT_EQ(msg["seq"], k);
  }
  bot->close();
  bot.reset();

  std::vector<json> seen;  // the bot's quit, whenever it comes
  for (int i = 1; i <= 30; ++i) {
    ASSERT_EQ(say(writer, "gap " + std::to_string(i), &seen), k + std::uint64_t(i));
  }
  // The old nick is free once the server has seen the close: wait for its quit.
  const auto saw_quit = [&] {
    for (const json& j : seen)
      if (j.value("type", "") == "quit" && j.value("nick", "") == "bot") return true;
    return false;
  };
  ASSERT_TRUE(wait_until(
      [&] {
        if (saw_quit()) return true;
        for (json& j : writer.sync_json()) seen.push_back(std::move(j));
        return saw_quit();
      },
      5s, "the writer to see the bot's quit", 0ms));

  test_client again(server.port(), "bot");
  const auto auto_join = again.register_json("bot");  // lobby again, its usual replay
  for (const json& j : auto_join) EXPECT_EQ(j.value("history", false), true) << j.dump();
  writer.expect_json("join");

  again.send_line("/join lobby since " + std::to_string(k));
  expect_recovery(again.expect_ok("join"), k, 30, true, k + 30);
  expect_replay(again, "lobby", k + 1, 30,
                [&](std::uint64_t seq) { return "gap " + std::to_string(seq - k); });
  again.expect_quiet_json();

  ASSERT_EQ(say(writer, "live"), k + 31);
  const json live = again.expect_json("msg");
  check_msg(live, "lobby", "writer", "live");
  EXPECT_EQ(live["seq"], k + 31);
  again.expect_quiet_json();
}

// 9. keep_empty 1s: listed with 0 members at first, gone by the sweep after 1 s, and not
// before; joined again it starts over with a new epoch.
TEST(Recovery, KeptEmptyRoomsExpireAfterKeepEmpty) {
  server_process server(config_with("  keep_empty: 1s\n"), metrics_listen_args());
  test_client a = json_client(server, "a", "");
  const json first = join(a, "tmp");
  EXPECT_EQ(say(a, "m1"), 1u);

  const auto parted = clock_type::now();  // before the server empties the room
  a.send_line("/part tmp");
  a.expect_ok("part");
  const json listed = find_room(rooms(a), "tmp");
  if (clock_type::now() - parted < 1s) {  // the server answered within keep_empty
    ASSERT_FALSE(listed.is_null()) << "a room emptied less than 1 s ago is kept";
    EXPECT_EQ(listed["members"], 0) << listed.dump();
  }
  EXPECT_TRUE(wait_until([&] { return find_room(rooms(a), "tmp").is_null(); }, 3s,
                         "the kept room to expire"));
  // The /rooms that no longer listed it was answered at least keep_empty after the part.
  EXPECT_GE(clock_type::now() - parted, 1s);
  EXPECT_EQ(kept_empty(server), 0);

  const json second = join(a, "tmp");
  EXPECT_EQ(second["seq"], 0) << second.dump();
  EXPECT_NE(second["epoch"], first["epoch"]);
  a.expect_quiet_json();
}

// 9b. A reload to keep_empty 0 removes the kept rooms at the next sweep.
TEST(Recovery, AReloadToKeepEmptyZeroRemovesKeptRooms) {
  server_process server(config_with("  keep_empty: 10m\n"), metrics_listen_args());
  test_client a = json_client(server, "a", "");
  join(a, "one");
  join(a, "two");
  a.send_line("/part one");
  a.expect_ok("part");
  a.send_line("/part two");
  a.expect_ok("part");
  EXPECT_EQ(kept_empty(server), 2);

  server.rewrite_config(config_with("  keep_empty: 0\n"));
  server.signal(SIGHUP);
  ASSERT_TRUE(server.wait_for_log("configuration reloaded: ")) << server.log();
  EXPECT_NE(server.log().find("rooms.keep_empty"), std::string::npos) << server.log();
  EXPECT_TRUE(wait_until([&] { return kept_empty(server) == 0; }, 3s,
                         "the kept rooms to be removed"));
  const json listing = rooms(a);
  EXPECT_TRUE(find_room(listing, "one").is_null()) << listing.dump();
  EXPECT_TRUE(find_room(listing, "two").is_null()) << listing.dump();

  join(a, "three");  // now removed at once
  a.send_line("/part three");
  a.expect_ok("part");
  EXPECT_TRUE(find_room(rooms(a), "three").is_null());
}

// 10. Kept rooms count toward limits.max_rooms.
TEST(Recovery, KeptRoomsCountTowardMaxRooms) {
  server_process server(std::string(fast_limits_yaml) + "  max_rooms: 2\n");
  test_client a = json_client(server, "a");  // lobby
  const json first = join(a, "a");
  EXPECT_EQ(say(a, "m1"), 1u);
  a.send_line("/part a");
  a.expect_ok("part");
  a.send_line("/join b");
  const json error = a.expect_error("server-rooms-full");
  EXPECT_NE(error.value("message", "").find("kept"), std::string::npos) << error.dump();
  const json again = join(a, "a");
  EXPECT_EQ(again["seq"], 1);
  EXPECT_EQ(again["epoch"], first["epoch"]);
  expect_replay(a, "a", 1, 1);
  a.expect_quiet_json();
}

// 11. A replay takes at most half of max_outbound_bytes: the client is told it is not complete
// and asks again from the last seq it got, until it has everything exactly once.
TEST(Recovery, ALongReplayStopsEarlyAndContinuesWithoutASlowConsumer) {
  server_process server(
      "limits:\n  rate: 100000\n  burst: 100000\n  max_outbound_bytes: 4KiB\n"
      "rooms:\n  default: \"\"\n  history: 1000\n",
      metrics_listen_args());
  test_client a = json_client(server, "a", "");
  join(a, "big");
  const auto text_of = [](std::uint64_t seq) {
    std::string text = "m" + std::to_string(seq) + "-";
    text.resize(60, 'x');
    return text;
  };
  for (std::uint64_t seq = 1; seq <= 200; seq += 25) {
    std::string lines;
    for (std::uint64_t s = seq; s < seq + 25; ++s) lines += text_of(s) + "\n";
    a.send_raw(lines);
    for (std::uint64_t s = seq; s < seq + 25; ++s) ASSERT_EQ(a.expect_ok("say")["seq"], s);
  }

  test_client b = json_client(server, "b", "");
  std::uint64_t last = 0;
  std::set<std::uint64_t> got;
  bool complete = false;
  int rounds = 0;
  while (!complete) {
    ASSERT_LT(++rounds, 200) << "no progress";
    b.send_line("/join big since " + std::to_string(last));
    const json ok = b.expect_ok("join");
    const std::uint64_t replay = ok.at("replay").get<std::uint64_t>();
    complete = ok.at("complete").get<bool>();
    EXPECT_EQ(ok["since"], last) << ok.dump();
    EXPECT_EQ(ok["seq"], 200) << ok.dump();
    if (rounds == 1) {
      EXPECT_LT(replay, 200u) << "4KiB cannot hold 200 replayed lines";
      EXPECT_FALSE(complete) << ok.dump();
    }
    ASSERT_GT(replay, 0u) << ok.dump();
    expect_replay(b, "big", last + 1, replay, text_of);
    for (std::uint64_t s = last + 1; s <= last + replay; ++s) got.insert(s);
    last += replay;
    EXPECT_EQ(complete, last == 200) << ok.dump();
  }
  EXPECT_EQ(got.size(), 200u);
  EXPECT_GT(rounds, 2);
  b.expect_quiet_json();

  // /history keeps the latest that fit.
  b.send_line("/history big 1000");
  const json ok = b.expect_ok("history");
  const std::uint64_t replay = ok.at("replay").get<std::uint64_t>();
  EXPECT_LT(replay, 200u) << ok.dump();
  ASSERT_GT(replay, 0u) << ok.dump();
  expect_replay(b, "big", 201 - replay, replay, text_of);
  b.expect_quiet_json();

  // Human: the line that says where to go on.
  test_client h = human_client(server, "h");
  h.send_line("/join big since 57");
  const auto lines = h.sync_human();
  ASSERT_GE(lines.size(), 3u) << dump(lines);
  EXPECT_TRUE(starts_with(lines.front(), "* You joined [big]")) << dump(lines);
  static const std::regex partial(
      R"(\* \[big\]: ([0-9]+) replayed from #58 to #([0-9]+) of #200 \(since #57\); )"
      R"(/join big since ([0-9]+) for the rest\.)");
  std::smatch m;
  ASSERT_TRUE(std::regex_match(lines.back(), m, partial)) << dump(lines);
  const std::uint64_t n = std::stoull(m[1].str());
  EXPECT_EQ(std::stoull(m[2].str()), 57 + n);
  EXPECT_EQ(m[3].str(), m[2].str());
  EXPECT_EQ(lines.size(), n + 2) << dump(lines);
  EXPECT_TRUE(starts_with(lines[1], "[big] ")) << dump(lines);

  const metrics_text scraped = scrape(metrics_port(server));
  EXPECT_EQ(scraped.value("chatd_disconnects_total", {{"reason", "slow-consumer"}}), 0);
  // One complete since-join; the others (b's partial ones and h's) were not.
  EXPECT_EQ(scraped.value("chatd_recoveries_total", {{"complete", "true"}}), 1);
  EXPECT_EQ(scraped.value("chatd_recoveries_total", {{"complete", "false"}}), rounds);
  b.sync_json();  // still connected
  EXPECT_TRUE(no_connections_after_closing(server, {&a, &b, &h}));
}

// 12. Human format: the replayed lines, then the "* " line that says how it went.
TEST(Recovery, HumanFormatEndsTheReplayWithARecoveryLine) {
  server_process server(config_with("  history: 5\n"));
  test_client a = json_client(server, "a", "");
  join(a, "dev");
  say_many(a, "m", 1, 12, 1);

  test_client h = human_client(server, "h");
  const auto command = [&](const std::string& line) {
    h.send_line(line);
    return h.sync_human();
  };
  auto lines = command("/join dev since 9");
  ASSERT_EQ(lines.size(), 5u) << dump(lines);
  EXPECT_EQ(lines[0], "* You joined [dev] (2 members: a, h).") << dump(lines);
  static const std::regex replayed(R"(\[dev\] [0-9]{2}:[0-9]{2} a: m([0-9]+))");
  for (int i = 0; i < 3; ++i) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(lines[1 + i], m, replayed)) << dump(lines);
    EXPECT_EQ(m[1].str(), std::to_string(10 + i));
  }
  EXPECT_EQ(lines[4], "* Recovered [dev]: 3 messages since #9.");

  lines = command("/join dev since 2");
  ASSERT_EQ(lines.size(), 7u) << dump(lines);
  EXPECT_TRUE(std::regex_match(lines[1], replayed)) << dump(lines);
  EXPECT_EQ(lines.back(), "* [dev]: not everything since #2 is kept; 5 replayed from #8.");

  lines = command("/join dev since 12");
  ASSERT_EQ(lines.size(), 2u) << dump(lines);
  EXPECT_EQ(lines.back(), "* Recovered [dev]: nothing new since #12.");

  lines = command("/join dev since 11");
  ASSERT_EQ(lines.size(), 3u) << dump(lines);
  EXPECT_EQ(lines.back(), "* Recovered [dev]: 1 message since #11.");

  lines = command("/join dev since 40");
  ASSERT_EQ(lines.size(), 7u) << dump(lines);
  EXPECT_EQ(lines.back(),
            "* [dev] has started again since #40 (it is at #12 now); 5 replayed from #8.");

  lines = command("/history dev 2");
  ASSERT_EQ(lines.size(), 3u) << dump(lines);
  EXPECT_EQ(lines[0], "* History of [dev]: 2 messages, #11 to #12.");
  EXPECT_TRUE(std::regex_match(lines[2], replayed)) << dump(lines);
}

// 13. A malformed since is bad-argument, joins nothing, and the connection goes on.
TEST(Recovery, MalformedSinceIsBadArgument) {
  server_process server(config_with(""));
  test_client a = json_client(server, "a", "");
  for (const std::string& line :
       {std::string("/join dev since"), std::string("/join dev since x"),
        std::string("/join dev since -1"), std::string("/join dev since 1 bad.epoch"),
        std::string("/join dev since 1 abc extra"), "/join dev since 1 " + std::string(33, 'e')}) {
    SCOPED_TRACE(line);
    a.send_line(line);
    a.expect_error("bad-argument");
  }
  a.send_line("/history dev");
  a.expect_error("not-in-room");  // none of them joined
  EXPECT_TRUE(find_room(rooms(a), "dev").is_null());

  a.send_line("/join dev SINCE 0 " + std::string(32, 'e'));  // 32 characters: valid
  expect_recovery(a.expect_ok("join"), 0, 0, false, 0);
  a.send_line("/join dev since 0");
  expect_recovery(a.expect_ok("join"), 0, 0, true, 0);
  EXPECT_EQ(say(a, "works"), 1u);
  a.expect_quiet_json();
}

// A message whose replayed line is longer than the replay budget (half of max_outbound_bytes:
// 2 KiB here, and a 2500-byte text is within max_line_bytes) goes out on its own: a replay
// always carries at least one message, so asking again always gets further.
TEST(Recovery, AMessageLongerThanTheReplayBudgetDoesNotStallRecovery) {
  server_process server(
      "limits:\n  rate: 100000\n  burst: 100000\n  max_outbound_bytes: 4KiB\n"
      "rooms:\n  default: \"\"\n");
  test_client a = json_client(server, "a", "");
  join(a, "dev");
  EXPECT_EQ(say(a, "m1"), 1u);
  EXPECT_EQ(say(a, std::string(2500, 'y')), 2u);  // within max_line_bytes: said and delivered
  EXPECT_EQ(say(a, "m3"), 3u);

  // A client that follows the protocol gets past seq 2 within a few asks.
  test_client b = json_client(server, "b", "");
  std::uint64_t since = 1;
  bool complete = false;
  for (int ask = 0; ask < 3 && !complete; ++ask) {
    b.send_line("/join dev since " + std::to_string(since));
    const json ok = b.expect_ok("join");
    const std::uint64_t replay = ok.at("replay").get<std::uint64_t>();
    complete = ok.at("complete").get<bool>();
    for (std::uint64_t k = 0; k < replay; ++k) since = b.expect_json("msg").at("seq");
  }
  EXPECT_EQ(since, 3u) << "seq 3 is kept but a since-join never reaches it";

  // The human hint never points back before the SEQ asked for.
  test_client h = human_client(server, "h");
  h.send_line("/join dev since 1");
  const auto lines = h.sync_human();
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back().find("/join dev since 0 "), std::string::npos) << dump(lines);
}

// The replay of an ordinary join is bounded the same way: with rooms.history_replay far past
// what half of max_outbound_bytes holds, a joiner gets the latest that fit, in order up to the
// room's seq, and is no slow consumer.
TEST(Recovery, AJoinsHistoryReplayKeepsTheLatestThatFit) {
  server_process server(
      "limits:\n  rate: 100000\n  burst: 100000\n  max_outbound_bytes: 4KiB\n"
      "rooms:\n  default: \"\"\n  history: 1000\n  history_replay: 1000\n");
  test_client a = json_client(server, "a", "");
  join(a, "big");
  // In steps of 25: 200 say oks queued in one turn would be more than 4 KiB for the sender.
  for (int from = 1; from <= 200; from += 25) {
    for (int i = from; i < from + 25; ++i)
      a.send_line("m" + std::to_string(i) + "-" + std::string(56, 'x'));
    for (int i = from; i < from + 25; ++i) EXPECT_EQ(a.expect_ok("say")["seq"], i);
  }

  test_client b = json_client(server, "b", "");
  b.send_line("/join big");
  EXPECT_EQ(b.expect_ok("join")["seq"], 200);
  const std::vector<json> replayed = b.sync_json();
  ASSERT_FALSE(replayed.empty());
  EXPECT_LT(replayed.size(), 200u) << "4 KiB cannot hold 200 lines of ~150 bytes";
  std::uint64_t expected = 200 - replayed.size() + 1;
  for (const json& m : replayed) {
    EXPECT_EQ(m.at("type"), "msg");
    EXPECT_EQ(m.at("history"), true);
    EXPECT_EQ(m.at("seq"), expected++);
  }
  b.send_line("/ping still-here");
  EXPECT_EQ(b.expect_json("pong")["token"], "still-here");
}
