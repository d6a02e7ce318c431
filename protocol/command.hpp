// Command parsing: one sanitised line in, one command (or a parse error) out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <optional>
#include <variant>

#include "protocol/error_code.hpp"

namespace chatd::protocol {

enum class command_kind {
  text,   // a plain line (or one starting with "//", given without its first '/')
  nick,   // arg = name (the rest of the line, trimmed; validity is checked by the caller)
  join,   // arg = room as typed; since and epoch for "/join ROOM since SEQ [EPOCH]"
  part,   // arg = room as typed, or empty for the current room
  say,    // arg = room as typed, text = message
  me,     // text = action
  msg,    // arg = nick, text = message
  topic,  // text = new topic, or empty to show it
  history,  // arg = room as typed, or empty for the current room; count = N, if given
  rooms,  // arg = pattern as typed, or empty for every room; count = LIMIT
  who,    // arg = room as typed, or empty for the current room; count = LIMIT
  format, // arg = "human" or "json" (already checked)
  ping,   // text = token (may be empty)
  help,
  quit,   // text = reason (may be empty)
};

struct command {
  command_kind kind;
  std::string arg;   // first word argument, where the command has one
  std::string text;  // free text argument (rest of the line, leading spaces removed)
  // "/join ROOM since SEQ [EPOCH]": the seq the client has seen, and the epoch it was in.
  std::optional<std::uint64_t> since = std::nullopt;
  std::string epoch = {};
  // A count a command takes: "/history [ROOM] [N]", "/rooms [PATTERN] [LIMIT]",
  // "/who [ROOM] [LIMIT]" (unset: the command's default).
  std::optional<std::size_t> count = std::nullopt;
};

struct parse_error {
  error_code code;      // bad_argument or unknown_command
  std::string message;  // human text, e.g. "usage: /msg NICK TEXT"
  std::optional<command_kind> command = std::nullopt;  // the command that failed, if known
};

using parse_result = std::variant<command, parse_error>;

// The most messages "/history ROOM N" may ask for.
inline constexpr std::size_t max_history_request = 100'000;
// The LIMIT of "/rooms [PATTERN] [LIMIT]" and "/who [ROOM] [LIMIT]": how many names one reply
// lists when none is given, and at most. 100 is ngIRCd's MaxListSize; 1000 rooms of about 40
// bytes stay a line of some 40 kB, far below limits.max_outbound_bytes.
inline constexpr std::size_t default_listing_limit = 100;
inline constexpr std::size_t max_listing_limit = 1000;

// Parses a sanitised, non-empty line. Command names are case-insensitive; words are separated
// by one or more spaces or tabs. Missing required arguments give bad_argument with a usage
// message; an unknown "/name" gives unknown_command. Arguments beyond those a command takes are
// part of its free text (or, for one-word commands, make the argument invalid: "/join a b" keeps
// arg "a b" so the caller reports room-invalid).
parse_result parse_command(std::string_view line);
// The same; a plain chat line (the common case) moves into the command's text uncopied.
parse_result parse_command(std::string&& line);

// What a client may do before it has a nickname: pick one, set the format, ask for help,
// ping and quit (any other line is taken as the nickname).
bool allowed_before_registration(command_kind kind) noexcept;

// The wire name of a command ("nick", "join", ...); "say" for text and me.
std::string_view command_name(command_kind kind) noexcept;

}  // namespace chatd::protocol
