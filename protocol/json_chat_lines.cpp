#include "protocol/json_chat_lines.hpp"

#include <cstdint>
#include <cstring>
#include <string_view>

#include "protocol/json_string.hpp"
#include "protocol/timestamp.hpp"

namespace chatd::protocol {
namespace {

// The fixed parts, in json_line's order (encode_json.cpp: msg_fields, ok_say_fields).
constexpr std::string_view msg_room = R"({"type":"msg","room":")";
constexpr std::string_view msg_from = R"(","from":")";
constexpr std::string_view msg_text = R"(","text":")";
constexpr std::string_view msg_seq = R"(","seq":)";
constexpr std::string_view msg_ts = R"(,"ts":")";
constexpr std::string_view msg_action_true = R"(","action":true)";
constexpr std::string_view msg_action_false = R"(","action":false)";
constexpr std::string_view msg_history = R"(,"history":true)";
constexpr std::string_view ok_room = R"({"type":"ok","cmd":"say","room":")";
constexpr std::string_view ok_seq = R"(","seq":)";
constexpr std::string_view line_end = "}\r\n";

// 1970-01-01 up to, not including, 10000-01-01: four-digit years, so always 24 characters.
constexpr timestamp_ms last_plain_ts = 253'402'300'799'999;

std::size_t decimal_digits(std::uint64_t value) noexcept {
  std::size_t n = 1;
  while (value >= 10) {
    value /= 10;
    ++n;
  }
  return n;
}

char* put(char* p, std::string_view s) noexcept {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

char* put_decimal(char* p, std::uint64_t value, std::size_t digits) noexcept {
  char* end = p + digits;
  char* q = end;
  do {
    *--q = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  return end;
}

}  // namespace

std::size_t plain_json_size(const msg_event& e) noexcept {
  if (e.ts < 0 || e.ts > last_plain_ts) return 0;
  if (!is_plain_json(e.room) || !is_plain_json(e.from) || !is_plain_json(e.text)) return 0;
  return msg_room.size() + e.room.size() + msg_from.size() + e.from.size() + msg_text.size() +
         e.text.size() + msg_seq.size() + decimal_digits(e.seq) + msg_ts.size() +
         iso8601_size + (e.action ? msg_action_true : msg_action_false).size() +
         (e.history ? msg_history.size() : 0) + line_end.size();
}

std::size_t plain_json_size(const ok_say_event& e) noexcept {
  if (!is_plain_json(e.room)) return 0;
  return ok_room.size() + e.room.size() + ok_seq.size() + decimal_digits(e.seq) + line_end.size();
}

void write_plain_json(char* p, const msg_event& e) noexcept {
  p = put(p, msg_room);
  p = put(p, e.room);
  p = put(p, msg_from);
  p = put(p, e.from);
  p = put(p, msg_text);
  p = put(p, e.text);
  p = put(p, msg_seq);
  p = put_decimal(p, e.seq, decimal_digits(e.seq));
  p = put(p, msg_ts);
  p = put_iso8601(p, e.ts);
  p = put(p, e.action ? msg_action_true : msg_action_false);
  if (e.history) p = put(p, msg_history);
  put(p, line_end);
}

void write_plain_json(char* p, const ok_say_event& e) noexcept {
  p = put(p, ok_room);
  p = put(p, e.room);
  p = put(p, ok_seq);
  p = put_decimal(p, e.seq, decimal_digits(e.seq));
  put(p, line_end);
}

}  // namespace chatd::protocol
