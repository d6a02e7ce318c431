#include "server/logging/log_format.hpp"

#include <charconv>
#include <cstdio>
#include <cstdlib>

#include "protocol/json_string.hpp"

namespace chatd {

namespace {

bool is_digits(std::string_view s) {
  if (s.empty() || s.size() > 20) return false;
  for (const char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// Splits off the next space-separated token of `rest` (leading spaces skipped).
std::string_view next_token(std::string_view& rest) {
  const auto start = rest.find_first_not_of(' ');
  if (start == std::string_view::npos) {
    rest = {};
    return {};
  }
  rest.remove_prefix(start);
  const auto end = rest.find(' ');
  const std::string_view token = rest.substr(0, end);
  rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
  return token;
}

constexpr std::string_view field_keys[] = {"peer", "nick", "reason"};

bool is_field_key(std::string_view key) {
  for (const auto k : field_keys)
    if (k == key) return true;
  return false;
}

void append_fields(std::string& out, std::string_view msg) {
  std::string_view rest = msg;
  if (next_token(rest) != "conn") return;
  const std::string_view id = next_token(rest);
  if (!is_digits(id)) return;
  out += ",\"conn\":";
  out += id;

  bool seen[std::size(field_keys)] = {};
  bool first = true;  // the token after the id may be a bare word
  for (std::string_view token = next_token(rest); !token.empty(); token = next_token(rest)) {
    const auto eq = token.find('=');
    if (eq == std::string_view::npos) {
      if (first) {
        first = false;
        continue;
      }
      return;
    }
    first = false;
    const std::string_view key = token.substr(0, eq);
    if (!is_field_key(key)) return;
    std::size_t index = 0;
    while (field_keys[index] != key) ++index;
    if (seen[index]) return;
    seen[index] = true;
    out += ",\"";
    out += key;
    out += "\":";
    append_json_string(out, token.substr(eq + 1));
  }
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  protocol::append_json_string(out, text, protocol::json_escape::log);
}

void append_json_log_line(std::string& out, std::string_view time, std::string_view level,
                          std::string_view msg) {
  out += "{\"time\":";
  append_json_string(out, time);
  out += ",\"level\":";
  append_json_string(out, level);
  out += ",\"msg\":";
  append_json_string(out, msg);
  append_fields(out, msg);
  out += "}\n";
}

std::string format_log_time(const std::tm& tm, int millis, long utc_offset_seconds) {
  const char sign = utc_offset_seconds < 0 ? '-' : '+';
  const long offset_minutes = std::labs(utc_offset_seconds) / 60;
  char buffer[128];
  const int n = std::snprintf(buffer, sizeof buffer,
                              "%04d-%02d-%02dT%02d:%02d:%02d.%03d%c%02ld:%02ld", tm.tm_year + 1900,
                              tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis,
                              sign, offset_minutes / 60, offset_minutes % 60);
  return std::string(buffer, n > 0 ? static_cast<std::size_t>(n) : 0);
}

std::optional<journal_stream_id> parse_journal_stream(std::string_view value) {
  const auto colon = value.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const auto parse = [](std::string_view digits, std::uint64_t& number) {
    if (digits.empty()) return false;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
    return ec == std::errc() && end == digits.data() + digits.size();
  };
  journal_stream_id id{};
  if (!parse(value.substr(0, colon), id.device) || !parse(value.substr(colon + 1), id.inode))
    return std::nullopt;
  return id;
}

}  // namespace chatd
