// is_blank, trim_leading, trim_trailing, trim: space and TAB only.
#include "protocol/text.hpp"

#include <gtest/gtest.h>

namespace chatd::protocol {
namespace {

static_assert(trim(" \t a b \t ") == "a b");

TEST(Text, BlanksAreSpaceAndTabOnly) {
  EXPECT_TRUE(is_blank(' '));
  EXPECT_TRUE(is_blank('\t'));
  for (char c : {'\n', '\r', '\v', '\f', '\0', 'a', '\xA0'}) EXPECT_FALSE(is_blank(c)) << int(c);
}

TEST(Text, TrimsBlanksFromTheEndsOnly) {
  EXPECT_EQ(trim_leading(" \t a b \t "), "a b \t ");
  EXPECT_EQ(trim_trailing(" \t a b \t "), " \t a b");
  EXPECT_EQ(trim(" \t a b \t "), "a b");
  EXPECT_EQ(trim("\na\r"), "\na\r");
  for (std::string_view empty : {"", " ", "\t \t"}) {
    EXPECT_EQ(trim(empty), "");
    EXPECT_EQ(trim_leading(empty), "");
    EXPECT_EQ(trim_trailing(empty), "");
  }
}

}  // namespace
}  // namespace chatd::protocol
