// encode(…, json) against nlohmann::ordered_json: the encoder writes JSON by hand, and must give
// byte for byte what dumping the documented object with nlohmann's "replace" error handler gives
// (same key order, same escaping, same numbers, same U+FFFD for invalid UTF-8), for every event
// and for strings that need every kind of care.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "protocol/error_code.hpp"
#include "protocol/format.hpp"
#include "protocol/utf8.hpp"

namespace chatd::protocol {
namespace {

using ordered_json = nlohmann::ordered_json;

const std::vector<std::string> help_usages{
    "/nick NAME",     "/join ROOM [since SEQ [EPOCH]]", "/part [ROOM]",  "/history [ROOM] [N]",
    "/say ROOM TEXT", "/me TEXT",       "/msg NICK TEXT", "/topic [TEXT]",
    "/rooms [PATTERN] [LIMIT]",         "/who [ROOM] [LIMIT]",  "/format human|json",
    "/ping [TOKEN]",  "/help",          "/quit [REASON]"};

// The objects exactly as docs/protocol.md §9 lists them, built and dumped by nlohmann.
struct reference_encoder {
  static ordered_json object(std::string_view type) {
    ordered_json j = ordered_json::object();
    j["type"] = std::string(type);
    return j;
  }
  static ordered_json ok(std::string_view cmd) {
    ordered_json j = object("ok");
    j["cmd"] = std::string(cmd);
    return j;
  }
  static std::string line(const ordered_json& j) {
    return j.dump(-1, ' ', false, ordered_json::error_handler_t::replace) + "\r\n";
  }
  static std::string s(std::string_view v) { return std::string(v); }

  std::string operator()(const welcome_event& e) const {
    ordered_json j = object("welcome");
    j["server"] = "chatd";
    j["version"] = s(e.version);
    return line(j);
  }
  std::string operator()(const ok_event& e) const { return line(ok(e.cmd)); }
  std::string operator()(const ok_join_event& e) const {
    ordered_json j = ok("join");
    j["room"] = s(e.room);
    j["members"] = e.presence ? *e.members : std::vector<std::string>{};
    j["topic"] = s(e.topic);
    j["seq"] = e.seq;
    j["epoch"] = s(e.epoch);
    j["presence"] = e.presence;
    if (!e.presence) j["total"] = e.total;
    if (e.recovery != nullptr) {
      j["since"] = e.recovery->since;
      j["replay"] = e.recovery->replay;
      j["complete"] = e.recovery->complete();
    }
    return line(j);
  }
  std::string operator()(const ok_history_event& e) const {
    ordered_json j = ok("history");
    j["room"] = s(e.room);
    j["seq"] = e.seq;
    j["epoch"] = s(e.epoch);
    j["replay"] = e.replay;
    return line(j);
  }
  std::string operator()(const recovered_event&) const { return {}; }
  std::string operator()(const ok_say_event& e) const {
    ordered_json j = ok("say");
    j["room"] = s(e.room);
    j["seq"] = e.seq;
    return line(j);
  }
  std::string operator()(const ok_msg_event& e) const {
    ordered_json j = ok("msg");
    j["to"] = s(e.to);
    return line(j);
  }
  std::string operator()(const ok_nick_event& e) const {
    ordered_json j = ok("nick");
    j["nick"] = s(e.nick);
    return line(j);
  }
  std::string operator()(const ok_part_event& e) const {
    ordered_json j = ok("part");
    j["room"] = s(e.room);
    return line(j);
  }
  std::string operator()(const ok_topic_event& e) const {
    ordered_json j = ok("topic");
    j["room"] = s(e.room);
    j["topic"] = s(e.topic);
    return line(j);
  }
  std::string operator()(const ok_format_event& e) const {
    ordered_json j = ok("format");
    j["format"] = e.format == output_format::json ? "json" : "human";
    return line(j);
  }
  std::string operator()(const ok_help_event&) const {
    ordered_json j = ok("help");
    j["commands"] = help_usages;
    return line(j);
  }
  std::string operator()(const msg_event& e) const {
    ordered_json j = object("msg");
    j["room"] = s(e.room);
    j["from"] = s(e.from);
    j["text"] = s(e.text);
    j["seq"] = e.seq;
    j["ts"] = format_iso8601(e.ts);
    j["action"] = e.action;
    if (e.history) j["history"] = true;
    return line(j);
  }
  std::string operator()(const pm_event& e) const {
    ordered_json j = object("pm");
    j["from"] = s(e.from);
    j["to"] = s(e.to);
    j["text"] = s(e.text);
    j["ts"] = format_iso8601(e.ts);
    return line(j);
  }
  std::string operator()(const join_event& e) const {
    ordered_json j = object("join");
    j["room"] = s(e.room);
    j["nick"] = s(e.nick);
    return line(j);
  }
  std::string operator()(const part_event& e) const {
    ordered_json j = object("part");
    j["room"] = s(e.room);
    j["nick"] = s(e.nick);
    return line(j);
  }
  std::string operator()(const quit_event& e) const {
    ordered_json j = object("quit");
    j["nick"] = s(e.nick);
    j["reason"] = s(e.reason);
    return line(j);
  }
  std::string operator()(const nick_event& e) const {
    ordered_json j = object("nick");
    j["old"] = s(e.old_nick);
    j["new"] = s(e.new_nick);
    return line(j);
  }
  std::string operator()(const topic_event& e) const {
    ordered_json j = object("topic");
    j["room"] = s(e.room);
    j["nick"] = s(e.nick);
    j["topic"] = s(e.topic);
    return line(j);
  }
  std::string operator()(const rooms_reply& e) const {
    ordered_json j = object("rooms");
    ordered_json& rooms = j["rooms"] = ordered_json::array();
    for (const room_info& r : *e.rooms) {
      ordered_json room = ordered_json::object();
      room["name"] = r.name;
      room["members"] = r.members;
      room["topic"] = r.topic;
      rooms.push_back(std::move(room));
    }
    j["total"] = e.total;
    return line(j);
  }
  std::string operator()(const who_reply& e) const {
    ordered_json j = object("who");
    j["room"] = s(e.room);
    j["members"] = *e.members;
    j["total"] = e.total;
    return line(j);
  }
  std::string operator()(const pong_reply& e) const {
    ordered_json j = object("pong");
    j["token"] = s(e.token);
    return line(j);
  }
  std::string operator()(const error_event& e) const {
    ordered_json j = object("error");
    j["code"] = s(to_string(e.code));
    j["message"] = s(e.message);
    return line(j);
  }
  std::string operator()(const bye_event& e) const {
    ordered_json j = object("bye");
    j["reason"] = s(e.reason);
    return line(j);
  }
  std::string operator()(const notice_event& e) const {
    ordered_json j = object("notice");
    j["code"] = s(e.code);
    j["text"] = s(e.text);
    return line(j);
  }
};

std::string reference(const event& ev) { return std::visit(reference_encoder{}, ev); }

// Shows where two lines part ways; gtest's diff of long byte strings is hard to read.
std::string first_difference(const std::string& got, const std::string& want) {
  std::size_t i = 0;
  while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
  auto hex = [](std::string_view s) {
    std::string out;
    for (unsigned char c : s) {
      constexpr char digits[] = "0123456789abcdef";
      out += digits[c >> 4];
      out += digits[c & 15];
      out += ' ';
    }
    return out;
  };
  return "first difference at byte " + std::to_string(i) + "\n got: " +
         hex(std::string_view(got).substr(i, 16)) + "\nwant: " +
         hex(std::string_view(want).substr(i, 16));
}

// Every event type, with `a` and `b` in each string field, and `n` wherever a number goes.
std::vector<std::string> encode_all_both_ways(std::string_view a, std::string_view b, std::uint64_t n,
                                              timestamp_ms ts, std::vector<std::string>& mismatches) {
  const std::vector<std::string> members{std::string(a), std::string(b), "carol"};
  const std::vector<std::string> no_members{};
  const std::vector<room_info> rooms{{std::string(a), static_cast<std::size_t>(n), std::string(b)},
                                     {std::string(b), 0, ""}};
  const std::vector<room_info> no_rooms{};
  const error_code code = all_error_codes[n % std::size(all_error_codes)];
  const recovery_info complete{n, static_cast<std::size_t>(n), recovery_outcome::complete, 1, n};
  const recovery_info partial{n / 2, 0, recovery_outcome::partial};
  const event events[] = {
      welcome_event{a},
      ok_event{a},
      ok_join_event{a, &members, b, n, true, n, 0, b},
      ok_join_event{b, &no_members, "", 0, false, n, 0, a},
      ok_join_event{b, &members, a, n, false, n, n, a},
      ok_join_event{a, &members, b, n, true, n, 0, a, &complete},
      ok_join_event{b, &members, a, n, false, n, n, b, &partial},
      ok_history_event{a, n, b, static_cast<std::size_t>(n), 1, n},
      ok_history_event{b, 0, a, 0},
      recovered_event{a, n, complete},
      ok_say_event{a, n},
      ok_msg_event{a},
      ok_nick_event{a},
      ok_part_event{a},
      ok_topic_event{a, b, true},
      ok_topic_event{b, a, false},
      ok_format_event{output_format::json},
      ok_format_event{output_format::human},
      ok_help_event{},
      msg_event{a, b, a, n, ts, false, false},
      msg_event{b, a, b, n, ts, true, false},
      msg_event{a, a, b, n, ts, false, true},
      msg_event{b, b, a, n, ts, true, true},
      pm_event{a, b, a, ts},
      join_event{a, b},
      part_event{b, a},
      quit_event{a, b},
      nick_event{b, a},
      topic_event{a, b, a},
      rooms_reply{&rooms, rooms.size(), a},
      rooms_reply{&rooms, n, b},
      rooms_reply{&no_rooms, 0, a},
      who_reply{a, &members, members.size()},
      who_reply{b, &members, n},
      who_reply{b, &no_members, 0},
      pong_reply{a},
      error_event{code, b},
      bye_event{a},
      notice_event{a, b},
  };
  std::vector<std::string> lines;
  for (const event& ev : events) {
    std::string got = encode(ev, output_format::json);
    const std::string want = reference(ev);
    if (got != want) {
      mismatches.push_back("event #" + std::to_string(ev.index()) + ": " +
                           first_difference(got, want));
    }
    // encode_into appends the same bytes, in either format, to what the buffer holds.
    for (const output_format fmt : {output_format::json, output_format::human}) {
      std::string into = "before\r\n";
      encode_into(into, ev, fmt);
      const std::string expected = "before\r\n" + encode(ev, fmt);
      if (into != expected) {
        mismatches.push_back("encode_into, event #" + std::to_string(ev.index()) + " in " +
                             std::string(to_string(fmt)) + ": " + first_difference(into, expected));
      }
    }
    lines.push_back(std::move(got));
  }
  return lines;
}

void expect_same(std::string_view a, std::string_view b, std::uint64_t n = 7,
                 timestamp_ms ts = 1'795'312'595'123) {
  std::vector<std::string> mismatches;
  encode_all_both_ways(a, b, n, ts, mismatches);
  for (const std::string& m : mismatches) ADD_FAILURE() << m;
}

std::string byte_string(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

TEST(EncodeJsonEquivalence, CoversEveryEventType) {
  std::vector<std::string> mismatches;
  const auto lines = encode_all_both_ways("a", "b", 1, 0, mismatches);
  EXPECT_TRUE(mismatches.empty());
  EXPECT_GE(lines.size(), std::variant_size_v<event>);
}

TEST(EncodeJsonEquivalence, PlainAndEmptyStrings) {
  expect_same("", "");
  expect_same("lobby", "");
  expect_same("", "hello world");
  expect_same("alice", "hello, this is a normal line of chat text of about sixty-four b");
}

TEST(EncodeJsonEquivalence, EveryAsciiByteAloneAndInText) {
  for (int c = 0; c < 0x80; ++c) {
    const std::string one(1, static_cast<char>(c));
    SCOPED_TRACE(c);
    expect_same(one, "x" + one + "y" + one + one);
  }
}

TEST(EncodeJsonEquivalence, QuotesBackslashesAndControls) {
  std::string all_controls;
  for (int c = 0; c < 0x20; ++c) all_controls.push_back(static_cast<char>(c));
  all_controls.push_back('\x7f');
  expect_same(all_controls, "\"\\\"\\\\\"");
  expect_same("say \"hi\" \\o/ \x01\t\x1f", "\b\f\n\r\t/");
  expect_same(std::string("\0\0", 2), std::string("a\0b", 3));
  expect_same("\\u0041", "\"}{\"type\":\"x\"");
}

TEST(EncodeJsonEquivalence, MultibyteUtf8PassesThrough) {
  expect_same("caf\xC3\xA9", "\xF0\x9F\x98\x80 \xE2\x80\xA8 \xE2\x80\xA9");
  expect_same("\xC2\x80\xC2\x9F\xC2\xA0", "\xEF\xBF\xBD\xEF\xBF\xBF\xF4\x8F\xBF\xBF");
  expect_same("\xED\x9F\xBF\xEE\x80\x80", "\xE0\xA0\x80\xF0\x90\x80\x80");
  expect_same("\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D", "\xE4\xBD\xA0\xE5\xA5\xBD");
}

TEST(EncodeJsonEquivalence, InvalidUtf8IsReplacedTheSameWay) {
  const std::string cases[] = {
      byte_string({0x80}),
      byte_string({0xBF}),
      byte_string({0xC0, 0xAF}),
      byte_string({0xC1, 0xBF}),
      byte_string({0xC3}),
      byte_string({'a', 0xC3, 'b', 0xFF}),
      byte_string({0xE0, 0x80, 0x80}),
      byte_string({0xE0, 0xA0}),
      byte_string({0xE0, 0xA0, 'x'}),
      byte_string({0xED, 0xA0, 0x80}),
      byte_string({0xED, 0xBF, 0xBF}),
      byte_string({0xF0, 0x80, 0x80, 0x80}),
      byte_string({0xF0, 0x90, 0x80}),
      byte_string({0xF0, 0x90, 0x80, '"'}),
      byte_string({0xF4, 0x90, 0x80, 0x80}),
      byte_string({0xF5, 0x80, 0x80, 0x80}),
      byte_string({0xF8, 0x88, 0x80, 0x80, 0x80}),
      byte_string({0xFE, 0xFF}),
      byte_string({0xC3, 0xC3, 0xA9}),
      byte_string({0xE2, 0x82, 0xE2, 0x82, 0xAC}),
      byte_string({0xE9, 't', 0xC3, 0xA9, ' ', 0xC0, 0xAF, ' ', 0xED, 0xA0, 0x80}),
      byte_string({0xC3, 0x00}),
      byte_string({0xE2, 0x82, '\\'}),
      byte_string({0xF0, 0x9F, 0x98}),
  };
  for (const std::string& s : cases) {
    SCOPED_TRACE(first_difference(s, ""));
    expect_same(s, "ok " + s + " " + s);
  }
}

TEST(EncodeJsonEquivalence, LongStrings) {
  std::string long_ascii(5000, 'a');
  std::string long_mixed;
  for (int i = 0; i < 700; ++i) long_mixed += "x\"\x01\xC3\xA9\\\xF0\x9F\x98\x80\t";
  expect_same(long_ascii, long_mixed);
  expect_same(std::string(20'000, '"'), std::string(5'000, '\x1f'));
}

TEST(EncodeJsonEquivalence, NumbersAtTheEnds) {
  for (std::uint64_t n : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{9}, std::uint64_t{10},
                          std::uint64_t{99}, std::uint64_t{100}, std::uint64_t{4294967295},
                          std::uint64_t{4294967296}, std::uint64_t{9223372036854775807},
                          std::uint64_t{9223372036854775808u},
                          std::numeric_limits<std::uint64_t>::max() - 1,
                          std::numeric_limits<std::uint64_t>::max()}) {
    SCOPED_TRACE(n);
    expect_same("lobby", "bob", n);
  }
  for (timestamp_ms ts : {timestamp_ms{0}, timestamp_ms{-1}, timestamp_ms{253'402'300'799'999},
                          std::numeric_limits<timestamp_ms>::min(),
                          std::numeric_limits<timestamp_ms>::max()}) {
    SCOPED_TRACE(ts);
    expect_same("lobby", "bob", 1, ts);
  }
}

// Random strings biased toward the bytes that matter: ASCII specials, controls, continuation
// bytes and lead bytes, so invalid and truncated sequences are common.
TEST(EncodeJsonEquivalence, RandomByteStrings) {
  std::mt19937 rng(20261122);
  const int interesting[] = {0x00, 0x01, 0x08, 0x09, 0x0a, 0x0c, 0x0d, 0x1b, 0x1f, '"', '\\', '/',
                             'a', ' ', 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2,
                             0xc3, 0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3,
                             0xf4, 0xf5, 0xf8, 0xfe, 0xff};
  std::uniform_int_distribution<int> length(0, 24);
  std::uniform_int_distribution<int> pick(0, static_cast<int>(std::size(interesting)) - 1);
  std::uniform_int_distribution<int> any_byte(0, 255);
  std::uniform_int_distribution<int> coin(0, 3);
  for (int round = 0; round < 2000; ++round) {
    std::string a, b;
    for (std::string* s : {&a, &b}) {
      const int n = length(rng);
      for (int i = 0; i < n; ++i) {
        s->push_back(static_cast<char>(coin(rng) == 0 ? any_byte(rng) : interesting[pick(rng)]));
      }
    }
    SCOPED_TRACE(first_difference(a, "") + " / " + first_difference(b, ""));
    expect_same(a, b, static_cast<std::uint64_t>(round) * 2654435761u);
    if (HasFailure()) return;
  }
}

TEST(EncodeJsonEquivalence, RandomValidUtf8) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<std::uint32_t> plane(0, 4);
  std::uniform_int_distribution<std::uint32_t> in_bmp(0, 0xFFFF);
  std::uniform_int_distribution<std::uint32_t> astral(0x10000, 0x10FFFF);
  std::uniform_int_distribution<std::uint32_t> low(0, 0xFF);
  std::uniform_int_distribution<int> length(0, 40);
  for (int round = 0; round < 2000; ++round) {
    std::string a, b;
    for (std::string* s : {&a, &b}) {
      const int n = length(rng);
      for (int i = 0; i < n; ++i) {
        const std::uint32_t p = plane(rng);
        std::uint32_t cp = p == 0 ? astral(rng) : p == 1 ? in_bmp(rng) : low(rng);
        if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;  // surrogates are not scalar values
        append_utf8(*s, static_cast<char32_t>(cp));
      }
    }
    expect_same(a, b, static_cast<std::uint64_t>(round));
    if (HasFailure()) return;
  }
}

}  // namespace
}  // namespace chatd::protocol
