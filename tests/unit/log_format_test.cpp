#include "server/logging/log_format.hpp"

#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

namespace chatd {
namespace {

using nlohmann::json;

std::string json_string(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

std::string log_line(std::string_view msg) {
  std::string out;
  append_json_log_line(out, "2026-11-22T05:10:00.123+00:00", "info", msg);
  return out;
}

// The line without its newline, parsed; fails the test if it is not one JSON object.
json parse_line(const std::string& line) {
  EXPECT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "more than one line: " << line;
  return json::parse(line.substr(0, line.size() - 1));
}

TEST(JsonString, PassesPlainTextAndValidUtf8Through) {
  EXPECT_EQ(json_string(""), R"("")");
  EXPECT_EQ(json_string("conn 3 open peer=127.0.0.1:5555"), R"("conn 3 open peer=127.0.0.1:5555")");
  EXPECT_EQ(json_string("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"");
}

TEST(JsonString, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(json_string(R"(say "hi" \o/)"), R"("say \"hi\" \\o/")");
  EXPECT_EQ(json_string("a\nb\rc\td\be\ff"), R"("a\nb\rc\td\be\ff")");
  EXPECT_EQ(json_string(std::string("nul\0x", 5)), R"("nul\u0000x")");
  EXPECT_EQ(json_string("\x1b[31mred\x7f"), R"("\u001b[31mred\u007f")");
  EXPECT_EQ(json_string("\x01\x1f"), R"("\u0001\u001f")");
  // C1 controls (8-bit CSI and friends) and the JavaScript line terminators.
  EXPECT_EQ(json_string("\xC2\x9B" "1m"), R"("\u009b1m")");
  EXPECT_EQ(json_string("\xE2\x80\xA8|\xE2\x80\xA9"), R"("\u2028|\u2029")");
  EXPECT_EQ(json_string("\xC2\xA0"), "\"\xC2\xA0\"");  // NBSP is not a control character
}

TEST(JsonString, ReplacesEachMaximalInvalidUtf8SequenceWithOneReplacementCharacter) {
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(json_string("a\xFF" "b"), "\"a" + fffd + "b\"");
  EXPECT_EQ(json_string("\x80\x80"), "\"" + fffd + fffd + "\"");     // lone continuations
  EXPECT_EQ(json_string("\xC0\xAF"), "\"" + fffd + fffd + "\"");     // overlong '/'
  EXPECT_EQ(json_string("\xE0\x80\xAF"), "\"" + fffd + fffd + fffd + "\"");  // overlong
  EXPECT_EQ(json_string("\xED\xA0\x80"), "\"" + fffd + fffd + fffd + "\"");  // surrogate
  EXPECT_EQ(json_string("\xF4\x90\x80\x80"), "\"" + fffd + fffd + fffd + fffd + "\"");  // > 10FFFF
  EXPECT_EQ(json_string("\xE2\x82" "x"), "\"" + fffd + "x\"");  // truncated 3-byte sequence
  EXPECT_EQ(json_string("\xF0\x9F\x98"), "\"" + fffd + "\"");   // truncated at the end
  EXPECT_EQ(json_string("\xE2\x82\""), "\"" + fffd + "\\\"\"");  // a quote is never swallowed
}

TEST(JsonString, AnyBytesGiveValidJson) {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  all += all;
  const std::string out = json_string(all);
  ASSERT_TRUE(json::accept(out)) << out;
  EXPECT_TRUE(json::parse(out).is_string());
}

TEST(JsonLogLine, HoldsTimeLevelAndTheWholeMessage) {
  const std::string line = log_line("chat listening on 127.0.0.1:7000");
  EXPECT_EQ(line,
            R"({"time":"2026-11-22T05:10:00.123+00:00","level":"info",)"
            R"("msg":"chat listening on 127.0.0.1:7000"})"
            "\n");
}

TEST(JsonLogLine, CopiesTheFieldsOfConnectionLines) {
  EXPECT_EQ(log_line("conn 3 open peer=127.0.0.1:5555"),
            R"({"time":"2026-11-22T05:10:00.123+00:00","level":"info",)"
            R"("msg":"conn 3 open peer=127.0.0.1:5555","conn":3,"peer":"127.0.0.1:5555"})"
            "\n");
  const json closed =
      parse_line(log_line("conn 12 closed peer=[::1]:40000 nick=alice reason=idle-timeout"));
  EXPECT_EQ(closed["msg"], "conn 12 closed peer=[::1]:40000 nick=alice reason=idle-timeout");
  EXPECT_EQ(closed["conn"], 12);
  EXPECT_EQ(closed["peer"], "[::1]:40000");
  EXPECT_EQ(closed["nick"], "alice");
  EXPECT_EQ(closed["reason"], "idle-timeout");
  const json limit =
      parse_line(log_line("conn 7 peer=10.0.0.1:1 limit hit: line-too-long (0 more not logged)"));
  EXPECT_EQ(limit["conn"], 7);
  EXPECT_EQ(limit["peer"], "10.0.0.1:1");
  EXPECT_FALSE(limit.contains("reason"));
}

TEST(JsonLogLine, ReadsFieldsOnlyFromTheLeadingKeyValueTokens) {
  // An error text after the fields is never read for fields.
  const json failed =
      parse_line(log_line("conn 5 peer=1.2.3.4:5 session failed: bad nick=evil reason=x"));
  EXPECT_EQ(failed["peer"], "1.2.3.4:5");
  EXPECT_FALSE(failed.contains("nick"));
  EXPECT_FALSE(failed.contains("reason"));
  // Unknown keys and repeated keys end the fields.
  const json unknown = parse_line(log_line("conn 5 open level=fake peer=1.2.3.4:5"));
  EXPECT_EQ(unknown["level"], "info");
  EXPECT_FALSE(unknown.contains("peer"));
  const json repeated = parse_line(log_line("conn 5 open peer=a peer=b"));
  EXPECT_EQ(repeated["peer"], "a");
  // No connection id, no fields.
  for (const char* msg : {"conn x open peer=a", "metrics conn 3 timed out", "conn", "conn 3",
                          "connection from 1.2.3.4:5 rejected: server-full",
                          "conn 123456789012345678901 open peer=a"}) {
    const json line = parse_line(log_line(msg));
    EXPECT_EQ(line["msg"], msg);
    EXPECT_FALSE(line.contains("peer")) << msg;
    EXPECT_EQ(line.contains("conn"), std::string_view(msg) == "conn 3") << msg;
  }
}

TEST(JsonLogLine, EscapesFieldValuesAndTheMessage) {
  const std::string line = log_line("conn 9 registered peer=1.2.3.4:5 nick=a\"b\\\x01\xFF");
  const json parsed = parse_line(line);
  EXPECT_EQ(parsed["nick"], "a\"b\\\x01\xEF\xBF\xBD");
  EXPECT_EQ(parsed["msg"], "conn 9 registered peer=1.2.3.4:5 nick=a\"b\\\x01\xEF\xBF\xBD");
  const json newline = parse_line(log_line("two\nlines"));
  EXPECT_EQ(newline["msg"], "two\nlines");
}

TEST(LogTime, IsIso8601WithMillisecondsAndTheUtcOffset) {
  std::tm tm{};
  tm.tm_year = 2026 - 1900;
  tm.tm_mon = 10;
  tm.tm_mday = 22;
  tm.tm_hour = 5;
  tm.tm_min = 10;
  tm.tm_sec = 0;
  EXPECT_EQ(format_log_time(tm, 123, 0), "2026-11-22T05:10:00.123+00:00");
  EXPECT_EQ(format_log_time(tm, 7, 3600 + 1800), "2026-11-22T05:10:00.007+01:30");
  EXPECT_EQ(format_log_time(tm, 999, -5 * 3600), "2026-11-22T05:10:00.999-05:00");
}

TEST(JournalStream, ParsesDeviceAndInode) {
  const auto id = parse_journal_stream("8:123456");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->device, 8u);
  EXPECT_EQ(id->inode, 123456u);
  for (const char* bad : {"", ":", "8:", ":5", "8", "x:5", "8:5x", "-1:5", "8:+5", " 8:5",
                          "8:5:6", "99999999999999999999999:1"}) {
    EXPECT_FALSE(parse_journal_stream(bad)) << bad;
  }
}

}  // namespace
}  // namespace chatd
