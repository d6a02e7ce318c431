// encode: every event in both formats, JSON escaping, and the ISO 8601 timestamps.
#include "protocol/format.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "protocol/sanitize.hpp"

namespace chatd::protocol {
namespace {

using namespace std::string_literals;

constexpr timestamp_ms ts = 1'795'312'595'123;  // 2026-11-22T01:56:35.123Z
const std::string iso = "2026-11-22T01:56:35.123Z";

const std::vector<std::string> two_members{"alice", "bob"};
const std::vector<std::string> one_member{"alice"};
const std::vector<room_info> two_rooms{{"lobby", 2, "Release day"}, {"dev", 1, ""}};
const std::vector<room_info> no_rooms{};
const recovery_info recovered_all{40, 2, recovery_outcome::complete, 41, 42};
const recovery_info recovered_some{3, 20, recovery_outcome::missing, 23, 42};

struct format_case {
  const char* name;
  event ev;
  std::string human;
  std::string json;  // without the CRLF
};

const format_case format_cases[] = {
    {"Welcome", welcome_event{"0.1.0"},
     "* Welcome to chatd 0.1.0.\r\n"
     "* Pick a nickname: type it and press Enter (letters, digits, _ and -; /help for commands).\r\n",
     R"({"type":"welcome","server":"chatd","version":"0.1.0"})"},
    {"PlainOk", ok_event{"quit"}, "* ok: quit\r\n", R"({"type":"ok","cmd":"quit"})"},
    {"OkJoin", ok_join_event{"lobby", &two_members, "Release day", 42, true, 1000, 0, "e7Hq2"},
     "* You joined [lobby] (2 members: alice, bob).\r\n* Topic: Release day\r\n",
     R"({"type":"ok","cmd":"join","room":"lobby","members":["alice","bob"],"topic":"Release day","seq":42,"epoch":"e7Hq2","presence":true})"},
    {"OkJoinSince", ok_join_event{"lobby", &two_members, "", 42, true, 1000, 0, "e7Hq2", &recovered_all},
     "* You joined [lobby] (2 members: alice, bob).\r\n",
     R"({"type":"ok","cmd":"join","room":"lobby","members":["alice","bob"],"topic":"","seq":42,"epoch":"e7Hq2","presence":true,"since":40,"replay":2,"complete":true})"},
    {"OkJoinSinceIncomplete", ok_join_event{"lobby", &two_members, "", 42, true, 1000, 0, "e7Hq2", &recovered_some},
     "* You joined [lobby] (2 members: alice, bob).\r\n",
     R"({"type":"ok","cmd":"join","room":"lobby","members":["alice","bob"],"topic":"","seq":42,"epoch":"e7Hq2","presence":true,"since":3,"replay":20,"complete":false})"},
    {"OkJoinNewRoom", ok_join_event{"dev", &one_member, "", 0, true, 1000, 0, "x"},
     "* You joined [dev] (1 member: alice).\r\n",
     R"({"type":"ok","cmd":"join","room":"dev","members":["alice"],"topic":"","seq":0,"epoch":"x","presence":true})"},
    {"OkJoinWithoutPresence", ok_join_event{"lobby", &two_members, "Release day", 42, false, 1000, 1500, "e7Hq2"},
     "* You joined [lobby] (1500 members).\r\n* Topic: Release day\r\n"
     "* [lobby] has more than 1000 members: joins, parts and quits are not announced; /who lists them.\r\n",
     R"({"type":"ok","cmd":"join","room":"lobby","members":[],"topic":"Release day","seq":42,"epoch":"e7Hq2","presence":false,"total":1500})"},
    {"OkJoinWithoutPresenceOrTopic", ok_join_event{"dev", &two_members, "", 0, false, 1, 2, "x"},
     "* You joined [dev] (2 members).\r\n"
     "* [dev] has more than 1 member: joins, parts and quits are not announced; /who lists them.\r\n",
     R"({"type":"ok","cmd":"join","room":"dev","members":[],"topic":"","seq":0,"epoch":"x","presence":false,"total":2})"},
    {"OkHistory", ok_history_event{"dev", 57, "e7Hq2", 3, 55, 57},
     "* History of [dev]: 3 messages, #55 to #57.\r\n",
     R"({"type":"ok","cmd":"history","room":"dev","seq":57,"epoch":"e7Hq2","replay":3})"},
    {"OkHistoryOne", ok_history_event{"dev", 57, "e7Hq2", 1, 57, 57},
     "* History of [dev]: 1 message, #57.\r\n",
     R"({"type":"ok","cmd":"history","room":"dev","seq":57,"epoch":"e7Hq2","replay":1})"},
    {"OkHistoryEmpty", ok_history_event{"dev", 0, "e7Hq2", 0},
     "* History of [dev]: no messages kept.\r\n",
     R"({"type":"ok","cmd":"history","room":"dev","seq":0,"epoch":"e7Hq2","replay":0})"},
    {"Recovered", recovered_event{"dev", 69, {57, 12, recovery_outcome::complete, 58, 69}},
     "* Recovered [dev]: 12 messages since #57.\r\n", ""},
    {"RecoveredNothingNew", recovered_event{"dev", 57, {57, 0, recovery_outcome::complete}},
     "* Recovered [dev]: nothing new since #57.\r\n", ""},
    {"RecoveredMissing", recovered_event{"dev", 107, {57, 20, recovery_outcome::missing, 88, 107}},
     "* [dev]: not everything since #57 is kept; 20 replayed from #88.\r\n", ""},
    {"RecoveredMissingNone", recovered_event{"dev", 107, {57, 0, recovery_outcome::missing}},
     "* [dev]: not everything since #57 is kept; none replayed.\r\n", ""},
    {"RecoveredRestarted", recovered_event{"dev", 12, {57, 12, recovery_outcome::restarted, 1, 12}},
     "* [dev] has started again since #57 (it is at #12 now); 12 replayed from #1.\r\n", ""},
    {"RecoveredPartial", recovered_event{"dev", 2000, {57, 500, recovery_outcome::partial, 58, 557}},
     "* [dev]: 500 replayed from #58 to #557 of #2000 (since #57); /join dev since 557 for the "
     "rest.\r\n", ""},
    {"OkSay", ok_say_event{"lobby", 7}, "", R"({"type":"ok","cmd":"say","room":"lobby","seq":7})"},
    {"OkMsg", ok_msg_event{"bob"}, "", R"({"type":"ok","cmd":"msg","to":"bob"})"},
    {"OkNick", ok_nick_event{"alice"}, "* You are now known as alice.\r\n",
     R"({"type":"ok","cmd":"nick","nick":"alice"})"},
    {"OkPart", ok_part_event{"dev"}, "* You left [dev].\r\n",
     R"({"type":"ok","cmd":"part","room":"dev"})"},
    {"OkTopicShown", ok_topic_event{"lobby", "Release day", false},
     "* Topic of [lobby]: Release day\r\n",
     R"({"type":"ok","cmd":"topic","room":"lobby","topic":"Release day"})"},
    {"OkTopicShownEmpty", ok_topic_event{"lobby", "", false}, "* [lobby] has no topic.\r\n",
     R"({"type":"ok","cmd":"topic","room":"lobby","topic":""})"},
    {"OkTopicChanged", ok_topic_event{"lobby", "Release day", true},
     "* Topic of [lobby] set to: Release day\r\n",
     R"({"type":"ok","cmd":"topic","room":"lobby","topic":"Release day"})"},
    {"OkFormatHuman", ok_format_event{output_format::human}, "* Output format: human\r\n",
     R"({"type":"ok","cmd":"format","format":"human"})"},
    {"OkFormatJson", ok_format_event{output_format::json}, "* Output format: json\r\n",
     R"({"type":"ok","cmd":"format","format":"json"})"},
    {"OkHelp", ok_help_event{},
     "* Commands:\r\n"
     "*   /nick NAME                     choose or change your nickname\r\n"
     "*   /join ROOM [since SEQ [EPOCH]] join a room (created if new) and make it current; since: "
     "replay what came after SEQ\r\n"
     "*   /part [ROOM]                   leave a room (default: the current one)\r\n"
     "*   /history [ROOM] [N]            replay a room's latest N kept messages\r\n"
     "*   /say ROOM TEXT                 say something in a room without switching to it\r\n"
     "*   /me TEXT                       describe an action in the current room\r\n"
     "*   /msg NICK TEXT                 send a private message\r\n"
     "*   /topic [TEXT]                  show or set the current room's topic\r\n"
     "*   /rooms [PATTERN] [LIMIT]       list the rooms (the first 100; PATTERN: a glob such as dev*)\r\n"
     "*   /who [ROOM] [LIMIT]            list the members of a room (default: the current one; the first 100)\r\n"
     "*   /format human|json             switch this connection's output format\r\n"
     "*   /ping [TOKEN]                  check that the server answers\r\n"
     "*   /help                          show this list\r\n"
     "*   /quit [REASON]                 leave chatd\r\n"
     "* Any other line is said in your current room (start it with // to say \"/...\").\r\n",
     R"({"type":"ok","cmd":"help","commands":["/nick NAME","/join ROOM [since SEQ [EPOCH]]",)"
     R"("/part [ROOM]","/history [ROOM] [N]","/say ROOM TEXT","/me TEXT","/msg NICK TEXT",)"
     R"("/topic [TEXT]","/rooms [PATTERN] [LIMIT]","/who [ROOM] [LIMIT]","/format human|json",)"
     R"("/ping [TOKEN]","/help","/quit [REASON]"]})"},
    {"Message", msg_event{"lobby", "bob", "hi", 7, ts, false, false}, "[lobby] bob: hi\r\n",
     R"({"type":"msg","room":"lobby","from":"bob","text":"hi","seq":7,"ts":")" + iso +
         R"(","action":false})"},
    {"Action", msg_event{"lobby", "bob", "waves", 8, ts, true, false}, "[lobby] * bob waves\r\n",
     R"({"type":"msg","room":"lobby","from":"bob","text":"waves","seq":8,"ts":")" + iso +
         R"(","action":true})"},
    {"HistoryMessage", msg_event{"lobby", "bob", "hi", 7, ts, false, true},
     "[lobby] 01:56 bob: hi\r\n",
     R"({"type":"msg","room":"lobby","from":"bob","text":"hi","seq":7,"ts":")" + iso +
         R"(","action":false,"history":true})"},
    {"HistoryAction", msg_event{"lobby", "bob", "waves", 8, ts, true, true},
     "[lobby] 01:56 * bob waves\r\n",
     R"({"type":"msg","room":"lobby","from":"bob","text":"waves","seq":8,"ts":")" + iso +
         R"(","action":true,"history":true})"},
    {"PrivateMessage", pm_event{"bob", "alice", "psst", ts}, "[pm] bob: psst\r\n",
     R"({"type":"pm","from":"bob","to":"alice","text":"psst","ts":")" + iso + R"("})"},
    {"Join", join_event{"lobby", "bob"}, "* bob joined [lobby]\r\n",
     R"({"type":"join","room":"lobby","nick":"bob"})"},
    {"Part", part_event{"lobby", "bob"}, "* bob left [lobby]\r\n",
     R"({"type":"part","room":"lobby","nick":"bob"})"},
    {"Quit", quit_event{"bob", "gone fishing"}, "* bob quit (gone fishing)\r\n",
     R"({"type":"quit","nick":"bob","reason":"gone fishing"})"},
    {"QuitWithoutReason", quit_event{"bob", ""}, "* bob quit\r\n",
     R"({"type":"quit","nick":"bob","reason":""})"},
    {"NickChange", nick_event{"bob", "robert"}, "* bob is now known as robert\r\n",
     R"({"type":"nick","old":"bob","new":"robert"})"},
    {"Topic", topic_event{"lobby", "bob", "Release day"},
     "* bob set the topic of [lobby] to: Release day\r\n",
     R"({"type":"topic","room":"lobby","nick":"bob","topic":"Release day"})"},
    {"Rooms", rooms_reply{&two_rooms, 2, ""},
     "* Rooms:\r\n*   [lobby] (2 members) Release day\r\n*   [dev] (1 member)\r\n",
     R"({"type":"rooms","rooms":[{"name":"lobby","members":2,"topic":"Release day"},)"
     R"({"name":"dev","members":1,"topic":""}],"total":2})"},
    {"RoomsMatchingAPatternAllShown", rooms_reply{&two_rooms, 2, "*e*"},
     "* Rooms:\r\n*   [lobby] (2 members) Release day\r\n*   [dev] (1 member)\r\n",
     R"({"type":"rooms","rooms":[{"name":"lobby","members":2,"topic":"Release day"},)"
     R"({"name":"dev","members":1,"topic":""}],"total":2})"},
    {"RoomsTruncatedSaysHowManyOfHowMany", rooms_reply{&two_rooms, 10432, ""},
     "* Rooms (showing 2 of 10432):\r\n*   [lobby] (2 members) Release day\r\n"
     "*   [dev] (1 member)\r\n",
     R"({"type":"rooms","rooms":[{"name":"lobby","members":2,"topic":"Release day"},)"
     R"({"name":"dev","members":1,"topic":""}],"total":10432})"},
    {"NoRooms", rooms_reply{&no_rooms, 0, ""}, "* No rooms.\r\n",
     R"({"type":"rooms","rooms":[],"total":0})"},
    {"NoRoomsMatchThePattern", rooms_reply{&no_rooms, 0, "dev*"}, "* No rooms match dev*.\r\n",
     R"({"type":"rooms","rooms":[],"total":0})"},
    {"Who", who_reply{"lobby", &two_members, 2}, "* Members of [lobby] (2): alice, bob\r\n",
     R"({"type":"who","room":"lobby","members":["alice","bob"],"total":2})"},
    {"WhoTruncatedSaysHowManyAreShown", who_reply{"big", &two_members, 19000},
     "* Members of [big] (19000, showing 2): alice, bob\r\n",
     R"({"type":"who","room":"big","members":["alice","bob"],"total":19000})"},
    {"Pong", pong_reply{"abc 1"}, "* pong abc 1\r\n", R"({"type":"pong","token":"abc 1"})"},
    {"PongWithoutToken", pong_reply{""}, "* pong\r\n", R"({"type":"pong","token":""})"},
    {"Error", error_event{error_code::nick_taken, "nickname bob is taken"},
     "! nick-taken: nickname bob is taken\r\n",
     R"({"type":"error","code":"nick-taken","message":"nickname bob is taken"})"},
    {"Bye", bye_event{"see you"}, "* Bye (see you).\r\n", R"({"type":"bye","reason":"see you"})"},
    {"ByeWithoutReason", bye_event{""}, "* Bye.\r\n", R"({"type":"bye","reason":""})"},
    {"Notice", notice_event{"server-draining", "Reconnect to continue."},
     "* Reconnect to continue.\r\n",
     R"({"type":"notice","code":"server-draining","text":"Reconnect to continue."})"},
};

void PrintTo(const format_case& c, std::ostream* os) { *os << c.name; }

class format_cases_test : public testing::TestWithParam<format_case> {};

TEST_P(format_cases_test, EncodesAsHuman) {
  EXPECT_EQ(encode(GetParam().ev, output_format::human), GetParam().human);
}

TEST_P(format_cases_test, EncodesAsOneJsonObjectPerLine) {
  const std::string out = encode(GetParam().ev, output_format::json);
  if (GetParam().json.empty()) {  // said by the ok before it in json
    EXPECT_EQ(out, "");
    return;
  }
  EXPECT_EQ(out, GetParam().json + "\r\n");
  ASSERT_TRUE(nlohmann::json::accept(GetParam().json));
  EXPECT_TRUE(nlohmann::json::parse(out).is_object());
}

INSTANTIATE_TEST_SUITE_P(Encode, format_cases_test, testing::ValuesIn(format_cases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Encode, HasACaseForEveryEventType) {
  std::set<std::size_t> covered;
  for (const format_case& c : format_cases) covered.insert(c.ev.index());
  EXPECT_EQ(covered.size(), std::variant_size_v<event>);
}

TEST(Encode, EndsEveryLineWithCrLfAndPutsNoOtherLineBreaks) {
  for (const format_case& c : format_cases) {
    for (output_format fmt : {output_format::human, output_format::json}) {
      const std::string out = encode(c.ev, fmt);
      SCOPED_TRACE(std::string(c.name) + " " + std::string(to_string(fmt)));
      if (out.empty()) continue;
      EXPECT_EQ(out.substr(out.size() - 2), "\r\n");
      for (std::size_t i = 0; i < out.size(); ++i) {
        if (out[i] == '\r') {
          EXPECT_EQ(out[i + 1], '\n');
        } else if (out[i] == '\n') {
          EXPECT_EQ(out[i - 1], '\r');
        }
      }
      if (fmt == output_format::json) {
        EXPECT_EQ(out.find('\n'), out.size() - 1);
      }
    }
  }
}

TEST(Encode, StartsEveryHumanNoticeWithStarAndEveryErrorWithBang) {
  for (const format_case& c : format_cases) {
    const std::string out = encode(c.ev, output_format::human);
    if (out.empty() || std::holds_alternative<msg_event>(c.ev) ||
        std::holds_alternative<pm_event>(c.ev)) {
      continue;
    }
    const char lead = std::holds_alternative<error_event>(c.ev) ? '!' : '*';
    for (std::size_t start = 0; start < out.size(); start = out.find("\r\n", start) + 2) {
      const std::string expected{lead, ' '};
      EXPECT_EQ(out.substr(start, 2), expected) << c.name;
    }
  }
}

// Text that needs escaping: quote, backslash, control characters, non-ASCII.
const std::string tricky = "say \"hi\" \\o/ \x01\t\x1f caf\xC3\xA9 \xF0\x9F\x98\x80 \xE2\x80\xA8";

TEST(EncodeJson, EscapesQuotesBackslashesAndControlsAndKeepsNonAsciiAsUtf8) {
  const std::string out = encode(msg_event{"lobby", "bob", tricky, 1, ts, false, false},
                                 output_format::json);
  EXPECT_NE(out.find(R"(say \"hi\" \\o/ \u0001\t\u001f caf)" "\xC3\xA9 \xF0\x9F\x98\x80"),
            std::string::npos)
      << out;
  const nlohmann::json parsed = nlohmann::json::parse(out);
  EXPECT_EQ(parsed["text"], tricky);
  EXPECT_EQ(parsed["room"], "lobby");
  EXPECT_EQ(parsed["from"], "bob");
  EXPECT_EQ(parsed["seq"], 1);
  EXPECT_EQ(parsed["ts"], iso);
  EXPECT_EQ(parsed["action"], false);
  EXPECT_FALSE(parsed.contains("history"));
}

TEST(EncodeJson, RoundTripsEveryStringField) {
  const std::vector<std::string> members{tricky, "bob"};
  const std::vector<room_info> rooms{{"lobby", 3, tricky}};
  const std::pair<event, std::vector<std::string>> cases[] = {
      {pm_event{"bob", "alice", tricky, ts}, {"text"}},
      {quit_event{"bob", tricky}, {"reason"}},
      {topic_event{"lobby", "bob", tricky}, {"topic"}},
      {ok_topic_event{"lobby", tricky, true}, {"topic"}},
      {pong_reply{tricky}, {"token"}},
      {error_event{error_code::bad_argument, tricky}, {"message"}},
      {bye_event{tricky}, {"reason"}},
      {notice_event{"server-draining", tricky}, {"text"}},
      {welcome_event{tricky}, {"version"}},
  };
  for (const auto& [ev, fields] : cases) {
    const nlohmann::json parsed = nlohmann::json::parse(encode(ev, output_format::json));
    for (const std::string& field : fields) EXPECT_EQ(parsed[field], tricky) << field;
  }
  const nlohmann::json who = nlohmann::json::parse(
      encode(who_reply{"lobby", &members, members.size()}, output_format::json));
  EXPECT_EQ(who["members"], nlohmann::json(members));
  const nlohmann::json listed = nlohmann::json::parse(encode(rooms_reply{&rooms, rooms.size(), ""}, output_format::json));
  EXPECT_EQ(listed["rooms"][0]["topic"], tricky);
  EXPECT_EQ(listed["rooms"][0]["members"], 3);
}

TEST(EncodeJson, ReplacesInvalidUtf8InsteadOfThrowing) {
  std::string out;
  ASSERT_NO_THROW(out = encode(pong_reply{"a\xC3" "b\xFF"}, output_format::json));
  EXPECT_TRUE(is_valid_utf8(out));
  EXPECT_EQ(nlohmann::json::parse(out)["token"], "a\xEF\xBF\xBD" "b\xEF\xBF\xBD");
}

TEST(EncodeHuman, KeepsNonAsciiAndTurnsStrayControlsIntoSpaces) {
  EXPECT_EQ(encode(msg_event{"lobby", "bob", "caf\xC3\xA9\r\nx\x1b" "y\tz", 1, ts, false, false},
                   output_format::human),
            "[lobby] bob: caf\xC3\xA9  x y\tz\r\n");
}

TEST(EncodeHuman, ListsEveryRoomMemberWhenJoining) {
  const std::vector<std::string> three{"alice", "bob", "carol"};
  EXPECT_EQ(encode(ok_join_event{"dev", &three, "", 5, true, 3}, output_format::human),
            "* You joined [dev] (3 members: alice, bob, carol).\r\n");
}

struct iso_case {
  timestamp_ms ts;
  const char* text;
};

TEST(FormatIso8601, GivesUtcWithMillisecondsAndZ) {
  const iso_case cases[] = {
      {0, "1970-01-01T00:00:00.000Z"},
      {ts, "2026-11-22T01:56:35.123Z"},
      {-1, "1969-12-31T23:59:59.999Z"},
      {951'782'400'000, "2000-02-29T00:00:00.000Z"},
      {1'709'168'523'004, "2024-02-29T01:02:03.004Z"},
      {4'102'444'800'000, "2100-01-01T00:00:00.000Z"},
      {253'402'300'799'999, "9999-12-31T23:59:59.999Z"},
  };
  for (const iso_case& c : cases) EXPECT_EQ(format_iso8601(c.ts), c.text) << c.ts;
}

TEST(FormatIso8601, StaysWellDefinedAtTheEndsOfTheRange) {
  // Nobody sends such times; the point is that no value makes the arithmetic overflow (UBSan).
  for (timestamp_ms extreme : {std::numeric_limits<timestamp_ms>::min(),
                               std::numeric_limits<timestamp_ms>::max()}) {
    const std::string text = format_iso8601(extreme);
    EXPECT_EQ(text.back(), 'Z') << text;
    EXPECT_EQ(text.substr(text.size() - 5, 1), ".") << text;
  }
}

TEST(OutputFormat, HasItsWireSpelling) {
  EXPECT_EQ(to_string(output_format::human), "human");
  EXPECT_EQ(to_string(output_format::json), "json");
}

}  // namespace
}  // namespace chatd::protocol
