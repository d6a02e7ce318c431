// parse_command: every command, every error, case-insensitive names and the "//" escape.
#include "protocol/command.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>

namespace chatd::protocol {
namespace {

struct command_case {
  const char* name;
  std::string line;
  command_kind kind;
  std::string arg;
  std::string text;
};

const command_case command_cases[] = {
    // Plain text and the "//" escape.
    {"PlainLineIsText", "hello there ", command_kind::text, "", "hello there "},
    {"LineWithInnerSlashIsText", "a/b", command_kind::text, "", "a/b"},
    {"LeadingSpaceThenSlashIsText", " /join x", command_kind::text, "", " /join x"},
    {"DoubleSlashIsTextWithOneSlash", "//join x", command_kind::text, "", "/join x"},
    {"LoneDoubleSlashIsASlash", "//", command_kind::text, "", "/"},
    {"TripleSlashKeepsTwo", "///", command_kind::text, "", "//"},

    // /nick, /join: one required argument, trimmed.
    {"Nick", "/nick alice", command_kind::nick, "alice", ""},
    {"NickTrimsBlanks", "/nick \t alice \t", command_kind::nick, "alice", ""},
    {"NickKeepsExtraWordsForTheCallerToReject", "/nick al ice", command_kind::nick, "al ice", ""},
    {"Join", "/join #Lobby", command_kind::join, "#Lobby", ""},
    {"JoinKeepsExtraWordsForTheCallerToReject", "/join a b", command_kind::join, "a b", ""},
    {"TabSeparatesTheName", "/join\tdev", command_kind::join, "dev", ""},

    // /part, /who: one optional argument.
    {"PartCurrentRoom", "/part", command_kind::part, "", ""},
    {"PartNamedRoom", "/part #dev ", command_kind::part, "#dev", ""},
    {"WhoCurrentRoom", "/who", command_kind::who, "", ""},
    {"WhoNamedRoom", "/who  dev", command_kind::who, "dev", ""},
    {"WhoKeepsTheRoomAsTyped", "/who #Dev", command_kind::who, "#Dev", ""},

    // /say, /msg: a word and text.
    {"Say", "/say dev hello  world ", command_kind::say, "dev", "hello  world "},
    {"SayWithBlanksBetween", "/say \t#dev \t hi", command_kind::say, "#dev", "hi"},
    {"Msg", "/msg bob psst: hi", command_kind::msg, "bob", "psst: hi"},

    // /me: text.
    {"Me", "/me waves  ", command_kind::me, "", "waves  "},

    // /topic: optional text.
    {"TopicShow", "/topic", command_kind::topic, "", ""},
    {"TopicShowWithBlanks", "/topic   ", command_kind::topic, "", ""},
    {"TopicSet", "/topic  Release  day", command_kind::topic, "", "Release  day"},

    // No arguments.
    {"Rooms", "/rooms", command_kind::rooms, "", ""},
    {"RoomsWithPattern", "/rooms dev*", command_kind::rooms, "dev*", ""},
    {"Help", "/help", command_kind::help, "", ""},
    {"HelpIgnoresExtraWords", "/help nick", command_kind::help, "", ""},

    // /format: human or json, any case, given back lower-case.
    {"FormatJson", "/format json", command_kind::format, "json", ""},
    {"FormatHuman", "/format human", command_kind::format, "human", ""},
    {"FormatArgumentIsCaseInsensitive", "/format JSON ", command_kind::format, "json", ""},

    // /ping, /quit: optional text.
    {"PingWithoutToken", "/ping", command_kind::ping, "", ""},
    {"PingWithToken", "/ping abc 123", command_kind::ping, "", "abc 123"},
    {"QuitWithoutReason", "/quit", command_kind::quit, "", ""},
    {"QuitWithReason", "/quit  gone fishing", command_kind::quit, "", "gone fishing"},

    // Names are case-insensitive.
    {"UpperCaseName", "/JOIN dev", command_kind::join, "dev", ""},
    {"MixedCaseName", "/NiCk Bob", command_kind::nick, "Bob", ""},
    {"UpperCaseMe", "/ME dances", command_kind::me, "", "dances"},
};

void PrintTo(const command_case& c, std::ostream* os) { *os << c.name; }

class command_cases_test : public testing::TestWithParam<command_case> {};

TEST_P(command_cases_test, ParsesToTheExpectedCommand) {
  const command_case& c = GetParam();
  const parse_result result = parse_command(c.line);
  ASSERT_TRUE(std::holds_alternative<command>(result))
      << std::get<parse_error>(result).message;
  const command& cmd = std::get<command>(result);
  EXPECT_EQ(cmd.kind, c.kind);
  EXPECT_EQ(cmd.arg, c.arg);
  EXPECT_EQ(cmd.text, c.text);
}

INSTANTIATE_TEST_SUITE_P(ParseCommand, command_cases_test, testing::ValuesIn(command_cases),
                         [](const auto& info) { return std::string(info.param.name); });

struct error_case {
  const char* name;
  std::string line;
  error_code code;
  std::string message;
};

const std::string join_usage = "usage: /join ROOM [since SEQ [EPOCH]]";
const std::string history_usage = "usage: /history [ROOM] [N]";

const error_case error_cases[] = {
    {"NickWithoutName", "/nick", error_code::bad_argument, "usage: /nick NAME"},
    {"NickWithOnlyBlanks", "/nick  \t ", error_code::bad_argument, "usage: /nick NAME"},
    {"JoinWithoutRoom", "/join", error_code::bad_argument, "usage: /join ROOM [since SEQ [EPOCH]]"},
    {"JoinSinceWithoutSeq", "/join dev since", error_code::bad_argument, join_usage},
    {"JoinSinceWithANegativeSeq", "/join dev since -1", error_code::bad_argument, join_usage},
    {"JoinSinceWithAWord", "/join dev since five", error_code::bad_argument, join_usage},
    {"JoinSinceWithASignedSeq", "/join dev since +5", error_code::bad_argument, join_usage},
    {"JoinSinceWithASeqPast64Bits", "/join dev since 18446744073709551616",
     error_code::bad_argument, join_usage},
    {"JoinSinceWithAnEpochOutsideTheCharset", "/join dev since 5 ab.c", error_code::bad_argument,
     join_usage},
    {"JoinSinceWithAnEpochTooLong", "/join dev since 5 " + std::string(33, 'a'),
     error_code::bad_argument, join_usage},
    {"JoinSinceWithExtraWords", "/join dev since 5 abc more", error_code::bad_argument,
     join_usage},
    {"HistoryWithZero", "/history 0", error_code::bad_argument, history_usage + " (N is 1 to 100000)"},
    {"HistoryWithTooMany", "/history dev 100001", error_code::bad_argument, history_usage + " (N is 1 to 100000)"},
    {"HistoryWithAWordForN", "/history dev many", error_code::bad_argument, history_usage + " (N is 1 to 100000)"},
    {"HistoryWithExtraWords", "/history dev 5 more", error_code::bad_argument, history_usage},
    {"SayWithoutArguments", "/say", error_code::bad_argument, "usage: /say ROOM TEXT"},
    {"SayWithoutText", "/say dev", error_code::bad_argument, "usage: /say ROOM TEXT"},
    {"SayWithBlankText", "/say dev   ", error_code::bad_argument, "usage: /say ROOM TEXT"},
    {"MsgWithoutArguments", "/msg", error_code::bad_argument, "usage: /msg NICK TEXT"},
    {"MsgWithoutText", "/msg bob", error_code::bad_argument, "usage: /msg NICK TEXT"},
    {"MeWithoutText", "/me", error_code::bad_argument, "usage: /me TEXT"},
    {"MeWithBlankText", "/me \t", error_code::bad_argument, "usage: /me TEXT"},
    {"FormatWithoutArgument", "/format", error_code::bad_argument, "usage: /format human|json"},
    {"FormatWithOtherArgument", "/format xml", error_code::bad_argument, "usage: /format human|json"},
    {"FormatWithExtraWords", "/format json please", error_code::bad_argument,
     "usage: /format human|json"},
    {"RoomsWithThreeWords", "/rooms dev* 10 more", error_code::bad_argument,
     "usage: /rooms [PATTERN] [LIMIT]"},
    {"RoomsLimitZero", "/rooms 0", error_code::bad_argument,
     "usage: /rooms [PATTERN] [LIMIT] (LIMIT is 1 to 1000)"},
    {"RoomsLimitAboveTheMaximum", "/rooms * 1001", error_code::bad_argument,
     "usage: /rooms [PATTERN] [LIMIT] (LIMIT is 1 to 1000)"},
    {"RoomsLimitTooBigForAnyInteger", "/rooms 99999999999999999999999", error_code::bad_argument,
     "usage: /rooms [PATTERN] [LIMIT] (LIMIT is 1 to 1000)"},
    {"RoomsLimitNotAnInteger", "/rooms dev* ten", error_code::bad_argument,
     "usage: /rooms [PATTERN] [LIMIT] (LIMIT is 1 to 1000)"},
    {"RoomsNegativeLimit", "/rooms dev* -5", error_code::bad_argument,
     "usage: /rooms [PATTERN] [LIMIT] (LIMIT is 1 to 1000)"},
    {"RoomsFractionalLimit", "/rooms dev* 2.5", error_code::bad_argument,
     "usage: /rooms [PATTERN] [LIMIT] (LIMIT is 1 to 1000)"},
    {"WhoWithThreeWords", "/who a b c", error_code::bad_argument, "usage: /who [ROOM] [LIMIT]"},
    {"WhoSecondWordNotAnInteger", "/who a b", error_code::bad_argument,
     "usage: /who [ROOM] [LIMIT] (LIMIT is 1 to 1000)"},
    {"WhoLimitZero", "/who big 0", error_code::bad_argument,
     "usage: /who [ROOM] [LIMIT] (LIMIT is 1 to 1000)"},
    {"WhoLoneLimitAboveTheMaximum", "/who 5000", error_code::bad_argument,
     "usage: /who [ROOM] [LIMIT] (LIMIT is 1 to 1000)"},
    {"UnknownCommand", "/dance now", error_code::unknown_command,
     "unknown command /dance (type /help for the list)"},
    {"LoneSlash", "/", error_code::unknown_command, "unknown command / (type /help for the list)"},
    {"SlashThenSpace", "/ join", error_code::unknown_command,
     "unknown command / (type /help for the list)"},
    {"PrefixOfACommand", "/jo dev", error_code::unknown_command,
     "unknown command /jo (type /help for the list)"},
    {"CommandGluedToText", "/joindev", error_code::unknown_command,
     "unknown command /joindev (type /help for the list)"},
    {"UnknownCommandKeepsItsCase", "/Dance", error_code::unknown_command,
     "unknown command /Dance (type /help for the list)"},
};

// /rooms [PATTERN] [LIMIT] and /who [ROOM] [LIMIT]: the word and the count they parse to.
struct listing_case {
  const char* name;
  std::string line;
  command_kind kind;
  std::string arg;
  std::optional<std::size_t> count;
};

const listing_case listing_cases[] = {
    {"RoomsWithoutArgumentsLeavesTheDefaults", "/rooms", command_kind::rooms, "", std::nullopt},
    {"RoomsPatternOnly", "/rooms #Dev*", command_kind::rooms, "#Dev*", std::nullopt},
    {"RoomsPatternWithSetsAndQuestionMarks", "/rooms [a-c]?x", command_kind::rooms, "[a-c]?x",
     std::nullopt},
    {"RoomsLoneNumberIsTheLimit", "/rooms 50", command_kind::rooms, "", 50},
    {"RoomsPatternAndLimit", "/rooms \t dev* \t 7 ", command_kind::rooms, "dev*", 7},
    {"RoomsNumericPatternNeedsTheLimitToo", "/rooms 50 100", command_kind::rooms, "50", 100},
    {"RoomsLimitOfOne", "/rooms * 1", command_kind::rooms, "*", 1},
    {"RoomsLimitAtTheMaximum", "/rooms * 1000", command_kind::rooms, "*", 1000},
    {"RoomsLimitWithLeadingZeros", "/rooms 0010", command_kind::rooms, "", 10},
    {"RoomsWordWithDigitsAndLettersIsAPattern", "/rooms 50x", command_kind::rooms, "50x",
     std::nullopt},
    {"WhoWithoutArgumentsLeavesTheDefaults", "/who", command_kind::who, "", std::nullopt},
    {"WhoRoomOnly", "/who #Big", command_kind::who, "#Big", std::nullopt},
    {"WhoLoneNumberIsTheLimitForTheCurrentRoom", "/who 5", command_kind::who, "", 5},
    {"WhoRoomAndLimit", "/WHO big 250", command_kind::who, "big", 250},
    {"WhoNumericRoomNeedsTheLimitToo", "/who 50 100", command_kind::who, "50", 100},
};

void PrintTo(const listing_case& c, std::ostream* os) { *os << c.name; }

class listing_cases_test : public testing::TestWithParam<listing_case> {};

TEST_P(listing_cases_test, ParsesTheWordAndTheLimit) {
  const listing_case& c = GetParam();
  const parse_result result = parse_command(c.line);
  ASSERT_TRUE(std::holds_alternative<command>(result))
      << std::get<parse_error>(result).message;
  const command& cmd = std::get<command>(result);
  EXPECT_EQ(cmd.kind, c.kind);
  EXPECT_EQ(cmd.arg, c.arg);
  EXPECT_EQ(cmd.count, c.count);
  EXPECT_EQ(cmd.text, "");
}

INSTANTIATE_TEST_SUITE_P(ParseCommand, listing_cases_test, testing::ValuesIn(listing_cases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(ParseCommand, ListingLimitsAreOneHundredByDefaultAndAThousandAtMost) {
  EXPECT_EQ(default_listing_limit, 100u);
  EXPECT_EQ(max_listing_limit, 1000u);
}

void PrintTo(const error_case& c, std::ostream* os) { *os << c.name; }

class command_errors_test : public testing::TestWithParam<error_case> {};

TEST_P(command_errors_test, GivesTheExpectedError) {
  const error_case& c = GetParam();
  const parse_result result = parse_command(c.line);
  ASSERT_TRUE(std::holds_alternative<parse_error>(result));
  const parse_error& error = std::get<parse_error>(result);
  EXPECT_EQ(error.code, c.code);
  EXPECT_EQ(error.message, c.message);
}

INSTANTIATE_TEST_SUITE_P(ParseCommand, command_errors_test, testing::ValuesIn(error_cases),
                         [](const auto& info) { return std::string(info.param.name); });

command parsed(const std::string& line) {
  parse_result result = parse_command(line);
  EXPECT_TRUE(std::holds_alternative<command>(result)) << line;
  return std::holds_alternative<command>(result) ? std::get<command>(result) : command{};
}

TEST(ParseCommand, JoinSinceTakesTheSeqAndAnOptionalEpoch) {
  command c = parsed("/join #Dev since 57");
  EXPECT_EQ(c.kind, command_kind::join);
  EXPECT_EQ(c.arg, "#Dev");
  EXPECT_EQ(c.since, std::optional<std::uint64_t>(57));
  EXPECT_EQ(c.epoch, "");

  c = parsed("/JOIN dev  SINCE \t0   Qw-_9z ");
  EXPECT_EQ(c.arg, "dev");
  EXPECT_EQ(c.since, std::optional<std::uint64_t>(0));
  EXPECT_EQ(c.epoch, "Qw-_9z");

  c = parsed("/join dev since 18446744073709551615 " + std::string(32, 'x'));
  EXPECT_EQ(c.since, std::optional<std::uint64_t>(UINT64_MAX));
  EXPECT_EQ(c.epoch, std::string(32, 'x'));
}

TEST(ParseCommand, JoinWithoutSinceHasNoSeq) {
  const command c = parsed("/join dev");
  EXPECT_FALSE(c.since.has_value());
  // Another second word is part of the room name, reported by the server as invalid.
  const command other = parsed("/join dev later 5");
  EXPECT_EQ(other.arg, "dev later 5");
  EXPECT_FALSE(other.since.has_value());
}

TEST(ParseCommand, HistoryTakesAnOptionalRoomAndCount) {
  command c = parsed("/history");
  EXPECT_EQ(c.kind, command_kind::history);
  EXPECT_EQ(c.arg, "");
  EXPECT_FALSE(c.count.has_value());

  c = parsed("/history #dev");
  EXPECT_EQ(c.arg, "#dev");
  EXPECT_FALSE(c.count.has_value());

  c = parsed("/history 30");  // a lone number is N, for the current room
  EXPECT_EQ(c.arg, "");
  EXPECT_EQ(c.count, std::optional<std::size_t>(30));

  c = parsed("/history 42 100000");  // a room named 42
  EXPECT_EQ(c.arg, "42");
  EXPECT_EQ(c.count, std::optional<std::size_t>(100000));

  c = parsed("/history dev 1");
  EXPECT_EQ(c.arg, "dev");
  EXPECT_EQ(c.count, std::optional<std::size_t>(1));
}

TEST(CommandName, IsTheJsonCmdValueAndSayForChatLinesAndActions) {
  const std::pair<command_kind, std::string_view> cases[] = {
      {command_kind::text, "say"},     {command_kind::say, "say"},     {command_kind::me, "say"},
      {command_kind::nick, "nick"},    {command_kind::join, "join"},   {command_kind::part, "part"},
      {command_kind::msg, "msg"},      {command_kind::topic, "topic"}, {command_kind::rooms, "rooms"},
      {command_kind::who, "who"},      {command_kind::format, "format"},
      {command_kind::history, "history"},
      {command_kind::ping, "ping"},    {command_kind::help, "help"},   {command_kind::quit, "quit"},
  };
  for (const auto& [kind, name] : cases) EXPECT_EQ(command_name(kind), name);
}

TEST(CommandName, MatchesTheNameEveryCommandIsTypedWith) {
  const char* typed[] = {"nick", "join",  "part", "msg", "topic", "rooms", "who",    "format",
                         "ping", "help",  "quit", "say", "me",    "history"};
  for (const char* name : typed) {
    // Enough arguments for every command to parse (and not too many for a listing).
    const std::string_view n(name);
    const std::string args = n == "format"                                  ? " json"
                             : n == "rooms" || n == "who" || n == "history" ? " word 10"
                                                                            : " word text";
    const parse_result result = parse_command("/" + std::string(name) + args);
    ASSERT_TRUE(std::holds_alternative<command>(result)) << name;
    const std::string_view expected = std::string_view(name) == "me" ? "say" : name;
    EXPECT_EQ(command_name(std::get<command>(result).kind), expected);
  }
}

TEST(ParseCommand, AnOwnedLineParsesAsItsViewDoes) {
  const char* lines[] = {"hello there", "//not a command", "/me waves", "/say dev hi",
                         "/join", "/nick  bob ", "/frobnicate", "/msg bob hi", "/"};
  for (const char* line : lines) {
    const parse_result from_view = parse_command(std::string_view(line));
    const parse_result from_owned = parse_command(std::string(line));
    ASSERT_EQ(from_view.index(), from_owned.index()) << line;
    if (const auto* a = std::get_if<command>(&from_view)) {
      const auto& b = std::get<command>(from_owned);
      EXPECT_EQ(a->kind, b.kind) << line;
      EXPECT_EQ(a->arg, b.arg) << line;
      EXPECT_EQ(a->text, b.text) << line;
    } else {
      EXPECT_EQ(std::get<parse_error>(from_view).code, std::get<parse_error>(from_owned).code) << line;
      EXPECT_EQ(std::get<parse_error>(from_view).message, std::get<parse_error>(from_owned).message);
    }
  }
}

}  // namespace
}  // namespace chatd::protocol
