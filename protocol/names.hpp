// Nickname and room-name rules.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace chatd::protocol {

// The characters of nicknames, epochs and the names chatd gives itself in NATS: [A-Za-z0-9_-].
// Locale-free on purpose: names are ASCII by rule, and std::isalnum would depend on the C locale.
constexpr bool is_name_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// 1..max_len of is_name_char: safe in NATS subjects, stream and bucket names, and log lines.
bool is_name_token(std::string_view text, std::size_t max_len) noexcept;

// A nickname is 1..max_len of [A-Za-z0-9_-] and starts with a letter.
bool is_valid_nick(std::string_view nick, std::size_t max_len) noexcept;

// ASCII lower-case; nicknames are unique under this folding.
constexpr char fold_char(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
std::string fold_case(std::string_view text);

// A room name is an optional '#' then 1..32 of [a-z0-9_-] (upper-case letters accepted and
// folded). Returns the canonical name (lower case, no '#'), or nullopt if invalid.
std::optional<std::string> normalize_room(std::string_view name);

inline constexpr std::size_t max_room_name_len = 32;

// A room epoch names one incarnation of a room's numbering: 1..32 of [A-Za-z0-9_-]. Clients
// treat it as opaque and only compare it.
bool is_valid_epoch(std::string_view epoch) noexcept;
inline constexpr std::size_t max_epoch_len = 32;
// The epoch chatd makes from 64 random bits: 11 characters of the URL-safe base64 alphabet.
std::string epoch_token(std::uint64_t bits);
// An epoch every node derives alike from `seed` (64-bit FNV-1a, fixed here so that nodes of
// different builds agree): what a cluster room with no message yet is numbered in.
std::string derived_epoch(std::string_view seed);

}  // namespace chatd::protocol
