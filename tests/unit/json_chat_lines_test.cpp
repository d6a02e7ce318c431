// The msg and ok lines laid out in one pass: when the fast path applies, and that it writes
// exactly the size it announced. That its bytes are the documented ones is
// format_json_equivalence_test's job (encode takes this path for every plain line there).
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "protocol/format.hpp"
#include "protocol/json_chat_lines.hpp"
#include "protocol/json_string.hpp"

namespace chatd::protocol {
namespace {

constexpr timestamp_ms some_time = 1'795'312'595'123;  // 2026-11-22T01:56:35.123Z

template <typename Event>
std::string written(const Event& e) {
  std::string out(plain_json_size(e) + 8, '#');  // bytes past the line must stay untouched
  write_plain_json(out.data(), e);
  return out;
}

TEST(JsonChatLines, MsgLineIsWrittenAtItsAnnouncedSize) {
  const msg_event e{"lobby", "alice", "hello there", 42, some_time, false, false};
  ASSERT_EQ(plain_json_size(e), encode(e, output_format::json).size());
  EXPECT_EQ(written(e),
            std::string(R"({"type":"msg","room":"lobby","from":"alice","text":"hello there",)"
                        R"("seq":42,"ts":"2026-11-22T01:56:35.123Z","action":false})"
                        "\r\n########"));
}

TEST(JsonChatLines, ActionAndHistoryFields) {
  const msg_event e{"r", "b", "waves", 0, 0, true, true};
  EXPECT_EQ(written(e),
            std::string(R"({"type":"msg","room":"r","from":"b","text":"waves","seq":0,)"
                        R"("ts":"1970-01-01T00:00:00.000Z","action":true,"history":true})"
                        "\r\n########"));
}

TEST(JsonChatLines, OkLine) {
  const ok_say_event e{"lobby", 18'446'744'073'709'551'615u};
  ASSERT_EQ(plain_json_size(e), encode(e, output_format::json).size());
  EXPECT_EQ(written(e),
            std::string(R"({"type":"ok","cmd":"say","room":"lobby","seq":18446744073709551615})"
                        "\r\n########"));
}

TEST(JsonChatLines, AnyStringThatNeedsEscapingTakesTheGeneralEncoder) {
  const std::pair<std::string, bool> cases[] = {
      {"say \"hi\"", false},     {"back\\slash", false},     {"tab\there", false},
      {"caf\xC3\xA9", false},     {"\x7f is plain", true},     {"1234567\n", false},
      {"12345678\x01", false},    {"eight ch", true},          {"eight chars, then more", true},
  };
  for (const auto& [s, plain] : cases) {
    SCOPED_TRACE(s);
    EXPECT_EQ(is_plain_json(s), plain);
    EXPECT_EQ(plain_json_size(msg_event{"lobby", "bob", s, 1, some_time, false, false}) != 0,
              plain);
    EXPECT_EQ(plain_json_size(msg_event{s, "bob", "x", 1, some_time, false, false}) != 0, plain);
    EXPECT_EQ(plain_json_size(msg_event{"lobby", s, "x", 1, some_time, false, false}) != 0,
              plain);
    EXPECT_EQ(plain_json_size(ok_say_event{s, 1}) != 0, plain);
  }
  EXPECT_TRUE(is_plain_json(""));
  EXPECT_TRUE(is_plain_json(" ~"));
}

TEST(JsonChatLines, ASpecialByteIsFoundAtEveryOffset) {
  // Looked at 16 bytes, then 8, then one at a time: each position falls in each step somewhere.
  for (std::size_t size = 1; size <= 41; ++size) {
    const std::string plain(size, 'a');
    ASSERT_TRUE(is_plain_json(plain)) << size;
    for (std::size_t at = 0; at < size; ++at) {
      for (const char special : {'"', '\\', '\x00', '\x1f', '\x80', '\xff'}) {
        std::string s = plain;
        s[at] = special;
        ASSERT_FALSE(is_plain_json(s)) << "size " << size << " at " << at << " byte "
                                       << static_cast<int>(static_cast<unsigned char>(special));
      }
    }
  }
}

TEST(JsonChatLines, TimesOutsideFourDigitYearsTakeTheGeneralEncoder) {
  const auto size_at = [](timestamp_ms ts) {
    return plain_json_size(msg_event{"lobby", "bob", "x", 1, ts, false, false});
  };
  EXPECT_NE(size_at(0), 0u);
  EXPECT_NE(size_at(253'402'300'799'999), 0u);  // 9999-12-31T23:59:59.999Z
  EXPECT_EQ(size_at(253'402'300'800'000), 0u);  // year 10000
  EXPECT_EQ(size_at(-1), 0u);
}

}  // namespace
}  // namespace chatd::protocol
