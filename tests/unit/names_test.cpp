// Nickname and room-name rules, and the wire spelling of error codes.
#include "protocol/names.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>

#include "protocol/error_code.hpp"

namespace chatd::protocol {
namespace {

struct nick_case {
  std::string nick;
  std::size_t max;
  bool valid;
};

TEST(IsValidNick, AcceptsLettersDigitsUnderscoreAndDashStartingWithALetter) {
  const nick_case cases[] = {
      {"alice", 24, true},
      {"A", 24, true},
      {"Bob_the-2nd", 24, true},
      {"z9", 24, true},
      {std::string(24, 'a'), 24, true},
      {std::string(25, 'a'), 24, false},
      {"abc", 3, true},
      {"abcd", 3, false},
      {"", 24, false},
      {"1abc", 24, false},
      {"_abc", 24, false},
      {"-abc", 24, false},
      {"al ice", 24, false},
      {"al.ice", 24, false},
      {"al#ice", 24, false},
      {"alice\t", 24, false},
      {"\xC3\xA9mile", 24, false},
      {"caf\xC3\xA9", 24, false},
  };
  for (const nick_case& c : cases) {
    EXPECT_EQ(is_valid_nick(c.nick, c.max), c.valid) << '"' << c.nick << "\" max " << c.max;
  }
}

TEST(FoldCase, LowersAsciiLettersOnly) {
  EXPECT_EQ(fold_case("AbC-_09z"), "abc-_09z");
  EXPECT_EQ(fold_case(""), "");
  EXPECT_EQ(fold_case("\xC3\x89T\xC3\x89"), "\xC3\x89t\xC3\x89");  // É stays, T folds
}

struct room_case {
  std::string name;
  std::optional<std::string> canonical;
};

TEST(NormalizeRoom, FoldsValidNamesAndRejectsInvalidOnes) {
  const room_case cases[] = {
      {"lobby", "lobby"},
      {"#lobby", "lobby"},
      {"#Lobby", "lobby"},
      {"DEV-ops_2", "dev-ops_2"},
      {"9", "9"},
      {"-", "-"},
      {std::string(32, 'r'), std::string(32, 'r')},
      {"#" + std::string(32, 'r'), std::string(32, 'r')},
      {std::string(33, 'r'), std::nullopt},
      {"", std::nullopt},
      {"#", std::nullopt},
      {"##lobby", std::nullopt},
      {"lob#by", std::nullopt},
      {"lob by", std::nullopt},
      {"a b", std::nullopt},
      {"lobby.", std::nullopt},
      {"caf\xC3\xA9", std::nullopt},
  };
  for (const room_case& c : cases) {
    EXPECT_EQ(normalize_room(c.name), c.canonical) << '"' << c.name << '"';
  }
}

TEST(NameToken, AcceptsOneToMaxLenOfTheCharactersNatsNamesAllow) {
  EXPECT_TRUE(is_name_token("chat-1_A", 8));
  EXPECT_TRUE(is_name_token(std::string(64, 'n'), 64));
  EXPECT_FALSE(is_name_token(std::string(65, 'n'), 64));
  EXPECT_FALSE(is_name_token("", 64));
  for (const char* bad : {"a.b", "a*", "a>", "a b", "a/b", "a\\b", "caf\xc3\xa9"}) {
    EXPECT_FALSE(is_name_token(bad, 64)) << bad;
  }
}

TEST(Epoch, AcceptsOneTo32OfTheUrlSafeCharacters) {
  EXPECT_TRUE(is_valid_epoch("a"));
  EXPECT_TRUE(is_valid_epoch("Az09_-"));
  EXPECT_TRUE(is_valid_epoch(std::string(32, 'Z')));
  EXPECT_FALSE(is_valid_epoch(""));
  EXPECT_FALSE(is_valid_epoch(std::string(33, 'Z')));
  EXPECT_FALSE(is_valid_epoch("ab.c"));
  EXPECT_FALSE(is_valid_epoch("ab c"));
  EXPECT_FALSE(is_valid_epoch("\xc3\xa9"));
}

TEST(Epoch, ADerivedEpochIsValidTheSameForTheSameSeedAndFixed) {
  const std::string a = derived_epoch("1764690000123456789\ndev");
  EXPECT_TRUE(is_valid_epoch(a));
  EXPECT_EQ(a, derived_epoch("1764690000123456789\ndev"));
  EXPECT_NE(a, derived_epoch("1764690000123456789\ndev2"));
  EXPECT_NE(a, derived_epoch("1764690000123456790\ndev"));
  // Nodes of different builds must agree: the hash is FNV-1a 64, not std::hash.
  EXPECT_EQ(derived_epoch(""), epoch_token(14695981039346656037ULL));
}

TEST(Epoch, TokensAreValidAndTellTheirBitsApart) {
  std::set<std::string> seen;
  for (std::uint64_t bits : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{63},
                             std::uint64_t{64}, UINT64_MAX, UINT64_MAX - 1,
                             std::uint64_t{0x8000000000000000}}) {
    const std::string token = epoch_token(bits);
    EXPECT_EQ(token.size(), 11u);
    EXPECT_TRUE(is_valid_epoch(token)) << token;
    seen.insert(token);
  }
  EXPECT_EQ(seen.size(), 7u);
}

TEST(ErrorCode, HasTheDocumentedWireSpelling) {
  const std::pair<error_code, std::string_view> cases[] = {
      {error_code::not_registered, "not-registered"},
      {error_code::bad_argument, "bad-argument"},
      {error_code::unknown_command, "unknown-command"},
      {error_code::nick_invalid, "nick-invalid"},
      {error_code::nick_taken, "nick-taken"},
      {error_code::room_invalid, "room-invalid"},
      {error_code::too_many_rooms, "too-many-rooms"},
      {error_code::server_rooms_full, "server-rooms-full"},
      {error_code::not_in_room, "not-in-room"},
      {error_code::no_room, "no-room"},
      {error_code::no_such_nick, "no-such-nick"},
      {error_code::no_such_room, "no-such-room"},
      {error_code::line_too_long, "line-too-long"},
      {error_code::too_many_connections, "too-many-connections"},
      {error_code::unavailable, "unavailable"},
  };
  for (const auto& [code, spelling] : cases) EXPECT_EQ(to_string(code), spelling);
  EXPECT_EQ(std::size(cases), std::size(all_error_codes));
}

TEST(ErrorCode, ListsEveryCodeOnceWithDistinctSpellings) {
  std::set<std::string_view> spellings;
  for (error_code code : all_error_codes) spellings.insert(to_string(code));
  EXPECT_EQ(spellings.size(), std::size(all_error_codes));
  EXPECT_EQ(spellings.count("unknown"), 0u);
}

}  // namespace
}  // namespace chatd::protocol
