// room_pattern: the /rooms PATTERN, a glob matched by fnmatch(3) against canonical room names.
#include "protocol/room_pattern.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace chatd::protocol {
namespace {

// The names of `names` that `typed` matches, in order.
std::vector<std::string> matching(std::string_view typed, const std::vector<std::string>& names) {
  const room_pattern pattern(typed);
  std::vector<std::string> out;
  for (const std::string& name : names)
    if (pattern.matches(name)) out.push_back(name);
  return out;
}

const std::vector<std::string> names{"adev", "alpha", "beta", "dev", "dev-ops", "dev_1", "deev",
                                     "delta", "42", "lobby"};

TEST(RoomPattern, NoPatternMatchesEveryRoomWithoutFnmatch) {
  EXPECT_TRUE(room_pattern().matches_all());
  EXPECT_TRUE(room_pattern("").matches_all());
  EXPECT_EQ(matching("", names), names);
}

TEST(RoomPattern, StarsAloneMatchEveryRoom) {
  EXPECT_TRUE(room_pattern("*").matches_all());
  EXPECT_TRUE(room_pattern("#**").matches_all());
  EXPECT_EQ(matching("*", names), names);
}

TEST(RoomPattern, StarMatchesAnyRun) {
  EXPECT_EQ(matching("dev*", names), (std::vector<std::string>{"dev", "dev-ops", "dev_1"}));
  EXPECT_EQ(matching("*ta", names), (std::vector<std::string>{"beta", "delta"}));
  EXPECT_EQ(matching("*v*", names),
            (std::vector<std::string>{"adev", "dev", "dev-ops", "dev_1", "deev"}));
  EXPECT_FALSE(room_pattern("dev*").matches_all());
}

TEST(RoomPattern, QuestionMarkMatchesOneCharacter) {
  EXPECT_EQ(matching("d?v", names), (std::vector<std::string>{"dev"}));
  EXPECT_EQ(matching("??", names), (std::vector<std::string>{"42"}));
}

TEST(RoomPattern, BracketsMatchOneOfASet) {
  EXPECT_EQ(matching("[ab]*", names), (std::vector<std::string>{"adev", "alpha", "beta"}));
  EXPECT_EQ(matching("[0-9]*", names), (std::vector<std::string>{"42"}));
  EXPECT_EQ(matching("dev[!-]*", names), (std::vector<std::string>{"dev_1"}));
}

TEST(RoomPattern, WithoutWildcardsIsTheExactName) {
  EXPECT_EQ(matching("dev", names), (std::vector<std::string>{"dev"}));
  EXPECT_EQ(matching("de", names), (std::vector<std::string>{}));
}

TEST(RoomPattern, IgnoresCaseAndALeadingHashLikeRoomNames) {
  EXPECT_EQ(matching("#DEV", names), (std::vector<std::string>{"dev"}));
  EXPECT_EQ(matching("De?-OPS", names), (std::vector<std::string>{"dev-ops"}));
  EXPECT_EQ(matching("[A-B]*", names), (std::vector<std::string>{"adev", "alpha", "beta"}));
  EXPECT_EQ(room_pattern("#Dev*").text(), "dev*");
}

TEST(RoomPattern, OnlyOneLeadingHashIsDropped) {
  EXPECT_EQ(matching("##dev", names), (std::vector<std::string>{}));
  EXPECT_EQ(matching("#", names), (std::vector<std::string>{}));  // no room's name is empty
}

TEST(RoomPattern, BackslashQuotesTheNextCharacter) {
  EXPECT_EQ(matching("\\dev", names), (std::vector<std::string>{"dev"}));
  EXPECT_EQ(matching("dev\\*", names), (std::vector<std::string>{}));  // a literal '*'
}

TEST(RoomPattern, MalformedPatternsMatchLiterallyOrNotAtAll) {
  // An unclosed '[' is an ordinary character to glibc; a trailing '\' matches nothing.
  EXPECT_TRUE(room_pattern("[abc").matches("[abc"));
  EXPECT_EQ(matching("[abc", names), (std::vector<std::string>{}));
  EXPECT_EQ(matching("dev\\", names), (std::vector<std::string>{}));
  EXPECT_EQ(matching("caf\xc3\xa9*", names), (std::vector<std::string>{}));
}

}  // namespace
}  // namespace chatd::protocol
