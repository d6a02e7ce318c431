// append_json_string under both escaping policies: wire against nlohmann's own dump, log with
// its extra escapes, and both on every kind of byte, at every position of the 8-byte fast path.
#include "protocol/json_string.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <string>

namespace chatd::protocol {
namespace {

using namespace std::string_literals;

const std::string fffd = "\xEF\xBF\xBD";

std::string wire(std::string_view s) {
  std::string out;
  append_json_string(out, s, json_escape::wire);
  return out;
}

std::string log(std::string_view s) {
  std::string out;
  append_json_string(out, s, json_escape::log);
  return out;
}

std::string nlohmann_dump(std::string_view s) {
  return nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

TEST(JsonStringWire, AppendsToWhatIsThere) {
  std::string out = "x=";
  append_json_string(out, "y", json_escape::wire);
  EXPECT_EQ(out, R"(x="y")");
}

TEST(JsonStringWire, EscapesOnlyQuoteBackslashAndC0) {
  EXPECT_EQ(wire(""), R"("")");
  EXPECT_EQ(wire(R"(say "hi" \o/)"), R"("say \"hi\" \\o/")");
  EXPECT_EQ(wire("a\nb\rc\td\be\ff"), R"("a\nb\rc\td\be\ff")");
  EXPECT_EQ(wire("\x00\x01\x1b\x1f"s), R"("\u0000\u0001\u001b\u001f")");
  EXPECT_EQ(wire("\x7f"), "\"\x7f\"");                        // DEL as is
  EXPECT_EQ(wire("\xC2\x9B" "1m"), "\"\xC2\x9B" "1m\"");      // C1 as is
  EXPECT_EQ(wire("\xE2\x80\xA8\xE2\x80\xA9"), "\"\xE2\x80\xA8\xE2\x80\xA9\"");
  EXPECT_EQ(wire("caf\xC3\xA9 \xF0\x9F\x98\x80"), "\"caf\xC3\xA9 \xF0\x9F\x98\x80\"");
}

TEST(JsonStringLog, AlsoEscapesDelC1AndTheLineSeparators) {
  EXPECT_EQ(log(R"(say "hi" \o/)"), R"("say \"hi\" \\o/")");
  EXPECT_EQ(log("a\nb\rc\td\be\ff"), R"("a\nb\rc\td\be\ff")");
  EXPECT_EQ(log("\x00\x01\x1b\x1f"s), R"("\u0000\u0001\u001b\u001f")");
  EXPECT_EQ(log("\x7f"), R"("\u007f")");
  EXPECT_EQ(log("\xC2\x80\xC2\x9B" "1m\xC2\x9F"), R"("\u0080\u009b1m\u009f")");
  EXPECT_EQ(log("\xE2\x80\xA8|\xE2\x80\xA9"), R"("\u2028|\u2029")");
  // Their neighbours are not controls.
  EXPECT_EQ(log("\xC2\xA0\xE2\x80\xA7\xE2\x80\xAA"), "\"\xC2\xA0\xE2\x80\xA7\xE2\x80\xAA\"");
  EXPECT_EQ(log("caf\xC3\xA9 \xF0\x9F\x98\x80"), "\"caf\xC3\xA9 \xF0\x9F\x98\x80\"");
}

TEST(JsonString, ReplacesEachMaximalSubpartWithOneReplacementCharacterUnderBothPolicies) {
  const std::pair<std::string, std::string> cases[] = {
      {"a\xFF" "b", "a" + fffd + "b"},
      {"\x80\x80", fffd + fffd},
      {"\xC0\xAF", fffd + fffd},
      {"\xE0\x80\xAF", fffd + fffd + fffd},
      {"\xED\xA0\x80", fffd + fffd + fffd},
      {"\xF4\x90\x80\x80", fffd + fffd + fffd + fffd},
      {"\xE2\x82" "x", fffd + "x"},
      {"\xF0\x9F\x98", fffd},
      {"\xE2\x82\"", fffd + "\\\""},  // the byte that breaks a sequence is written on its own
      {"\xC3\x7F", fffd + "\x7F"},
  };
  for (const auto& [in, body] : cases) {
    SCOPED_TRACE(testing::PrintToString(in));
    EXPECT_EQ(wire(in), "\"" + body + "\"");
  }
  EXPECT_EQ(log("\xC3\x7F"), "\"" + fffd + "\\u007f\"");
  EXPECT_EQ(log("\xE2\x82\""), "\"" + fffd + "\\\"\"");
}

// A special byte at every offset of strings around the 8-byte word size, so each one is found
// whether the word scan, the byte loop after it, or neither sees it first.
TEST(JsonString, FindsSpecialBytesAtEveryPosition) {
  const std::string specials[] = {"\"", "\\", "\n", "\x01", "\x1f", "\x7f", "\xC3\xA9",
                                  "\xC2\x9B", "\xE2\x80\xA8", "\xFF"};
  for (std::size_t length = 0; length <= 24; ++length) {
    for (std::size_t at = 0; at <= length; ++at) {
      for (const std::string& special : specials) {
        const std::string s = std::string(at, 'a') + special + std::string(length - at, 'b');
        SCOPED_TRACE(testing::PrintToString(s));
        ASSERT_EQ(wire(s), nlohmann_dump(s));
        ASSERT_EQ(nlohmann::json::parse(log(s)), nlohmann::json::parse(wire(s)));
      }
    }
  }
}

bool has_raw_log_escapes(const std::string& json) {
  return json.find('\x7f') != std::string::npos || json.find("\xE2\x80\xA8") != std::string::npos ||
         json.find("\xE2\x80\xA9") != std::string::npos ||
         [&] {
           for (std::size_t i = 0; i + 1 < json.size(); ++i) {
             const auto next = static_cast<unsigned char>(json[i + 1]);
             if (json[i] == '\xC2' && next >= 0x80 && next <= 0x9F) return true;
           }
           return false;
         }();
}

// Random strings biased toward the bytes that matter: wire is nlohmann's dump; log decodes to
// the same text and leaves none of its extra characters unescaped.
TEST(JsonString, RandomBytes) {
  std::mt19937 rng(2028);
  const std::string interesting =
      "\x00\x01\x09\x0a\x1b\x1f\"\\/a \x7f\x80\x85\x9b\x9f\xa0\xa8\xa9\xbf\xc0\xc2\xc3\xdf\xe0\xe2\xed\xef\xf0\xf4\xf5\xff"s;
  for (int round = 0; round < 20'000; ++round) {
    std::string s(rng() % 40, '\0');
    for (char& c : s) c = rng() % 4 == 0 ? static_cast<char>(rng()) : interesting[rng() % interesting.size()];
    SCOPED_TRACE(testing::PrintToString(s));
    const std::string w = wire(s);
    ASSERT_EQ(w, nlohmann_dump(s));
    const std::string l = log(s);
    ASSERT_TRUE(nlohmann::json::accept(l)) << l;
    ASSERT_EQ(nlohmann::json::parse(l), nlohmann::json::parse(w));
    ASSERT_FALSE(has_raw_log_escapes(l)) << l;
  }
}

TEST(JsonString, AllBytesGiveValidJsonUnderBothPolicies) {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  EXPECT_EQ(wire(all), nlohmann_dump(all));
  EXPECT_TRUE(nlohmann::json::accept(log(all)));
}

}  // namespace
}  // namespace chatd::protocol
