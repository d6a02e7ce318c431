// decode_utf8: well-formed sequences of every length, every ill-formed class of Unicode's table
// 3-7 and how many U+FFFD each one is worth (the maximal subpart), and append_utf8 back.
#include "protocol/utf8.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace chatd::protocol {
namespace {

using namespace std::string_literals;

// The code points of `s` as a replacing decoder sees them.
std::vector<char32_t> decode_all(std::string_view s) {
  std::vector<char32_t> out;
  for (std::size_t i = 0; i < s.size();) {
    const utf8_sequence seq = decode_utf8(s, i);
    EXPECT_GE(seq.length, 1u);
    EXPECT_LE(i + seq.length, s.size());
    out.push_back(seq.code_point);
    i += seq.length;
  }
  return out;
}

constexpr char32_t fffd = replacement_character;

static_assert(decode_utf8("\xE2\x82\xAC", 0).code_point == 0x20AC);
static_assert(!decode_utf8("\xC0\xAF", 0).valid);

struct valid_case {
  std::string bytes;
  char32_t code_point;
};

TEST(DecodeUtf8, DecodesWellFormedSequencesOfEveryLength) {
  const valid_case cases[] = {
      {"\x00"s, 0x00},       {"A", 0x41},
      {"\x7F", 0x7F},        {"\xC2\x80", 0x80},
      {"\xC3\xA9", 0xE9},    {"\xDF\xBF", 0x7FF},
      {"\xE0\xA0\x80", 0x800}, {"\xE2\x82\xAC", 0x20AC},
      {"\xED\x9F\xBF", 0xD7FF}, {"\xEE\x80\x80", 0xE000},
      {"\xEF\xBF\xBD", 0xFFFD}, {"\xEF\xBF\xBF", 0xFFFF},
      {"\xF0\x90\x80\x80", 0x10000}, {"\xF0\x9F\x98\x80", 0x1F600},
      {"\xF3\xBF\xBF\xBF", 0xFFFFF}, {"\xF4\x8F\xBF\xBF", 0x10FFFF},
  };
  for (const valid_case& c : cases) {
    SCOPED_TRACE(testing::PrintToString(c.bytes));
    const utf8_sequence seq = decode_utf8(c.bytes, 0);
    EXPECT_TRUE(seq.valid);
    EXPECT_EQ(seq.code_point, c.code_point);
    EXPECT_EQ(seq.length, c.bytes.size());
  }
}

TEST(DecodeUtf8, StartsAtTheGivenIndexAndStopsAtTheSequenceEnd) {
  const std::string s = "a\xC3\xA9\xE2\x82\xAC" "b";
  EXPECT_EQ(decode_utf8(s, 1).code_point, 0xE9u);
  EXPECT_EQ(decode_utf8(s, 1).length, 2u);
  EXPECT_EQ(decode_utf8(s, 3).code_point, 0x20ACu);
  EXPECT_EQ(decode_utf8(s, 3).length, 3u);
  EXPECT_EQ(decode_utf8(s, 6).code_point, U'b');
  // A view that ends inside a sequence cuts it short even if the bytes go on in memory.
  EXPECT_FALSE(decode_utf8(std::string_view(s).substr(0, 5), 3).valid);
}

struct ill_formed_case {
  const char* what;
  std::string bytes;
  std::size_t length;  // the maximal subpart at the start: what one U+FFFD stands for
};

TEST(DecodeUtf8, CoversTheMaximalSubpartOfEachIllFormedSequence) {
  const ill_formed_case cases[] = {
      {"lone continuation", "\x80", 1},
      {"lone continuation (last)", "\xBF", 1},
      {"C0 lead (overlong 2-byte)", "\xC0\xAF", 1},
      {"C1 lead (overlong 2-byte)", "\xC1\xBF", 1},
      {"F5 lead (past U+10FFFF)", "\xF5\x80\x80\x80", 1},
      {"F8 lead", "\xF8\x88\x80\x80\x80", 1},
      {"FE", "\xFE", 1},
      {"FF", "\xFF", 1},
      {"overlong 3-byte E0 80", "\xE0\x80\xAF", 1},
      {"overlong 3-byte E0 9F", "\xE0\x9F\xBF", 1},
      {"overlong 4-byte F0 80", "\xF0\x80\x80\xAF", 1},
      {"overlong 4-byte F0 8F", "\xF0\x8F\xBF\xBF", 1},
      {"high surrogate", "\xED\xA0\x80", 1},
      {"low surrogate", "\xED\xBF\xBF", 1},
      {"past U+10FFFF", "\xF4\x90\x80\x80", 1},
      {"2-byte, end of text", "\xC3", 1},
      {"3-byte, end of text after 1", "\xE2", 1},
      {"3-byte, end of text after 2", "\xE2\x82", 2},
      {"4-byte, end of text after 3", "\xF0\x9F\x98", 3},
      {"E0 A0, end of text", "\xE0\xA0", 2},
      {"ED 9F, end of text", "\xED\x9F", 2},
      {"F4 8F BF, end of text", "\xF4\x8F\xBF", 3},
      {"2-byte broken by ASCII", "\xC3" "a", 1},
      {"2-byte broken by a lead", "\xC3\xC3\xA9", 1},
      {"3-byte broken after 2", "\xE2\x82" "x", 2},
      {"3-byte broken by a lead", "\xE2\x82\xE2\x82\xAC", 2},
      {"4-byte broken after 3", "\xF0\x9F\x98" "\"", 3},
      {"4-byte broken after 2", "\xF0\x9F\xC3\xA9", 2},
      {"broken by NUL", "\xC3\x00"s, 1},
  };
  for (const ill_formed_case& c : cases) {
    SCOPED_TRACE(c.what);
    const utf8_sequence seq = decode_utf8(c.bytes, 0);
    EXPECT_FALSE(seq.valid);
    EXPECT_EQ(seq.code_point, fffd);
    EXPECT_EQ(seq.length, c.length);
  }
}

TEST(DecodeUtf8, GivesOneReplacementPerMaximalSubpart) {
  // Unicode 15, table 3-8 (U+FFFD for maximal subparts).
  EXPECT_EQ(decode_all("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64"),
            (std::vector<char32_t>{'a', fffd, fffd, fffd, 'b', fffd, 'c', fffd, fffd, 'd'}));
  // Each byte of a sequence that table 3-7 rules out at its second byte is one U+FFFD.
  EXPECT_EQ(decode_all("\xE0\x80\xAF"), (std::vector<char32_t>{fffd, fffd, fffd}));
  EXPECT_EQ(decode_all("\xED\xA0\x80"), (std::vector<char32_t>{fffd, fffd, fffd}));
  EXPECT_EQ(decode_all("\xF0\x80\x80\x80"), (std::vector<char32_t>{fffd, fffd, fffd, fffd}));
  EXPECT_EQ(decode_all("\xF4\x90\x80\x80"), (std::vector<char32_t>{fffd, fffd, fffd, fffd}));
  EXPECT_EQ(decode_all("\xC0\xAF"), (std::vector<char32_t>{fffd, fffd}));
  // A cut-short sequence is one U+FFFD, and the byte that cut it is read again.
  EXPECT_EQ(decode_all("\xF0\x9F\x98"), (std::vector<char32_t>{fffd}));
  EXPECT_EQ(decode_all("\xE2\x82\xE2\x82\xAC"), (std::vector<char32_t>{fffd, 0x20AC}));
  EXPECT_EQ(decode_all("\xC3\xC3\xA9"), (std::vector<char32_t>{fffd, 0xE9}));
}

// Every string of up to 3 bytes from an alphabet of the bytes where the rules change: decoding
// never reads past the end, always advances, and a valid sequence encodes back to its bytes.
TEST(DecodeUtf8, IsTotalAndRoundTripsThroughAppendUtf8) {
  const std::string alphabet =
      "\x00\x41\x7F\x80\x8F\x90\x9F\xA0\xBF\xC0\xC1\xC2\xDF\xE0\xE1\xEC\xED\xEE\xEF\xF0\xF1\xF3"
      "\xF4\xF5\xFF"s;
  std::vector<std::string> inputs{""};
  for (int len = 1; len <= 3; ++len) {
    std::vector<std::string> longer;
    for (const std::string& prefix : inputs) {
      if (prefix.size() + 1 != static_cast<std::size_t>(len)) continue;
      for (char c : alphabet) longer.push_back(prefix + c);
    }
    inputs.insert(inputs.end(), longer.begin(), longer.end());
  }
  for (const std::string& in : inputs) {
    for (std::size_t i = 0; i < in.size();) {
      const utf8_sequence seq = decode_utf8(in, i);
      ASSERT_GE(seq.length, 1u);
      ASSERT_LE(i + seq.length, in.size()) << testing::PrintToString(in);
      if (seq.valid) {
        std::string back;
        append_utf8(back, seq.code_point);
        ASSERT_EQ(back, in.substr(i, seq.length)) << testing::PrintToString(in);
      } else {
        ASSERT_EQ(seq.code_point, fffd);
      }
      i += seq.length;
    }
  }
}

TEST(AppendUtf8, EncodesEveryLength) {
  std::string out;
  for (char32_t cp : {U'\0', U'A', char32_t{0x7F}, char32_t{0x80}, char32_t{0x7FF}, char32_t{0x800},
                      char32_t{0xFFFF}, char32_t{0x10000}, char32_t{0x10FFFF}}) {
    append_utf8(out, cp);
  }
  EXPECT_EQ(out,
            "\x00" "A\x7F\xC2\x80\xDF\xBF\xE0\xA0\x80\xEF\xBF\xBF\xF0\x90\x80\x80\xF4\x8F\xBF\xBF"s);
}

TEST(IsValidUtf8, FindsABadByteAtAnyOffsetOfALongAsciiText) {
  // The ASCII fast path reads eight bytes at a time: every offset, and sequences across words.
  for (std::size_t at = 0; at < 40; ++at) {
    std::string text(40, 'a');
    text[at] = '\xFF';
    EXPECT_FALSE(is_valid_utf8(text)) << at;
    std::string good(40, 'a');
    good.replace(at, 2, "\xC3\xA9");
    EXPECT_TRUE(is_valid_utf8(good)) << at;
    std::string cut(at + 1, 'a');
    cut.back() = '\xC3';  // a two-byte sequence cut at the end
    EXPECT_FALSE(is_valid_utf8(cut)) << at;
  }
  EXPECT_TRUE(is_valid_utf8(""));
}

}  // namespace
}  // namespace chatd::protocol
