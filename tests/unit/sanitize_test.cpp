// sanitize: every class of bad input byte, and the guarantees on its output.
#include "protocol/sanitize.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <string>

namespace chatd::protocol {
namespace {

using namespace std::string_literals;

const std::string fffd = "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

struct sanitize_case {
  const char* name;
  std::string input;
  std::string expected;
};

// Adjacent literals ("\xFF" "ab") keep a hex escape from swallowing the letters after it.
const sanitize_case sanitize_cases[] = {
    // Kept as is.
    {"PlainAsciiIsKept", "hello, world!", "hello, world!"},
    {"TabIsKept", "a\tb", "a\tb"},
    {"ValidMultibyteIsKept", "h\xC3\xA9llo \xE2\x9C\x93 \xF0\x9F\x98\x80", "h\xC3\xA9llo \xE2\x9C\x93 \xF0\x9F\x98\x80"},
    {"NoBreakSpaceIsNotC1", "\xC2\xA0", "\xC2\xA0"},
    {"BoundaryCodePointsAreKept",
     "\xED\x9F\xBF\xEE\x80\x80\xEF\xBF\xBF\xF0\x90\x80\x80\xF4\x8F\xBF\xBF",
     "\xED\x9F\xBF\xEE\x80\x80\xEF\xBF\xBF\xF0\x90\x80\x80\xF4\x8F\xBF\xBF"},
    {"ReplacementCharacterIsKept", fffd, fffd},
    {"EmptyStaysEmpty", "", ""},

    // Telnet.
    {"TelnetIacIacIsRemoved", "a\xFF\xFF" "b", "ab"},
    {"TelnetTwoByteCommandIsRemoved", "a\xFF\xF1" "b\xFF\xF9" "c\xFF\xF0" "d", "abcd"},
    {"TelnetWillIsRemoved", "a\xFF\xFB\x01" "b", "ab"},
    {"TelnetWontIsRemoved", "a\xFF\xFC\x01" "b", "ab"},
    {"TelnetDoIsRemoved", "a\xFF\xFD\x03" "b", "ab"},
    {"TelnetDontIsRemoved", "a\xFF\xFE\x22" "b", "ab"},
    {"TelnetSubnegotiationIsRemoved", "a\xFF\xFA\x18\x00" "xterm\xFF\xF0" "b"s, "ab"},
    {"TelnetSubnegotiationWithEscapedIacIsRemoved", "\xFF\xFA\x01\xFF\xFF\xF0" "zz\xFF\xF0" "b", "b"},
    {"TelnetUnterminatedSubnegotiationRunsToEndOfLine", "a\xFF\xFA\x18" "abc", "a"},
    {"TelnetIacAtEndOfLineIsRemoved", "a\xFF", "a"},
    {"TelnetWillWithoutOptionIsRemoved", "a\xFF\xFB", "a"},
    {"TelnetIacBeforeNonCommandDropsOnlyTheIac", "a\xFF" "Ab", "aAb"},
    {"TelnetIsRemovedBeforeUtf8Decoding", "\xC3\xFF\xF1\xA9", "\xC3\xA9"},

    // ANSI / VT escape sequences.
    {"CsiColoursAreRemoved", "\x1b[31mred\x1b[0m", "red"},
    {"CsiScreenClearIsRemoved", "\x1b[2J\x1b[H", ""},
    {"CsiPrivateModeIsRemoved", "a\x1b[?25l" "b", "ab"},
    {"CsiWithIntermediateIsRemoved", "a\x1b[1 q" "b", "ab"},
    {"CsiWithControlInsideIsRemoved", "\x1b[3\x01" "1mX", "X"},
    {"CsiCutShortByNonAsciiKeepsTheText", "\x1b[31\xC3\xA9", "\xC3\xA9"},
    {"UnterminatedCsiRunsToEndOfLine", "a\x1b[12;", "a"},
    {"CanCancelsACsi", "\x1b[1\x18" "hello", "hello"},
    {"SubCancelsAString", "\x1b]0;t\x1A" "hello", "hello"},
    {"OscEndedByBelIsRemoved", "\x1b]0;title\x07" "after", "after"},
    {"OscEndedBySt7BitIsRemoved", "\x1b]8;;http://x/\x1b\\link\x1b]8;;\x1b\\", "link"},
    {"OscEndedByOtherEscapeIsRemoved", "\x1b]0;t\x1b[31mX", "X"},
    {"UnterminatedOscRunsToEndOfLine", "a\x1b]0;title", "a"},
    {"DcsIsRemoved", "\x1bPq#0;2;0;0;0\x1b\\ok", "ok"},
    {"SosIsRemoved", "\x1bXsos\x1b\\ok", "ok"},
    {"PmIsRemoved", "\x1b^pm\x07ok", "ok"},
    {"ApcIsRemoved", "\x1b_apc\x1b\\ok", "ok"},
    {"TwoCharacterEscapesAreRemoved", "\x1b" "7save\x1b" "8\x1b" "c", "save"},
    {"CharsetDesignationIsRemoved", "\x1b(Bx\x1b)0y", "xy"},
    {"Ss3WithItsCharacterIsRemoved", "\x1bOA\x1bOB", ""},
    {"LoneEscAtEndOfLineIsRemoved", "abc\x1b", "abc"},
    {"DoubleEscIsRemoved", "\x1b\x1b[31mX", "X"},
    {"EscBeforeNonAsciiKeepsTheText", "\x1b\xC3\xA9", "\xC3\xA9"},
    {"EscBeforeControlIsRemoved", "\x1b\x01" "a", "a"},

    // C0, DEL and C1 controls.
    {"NulIsRemoved", "a\x00" "b"s, "ab"},
    {"BellIsRemoved", "a\x07" "b", "ab"},
    {"BackspaceIsRemoved", "ab\x08\x08xy", "abxy"},
    {"CrAndLfAreRemoved", "a\rb\nc", "abc"},
    {"DelIsRemoved", "a\x7F" "b", "ab"},
    {"C1NextLineIsRemoved", "a\xC2\x85" "b", "ab"},
    {"StandaloneC1AreRemoved", "a\xC2\x80\xC2\x85\xC2\x99" "b", "ab"},
    {"C1CsiSequenceIsRemoved", "\xC2\x9B" "31mX", "X"},
    {"C1OscSequenceIsRemoved", "\xC2\x9D" "0;t\x07X", "X"},
    {"C1OscEndedByC1StIsRemoved", "\xC2\x9D" "0;t\xC2\x9CX", "X"},
    {"C1DcsSequenceIsRemoved", "\xC2\x90" "q\x1b\\X", "X"},
    {"RawC1ByteIsInvalidUtf8", "\x9B" "31m", fffd + "31m"},

    // Invalid UTF-8, one U+FFFD per maximal subpart.
    {"LoneContinuationBytes", "\x80\xBF", repeat(fffd, 2)},
    {"OverlongTwoByteC0", "\xC0\xAF", repeat(fffd, 2)},
    {"OverlongTwoByteC1", "\xC1\xBF", repeat(fffd, 2)},
    {"OverlongThreeByte", "\xE0\x80\xAF", repeat(fffd, 3)},
    {"OverlongThreeByteHigh", "\xE0\x9F\xBF", repeat(fffd, 3)},
    {"OverlongFourByte", "\xF0\x8F\xBF\xBF", repeat(fffd, 4)},
    {"HighSurrogate", "\xED\xA0\x80", repeat(fffd, 3)},
    {"LowSurrogate", "\xED\xBF\xBF", repeat(fffd, 3)},
    {"PastMaxCodePoint", "\xF4\x90\x80\x80", repeat(fffd, 4)},
    {"LeadF5", "\xF5\x80\x80\x80", repeat(fffd, 4)},
    {"FiveByteForm", "\xF8\x88\x80\x80\x80", repeat(fffd, 5)},
    {"TruncatedTwoByteAtEnd", "a\xC3", "a" + fffd},
    {"TruncatedThreeByteBeforeAscii", "\xE2\x82x", fffd + "x"},
    {"TruncatedFourByteAtEnd", "\xF0\x9F\x98", fffd},
    {"TruncatedBeforeValid", "\xE2\x82\xE2\x82\xAC", fffd + "\xE2\x82\xAC"},
    {"UnicodeTable3_8Example", "\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64",
     "a" + repeat(fffd, 3) + "b" + fffd + "c" + repeat(fffd, 2) + "d"},
    {"EncodedC1BehindInvalidByteIsStillRemoved", "\xC3\xC2\x9B" "1mX", fffd + "X"},
};

void PrintTo(const sanitize_case& c, std::ostream* os) { *os << c.name; }

class sanitize_cases_test : public testing::TestWithParam<sanitize_case> {};

TEST_P(sanitize_cases_test, GivesTheExpectedSafeText) {
  const sanitize_case& c = GetParam();
  const std::string out = sanitize(c.input);
  EXPECT_EQ(out, c.expected);
  EXPECT_TRUE(is_valid_utf8(out));
}

INSTANTIATE_TEST_SUITE_P(Sanitize, sanitize_cases_test, testing::ValuesIn(sanitize_cases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Sanitize, RemovesEveryC0ControlButTab) {
  // A non-ASCII letter after the control, so that not even ESC takes it along.
  for (int b = 0; b < 0x20; ++b) {
    const std::string in = "a"s + static_cast<char>(b) + "\xC3\xA9";
    EXPECT_EQ(sanitize(in), b == '\t' ? in : "a\xC3\xA9") << "byte " << b;
  }
}

TEST(Sanitize, RemovesEveryC1Control) {
  for (int cp = 0x80; cp <= 0x9F; ++cp) {
    const std::string encoded{static_cast<char>(0xC2), static_cast<char>(cp)};
    // BEL ends a string the control may start and "m" a CSI, so the final "b" is always shown.
    const std::string out = sanitize("a" + encoded + "\x07" "mb");
    EXPECT_EQ(out.front(), 'a') << "U+" << std::hex << cp;
    EXPECT_EQ(out.back(), 'b') << "U+" << std::hex << cp;
    EXPECT_EQ(out.find('\xC2'), std::string::npos) << "U+" << std::hex << cp;
  }
}

// The promise every caller relies on: valid UTF-8, no C0 but TAB, no DEL, no C1, no ESC.
void expect_safe(const std::string& in) {
  const std::string out = sanitize(in);
  ASSERT_TRUE(is_valid_utf8(out)) << testing::PrintToString(in);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto b = static_cast<unsigned char>(out[i]);
    ASSERT_FALSE((b < 0x20 && b != '\t') || b == 0x7F) << testing::PrintToString(in);
    if (b == 0xC2 && i + 1 < out.size()) {
      ASSERT_FALSE(static_cast<unsigned char>(out[i + 1]) <= 0x9F) << testing::PrintToString(in);
    }
  }
}

TEST(Sanitize, GivesSafeOutputForEveryTwoByteInput) {
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) expect_safe({static_cast<char>(a), static_cast<char>(b)});
  }
}

TEST(Sanitize, GivesSafeOutputForRandomInput) {
  std::mt19937 rng(12345);
  // Bytes that start or continue sequences are over-represented so the interesting paths run.
  const std::string alphabet = "a\t\x1b[]P\\\x07;0\x7F\x80\x9B\xBF\xC2\xC3\xE0\xED\xF0\xF4\xFF\xFA\xF0\xFB"s;
  for (int n = 0; n < 100'000; ++n) {
    std::string in(rng() % 16, '\0');
    for (char& c : in) c = (rng() % 4 == 0) ? static_cast<char>(rng()) : alphabet[rng() % alphabet.size()];
    expect_safe(in);
  }
}

struct utf8_case {
  std::string text;
  bool valid;
};

TEST(IsValidUtf8, AcceptsWellFormedAndRejectsEveryIllFormedClass) {
  const utf8_case cases[] = {
      {"", true},
      {"ascii", true},
      {"\xC3\xA9", true},
      {"\xE2\x82\xAC", true},
      {"\xF0\x9F\x98\x80", true},
      {"\xF4\x8F\xBF\xBF", true},
      {"\xEF\xBF\xBD", true},
      {"\x00"s, true},
      {"\x80", false},
      {"\xC0\x80", false},
      {"\xC1\xBF", false},
      {"\xE0\x9F\xBF", false},
      {"\xED\xA0\x80", false},
      {"\xF0\x8F\xBF\xBF", false},
      {"\xF4\x90\x80\x80", false},
      {"\xF5\x80\x80\x80", false},
      {"\xFF", false},
      {"\xC3", false},
      {"\xE2\x82", false},
      {"a\xF0\x9F\x98", false},
  };
  for (const utf8_case& c : cases) {
    EXPECT_EQ(is_valid_utf8(c.text), c.valid) << testing::PrintToString(c.text);
  }
}

// nlohmann::json validates UTF-8 with its own decoder: a second opinion on random byte strings.
TEST(IsValidUtf8, AgreesWithAnIndependentDecoder) {
  std::mt19937 rng(777);
  const std::string alphabet = "a\x80\x8F\x90\x9F\xA0\xBF\xC1\xC2\xDF\xE0\xE1\xED\xEE\xEF\xF0\xF1\xF4\xF5"s;
  for (int n = 0; n < 50'000; ++n) {
    std::string in(rng() % 8, '\0');
    for (char& c : in) c = alphabet[rng() % alphabet.size()];
    bool reference = true;
    try {
      (void)nlohmann::json(in).dump();
    } catch (const nlohmann::json::type_error&) {
      reference = false;
    }
    ASSERT_EQ(is_valid_utf8(in), reference) << testing::PrintToString(in);
  }
}

}  // namespace
}  // namespace chatd::protocol

// The fast path looks at 16 bytes, then 8, then one at a time: a byte to clean is found at any
// offset, and a TAB (kept) anywhere does not stop a plain line from being kept as it is.
TEST(Sanitize, BytesToCleanAreFoundAtEveryOffset) {
  for (std::size_t size = 1; size <= 41; ++size) {
    const std::string plain(size, 'a');
    for (std::size_t at = 0; at < size; ++at) {
      for (const char bad : {'\x01', '\x1b', '\x7f'}) {
        std::string s = plain;
        s[at] = bad;
        ASSERT_EQ(chatd::protocol::sanitize(s).find(bad), std::string::npos)
            << "size " << size << " at " << at << " byte " << static_cast<int>(bad);
      }
      std::string with_tab = plain;
      with_tab[at] = '\t';
      ASSERT_EQ(chatd::protocol::sanitize(with_tab), with_tab) << "size " << size << " at " << at;
    }
  }
}
