#include "protocol/command.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <optional>

#include "protocol/help_table.hpp"
#include "protocol/names.hpp"
#include "protocol/text.hpp"

namespace chatd::protocol {
namespace {

// Splits "WORD rest" into WORD and rest (rest with its leading blanks removed).
std::pair<std::string_view, std::string_view> split_word(std::string_view s) noexcept {
  s = trim_leading(s);
  std::size_t end = 0;
  while (end < s.size() && !is_blank(s[end])) ++end;
  return {s.substr(0, end), trim_leading(s.substr(end))};
}

parse_error usage(command_kind kind, std::string_view text) {
  return parse_error{error_code::bad_argument, "usage: " + std::string(text), kind};
}

// One parser per argument shape. `rest` is everything after the command name.
using arg_parser = parse_result (*)(command_kind, std::string_view rest, std::string_view usage);

parse_result no_args(command_kind kind, std::string_view, std::string_view) {
  return command{kind, {}, {}};  // extra words are ignored
}

parse_result optional_arg(command_kind kind, std::string_view rest, std::string_view) {
  return command{kind, std::string(trim(rest)), {}};
}

parse_result required_arg(command_kind kind, std::string_view rest, std::string_view use) {
  const std::string_view arg = trim(rest);
  if (arg.empty()) return usage(kind, use);
  return command{kind, std::string(arg), {}};
}

parse_result optional_text(command_kind kind, std::string_view rest, std::string_view) {
  return command{kind, {}, std::string(trim_leading(rest))};
}

parse_result required_text(command_kind kind, std::string_view rest, std::string_view use) {
  const std::string_view text = trim_leading(rest);
  if (text.empty()) return usage(kind, use);
  return command{kind, {}, std::string(text)};
}

parse_result arg_and_text(command_kind kind, std::string_view rest, std::string_view use) {
  const auto [arg, text] = split_word(rest);
  if (arg.empty() || text.empty()) return usage(kind, use);
  return command{kind, std::string(arg), std::string(text)};
}

// A whole number in decimal digits only (no sign, no blanks), if it fits 64 bits.
std::optional<std::uint64_t> whole_number(std::string_view word) noexcept {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), value);
  if (word.empty() || word.front() < '0' || word.front() > '9' || ec != std::errc{} ||
      end != word.data() + word.size())
    return std::nullopt;  // not digits only, or too big
  return value;
}

constexpr bool is_digits(std::string_view word) noexcept {
  if (word.empty()) return false;
  for (char c : word)
    if (c < '0' || c > '9') return false;
  return true;
}

// A word and a count, both optional: "/rooms [PATTERN] [LIMIT]", "/who [ROOM] [LIMIT]",
// "/history [ROOM] [N]". A lone word of digits only is the count; a room whose name is all
// digits is reached with both words ("/who 50 100"). A third word, or a count that is not 1 to
// `max`, is bad_argument.
parse_result word_and_count(command_kind kind, std::string_view rest, std::string_view use,
                            std::size_t max, std::string_view count_name) {
  const auto [first, after_first] = split_word(rest);
  const auto [second, extra] = split_word(after_first);
  if (!extra.empty()) return usage(kind, use);
  command cmd{kind, {}, {}};
  std::string_view count = second;
  if (second.empty() && is_digits(first)) {
    count = first;
  } else {
    cmd.arg = std::string(first);
  }
  if (!count.empty()) {
    const auto n = whole_number(count);
    if (!n || *n < 1 || *n > max) {
      parse_error error = usage(kind, use);
      error.message += " (" + std::string(count_name) + " is 1 to " + std::to_string(max) + ")";
      return error;
    }
    cmd.count = static_cast<std::size_t>(*n);
  }
  return cmd;
}

parse_result listing_args(command_kind kind, std::string_view rest, std::string_view use) {
  return word_and_count(kind, rest, use, max_listing_limit, "LIMIT");
}

parse_result history_args(command_kind kind, std::string_view rest, std::string_view use) {
  return word_and_count(kind, rest, use, max_history_request, "N");
}

parse_result format_arg(command_kind kind, std::string_view rest, std::string_view use) {
  std::string arg = fold_case(trim(rest));
  if (arg != "human" && arg != "json") return usage(kind, use);
  return command{kind, std::move(arg), {}};
}

// "/join ROOM" or "/join ROOM since SEQ [EPOCH]". Anything else after ROOM stays part of the
// room argument, so "/join a b" is reported as an invalid room, as it always was.
parse_result join_args(command_kind kind, std::string_view rest, std::string_view use) {
  const std::string_view all = trim(rest);
  if (all.empty()) return usage(kind, use);
  const auto [room, after_room] = split_word(all);
  const auto [keyword, after_keyword] = split_word(after_room);
  if (fold_case(keyword) != "since") return command{kind, std::string(all), {}};
  const auto [seq_word, after_seq] = split_word(after_keyword);
  const auto [epoch, extra] = split_word(after_seq);
  const auto seq = whole_number(seq_word);
  if (!seq || !trim(extra).empty() || (!epoch.empty() && !is_valid_epoch(epoch)))
    return usage(kind, use);
  command cmd{kind, std::string(room), {}};
  cmd.since = *seq;
  cmd.epoch = std::string(epoch);
  return cmd;
}

struct command_spec {
  std::string_view name;  // lower case, without '/'
  command_kind kind;
  arg_parser parse;
};

constexpr std::array<command_spec, 14> commands{{
    {"nick", command_kind::nick, required_arg},
    {"join", command_kind::join, join_args},
    {"part", command_kind::part, optional_arg},
    {"history", command_kind::history, history_args},
    {"say", command_kind::say, arg_and_text},
    {"me", command_kind::me, required_text},
    {"msg", command_kind::msg, arg_and_text},
    {"topic", command_kind::topic, optional_text},
    {"rooms", command_kind::rooms, listing_args},
    {"who", command_kind::who, listing_args},
    {"format", command_kind::format, format_arg},
    {"ping", command_kind::ping, optional_text},
    {"help", command_kind::help, no_args},
    {"quit", command_kind::quit, optional_text},
}};

// The usage a bad argument reports is the one /help lists: the tables are in the same order.
static_assert(std::size(commands) == std::size(help_entries));
constexpr bool usages_match() {
  for (std::size_t i = 0; i < commands.size(); ++i) {
    const std::string_view usage = help_entries[i].usage;
    if (usage.size() <= commands[i].name.size() || usage[0] != '/' ||
        usage.substr(1, commands[i].name.size()) != commands[i].name)
      return false;
  }
  return true;
}
static_assert(usages_match(), "help_entries and commands must list the commands in one order");

}  // namespace

parse_result parse_command(std::string&& line) {
  if (line.empty() || line.front() != '/') return command{command_kind::text, {}, std::move(line)};
  return parse_command(std::string_view(line));
}

parse_result parse_command(std::string_view line) {
  if (line.empty() || line.front() != '/') return command{command_kind::text, {}, std::string(line)};
  if (line.size() > 1 && line[1] == '/') {
    return command{command_kind::text, {}, std::string(line.substr(1))};
  }

  std::size_t name_end = 1;
  while (name_end < line.size() && !is_blank(line[name_end])) ++name_end;
  const std::string_view typed = line.substr(0, name_end);  // with its '/', for the message
  const std::string name = fold_case(typed.substr(1));
  const std::string_view rest = line.substr(name_end);

  for (std::size_t i = 0; i < commands.size(); ++i) {
    const command_spec& spec = commands[i];
    if (spec.name == name) return spec.parse(spec.kind, rest, help_entries[i].usage);
  }
  return parse_error{error_code::unknown_command,
                     "unknown command " + std::string(typed) + " (type /help for the list)"};
}

bool allowed_before_registration(command_kind kind) noexcept {
  switch (kind) {
    case command_kind::nick:
    case command_kind::format:
    case command_kind::help:
    case command_kind::ping:
    case command_kind::quit:
      return true;
    default:
      return false;
  }
}

std::string_view command_name(command_kind kind) noexcept {
  switch (kind) {
    case command_kind::text:
    case command_kind::me:
    case command_kind::say: return "say";
    case command_kind::nick: return "nick";
    case command_kind::join: return "join";
    case command_kind::part: return "part";
    case command_kind::msg: return "msg";
    case command_kind::topic: return "topic";
    case command_kind::history: return "history";
    case command_kind::rooms: return "rooms";
    case command_kind::who: return "who";
    case command_kind::format: return "format";
    case command_kind::ping: return "ping";
    case command_kind::help: return "help";
    case command_kind::quit: return "quit";
  }
  return "say";  // unreachable for values of the enum
}

}  // namespace chatd::protocol
