#include "server/logging/log_format.hpp"

#include <charconv>
#include <cstdio>
#include <cstdlib>

namespace chatd {

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

void append_u_escape(std::string& out, unsigned code) {
  out += "\\u";
  out += hex_digits[(code >> 12) & 0xF];
  out += hex_digits[(code >> 8) & 0xF];
  out += hex_digits[(code >> 4) & 0xF];
  out += hex_digits[code & 0xF];
}

bool in_range(unsigned char c, unsigned char low, unsigned char high) {
  return c >= low && c <= high;
}

// Length of the well-formed UTF-8 sequence at the start of `s` (s is not empty and s[0] is not
// ASCII), or, if it is ill-formed, 0 with `bad` set to the length of its maximal ill-formed
// prefix (at least 1): that prefix becomes one U+FFFD (the Unicode "maximal subpart" practice).
std::size_t utf8_sequence(std::string_view s, std::size_t& bad) {
  const auto lead = static_cast<unsigned char>(s[0]);
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // range of the second byte
  if (in_range(lead, 0xC2, 0xDF)) {
    length = 2;
  } else if (in_range(lead, 0xE0, 0xEF)) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // no overlong forms
    if (lead == 0xED) high = 0x9F;  // no surrogates
  } else if (in_range(lead, 0xF0, 0xF4)) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // no overlong forms
    if (lead == 0xF4) high = 0x8F;  // nothing above U+10FFFF
  } else {
    bad = 1;  // a continuation byte, C0, C1 or F5..FF
    return 0;
  }
  for (std::size_t i = 1; i < length; ++i) {
    const bool ok = i < s.size() &&
                    (i == 1 ? in_range(static_cast<unsigned char>(s[i]), low, high)
                            : in_range(static_cast<unsigned char>(s[i]), 0x80, 0xBF));
    if (!ok) {
      bad = i;
      return 0;
    }
  }
  return length;
}

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
  out += '"';
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (c < 0x20 || c == 0x7F) {
            append_u_escape(out, c);
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    std::size_t bad = 0;
    const std::size_t length = utf8_sequence(text.substr(i), bad);
    if (length == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      i += bad;
      continue;
    }
    const auto second = static_cast<unsigned char>(text[i + 1]);
    if (c == 0xC2 && second < 0xA0) {
      append_u_escape(out, second);  // C1 controls U+0080..U+009F
    } else if (c == 0xE2 && second == 0x80 &&
               (text[i + 2] == '\xA8' || text[i + 2] == '\xA9')) {
      append_u_escape(out, text[i + 2] == '\xA8' ? 0x2028 : 0x2029);  // line/paragraph separator
    } else {
      out.append(text.substr(i, length));
    }
    i += length;
  }
  out += '"';
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
