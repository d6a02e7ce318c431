// line_splitter: every case must give the same frames however the input is cut into chunks.
#include "protocol/line_splitter.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

namespace chatd::protocol {
namespace {

using namespace std::string_literals;

// A frame copied out of the splitter (its view dies at the next call).
struct seen {
  frame_kind kind;
  std::string text;
  bool operator==(const seen&) const = default;
};

std::ostream& operator<<(std::ostream& os, const seen& s) {
  if (s.kind == frame_kind::too_long) return os << "<too_long>";
  return os << "line \"" << s.text << '"';
}

seen line(std::string text) { return {frame_kind::line, std::move(text)}; }
const seen too_long{frame_kind::too_long, {}};

// Feeds the chunks in order and collects every frame. Checks the memory bound after each call.
std::vector<seen> feed(line_splitter& splitter, const std::vector<std::string>& chunks) {
  std::vector<seen> out;
  for (const std::string& chunk : chunks) {
    std::string_view input = chunk;
    while (auto f = splitter.next(input)) {
      out.push_back({f->kind, std::string(f->text)});
      EXPECT_LE(splitter.buffered(), splitter.max_line_bytes() + 1);
    }
    EXPECT_TRUE(input.empty());
    EXPECT_LE(splitter.buffered(), splitter.max_line_bytes() + 1);
  }
  return out;
}

struct split_case {
  const char* name;
  std::size_t max;
  std::string input;
  std::vector<seen> frames;
  std::size_t buffered_after;  // bytes of an unfinished line left at the end
};

const split_case split_cases[] = {
    {"OneLineEndingInLf", 10, "hello\n", {line("hello")}, 0},
    {"OneLineEndingInCrLf", 10, "hello\r\n", {line("hello")}, 0},
    {"TwoLines", 10, "a\nb\r\n", {line("a"), line("b")}, 0},
    {"EmptyLines", 10, "\n\r\n", {line(""), line("")}, 0},
    {"CrNotBeforeLfIsKept", 10, "a\rb\n", {line("a\rb")}, 0},
    {"OnlyTheLastCrIsDropped", 10, "a\r\r\n", {line("a\r")}, 0},
    {"UnfinishedLineIsKept", 10, "partial", {}, 7},
    {"UnfinishedLineAfterALine", 10, "a\nbc", {line("a")}, 2},
    {"LineOfExactlyMaxBytes", 5, "abcde\n", {line("abcde")}, 0},
    {"LineOfExactlyMaxBytesWithCrLf", 5, "abcde\r\n", {line("abcde")}, 0},
    {"LineOfMaxPlusOneBytes", 5, "abcdef\n", {too_long}, 0},
    {"LineOfMaxPlusOneBytesWithCrLf", 5, "abcdef\r\n", {too_long}, 0},
    {"LongLineIsSkippedThroughItsLf", 5, "abcdefghij\nok\n", {too_long, line("ok")}, 0},
    {"LongLineWithoutLfIsReportedAtOnce", 5, "abcdefgh", {too_long}, 0},
    {"MaxBytesThenCrWaitsForTheNextByte", 5, "abcde\r", {}, 6},
    {"MaxBytesThenCrThenOtherByteIsTooLong", 5, "abcde\rX", {too_long}, 0},
    {"MaxBytesCrOtherByteIsSkippedThroughLf", 5, "abcde\rX\nok\n", {too_long, line("ok")}, 0},
    {"CrInsideALongLineDoesNotHelp", 3, "ab\r\rcd\nx\n", {too_long, line("x")}, 0},
    {"ZeroBoundAllowsOnlyEmptyLines", 0, "\n\r\nx\n\r\r\n", {line(""), line(""), too_long, too_long}, 0},
    {"SeveralLongLinesEachReportedOnce", 3, "aaaa\nbbbbbbbb\ncc\n",
     {too_long, too_long, line("cc")}, 0},
    {"LongLineThenUnfinishedLine", 3, "aaaaaaa\nab", {too_long}, 2},
    {"BinaryBytesPassThrough", 10, "\x00\xff\x1b[\n"s, {line("\x00\xff\x1b["s)}, 0},
};

void PrintTo(const split_case& c, std::ostream* os) { *os << c.name; }

class line_splitter_cases : public testing::TestWithParam<split_case> {};

TEST_P(line_splitter_cases, GivesTheSameFramesWhole) {
  const split_case& c = GetParam();
  line_splitter splitter(c.max);
  EXPECT_EQ(feed(splitter, {c.input}), c.frames);
  EXPECT_EQ(splitter.buffered(), c.buffered_after);
}

TEST_P(line_splitter_cases, GivesTheSameFramesByteByByte) {
  const split_case& c = GetParam();
  std::vector<std::string> bytes;
  for (char b : c.input) bytes.emplace_back(1, b);
  line_splitter splitter(c.max);
  EXPECT_EQ(feed(splitter, bytes), c.frames);
  EXPECT_EQ(splitter.buffered(), c.buffered_after);
}

TEST_P(line_splitter_cases, GivesTheSameFramesSplitAtEveryOffset) {
  const split_case& c = GetParam();
  for (std::size_t cut = 0; cut <= c.input.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    line_splitter splitter(c.max);
    EXPECT_EQ(feed(splitter, {c.input.substr(0, cut), c.input.substr(cut)}), c.frames);
    EXPECT_EQ(splitter.buffered(), c.buffered_after);
  }
}

TEST_P(line_splitter_cases, GivesTheSameFramesSplitAtEveryPairOfOffsets) {
  const split_case& c = GetParam();
  for (std::size_t a = 0; a <= c.input.size(); ++a) {
    for (std::size_t b = a; b <= c.input.size(); ++b) {
      SCOPED_TRACE("cuts at " + std::to_string(a) + " and " + std::to_string(b));
      line_splitter splitter(c.max);
      EXPECT_EQ(feed(splitter, {c.input.substr(0, a), c.input.substr(a, b - a), c.input.substr(b)}),
                c.frames);
      EXPECT_EQ(splitter.buffered(), c.buffered_after);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(LineSplitter, line_splitter_cases, testing::ValuesIn(split_cases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(LineSplitter, ReturnsAViewIntoTheInputWhenTheLineIsWhollyInIt) {
  line_splitter splitter(100);
  const std::string chunk = "first\r\nsecond\n";
  std::string_view input = chunk;
  auto f = splitter.next(input);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->text, "first");
  EXPECT_EQ(f->text.data(), chunk.data());
  f = splitter.next(input);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->text.data(), chunk.data() + 7);
  EXPECT_FALSE(splitter.next(input));
}

TEST(LineSplitter, AssemblesALineSpanningChunksAndForgetsItOnTheNextCall) {
  line_splitter splitter(100);
  std::string_view first = "hel";
  EXPECT_FALSE(splitter.next(first));
  EXPECT_EQ(splitter.buffered(), 3u);
  std::string_view second = "lo\r\n";
  auto f = splitter.next(second);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->text, "hello");
  EXPECT_FALSE(splitter.next(second));
  EXPECT_EQ(splitter.buffered(), 0u);
}

TEST(LineSplitter, KeepsAtMostMaxPlusOneBytesOfAHugeLineAndReportsItOnce) {
  constexpr std::size_t max = 4096;
  line_splitter splitter(max);
  const std::string chunk(64 * 1024 + 13, 'x');  // odd size so chunk edges move around
  int too_long_count = 0;
  std::size_t fed = 0;
  while (fed < 100u * 1024 * 1024) {
    std::string_view input = chunk;
    while (auto f = splitter.next(input)) {
      ASSERT_EQ(f->kind, frame_kind::too_long);
      ++too_long_count;
    }
    ASSERT_LE(splitter.buffered(), max + 1);
    fed += chunk.size();
  }
  EXPECT_EQ(too_long_count, 1);
  EXPECT_EQ(feed(splitter, {"still the same line\nnext\n"}), std::vector<seen>{line("next")});
}

TEST(LineSplitter, AppliesANewBoundFromTheNextByte) {
  line_splitter splitter(10);
  EXPECT_EQ(feed(splitter, {"abcdef"}), std::vector<seen>{});
  splitter.set_max_line_bytes(4);
  EXPECT_EQ(splitter.max_line_bytes(), 4u);
  EXPECT_EQ(feed(splitter, {"g\nabcd\n"}), (std::vector<seen>{too_long, line("abcd")}));
}

}  // namespace
}  // namespace chatd::protocol
