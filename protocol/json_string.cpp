#include "protocol/json_string.hpp"

#include <array>
#include <cstdint>

#include "protocol/byte_words.hpp"
#include "protocol/utf8.hpp"

namespace chatd::protocol {
namespace {

// How a byte is written inside a JSON string.
enum byte_class : unsigned char { plain, needs_escape, non_ascii };

template <json_escape how>
constexpr std::array<byte_class, 256> byte_classes = [] {
  std::array<byte_class, 256> classes{};
  for (std::size_t c = 0; c < classes.size(); ++c) {
    const bool escaped = c < 0x20 || c == '"' || c == '\\' || (how == json_escape::log && c == 0x7F);
    classes[c] = escaped ? needs_escape : c >= 0x80 ? non_ascii : plain;
  }
  return classes;
}();

void append_u_escape(std::string& out, char32_t code) {  // code <= U+FFFF
  constexpr char hex[] = "0123456789abcdef";
  const char escape[6] = {'\\', 'u', hex[(code >> 12) & 0xF], hex[(code >> 8) & 0xF],
                          hex[(code >> 4) & 0xF], hex[code & 0xF]};
  out.append(escape, sizeof escape);
}

void append_escaped(std::string& out, unsigned char c) {
  switch (c) {
    case '"': out += "\\\""; return;
    case '\\': out += "\\\\"; return;
    case '\b': out += "\\b"; return;
    case '\f': out += "\\f"; return;
    case '\n': out += "\\n"; return;
    case '\r': out += "\\r"; return;
    case '\t': out += "\\t"; return;
    default: append_u_escape(out, c); return;
  }
}

// Appends the sequence that starts at s[i] (a byte >= 0x80) and returns the index after it.
// Client text is valid UTF-8 by the time it gets here (sanitize replaced anything else), but log
// messages and a caller's slip need not be.
template <json_escape how>
std::size_t append_non_ascii(std::string& out, std::string_view s, std::size_t i) {
  const utf8_sequence seq = decode_utf8(s, i);
  const char32_t cp = seq.code_point;
  if (!seq.valid) {
    out += replacement_character_utf8;
  } else if (how == json_escape::log && ((cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029)) {
    append_u_escape(out, cp);
  } else {
    out.append(s.data() + i, seq.length);
  }
  return i + seq.length;
}

// True if any of the 8 bytes in `w` is not `plain`: below 0x20, '"', '\\', 0x80 and up, and for
// the log 0x7F.
template <json_escape how>
constexpr bool has_special_byte(std::uint64_t w) noexcept {
  namespace bw = byte_words;
  std::uint64_t special =
      bw::non_ascii(w) | bw::below(w, 0x20) | bw::equal_to(w, '"') | bw::equal_to(w, '\\');
  if constexpr (how == json_escape::log) special |= bw::equal_to(w, 0x7F);
  return special != 0;
}

// Chat text is nearly all plain ASCII, and the msg line is written for every message: plain runs
// are found 8 bytes at a time and copied in one append.
template <json_escape how>
void append_string(std::string& out, std::string_view s) {
  out.push_back('"');
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t run = i;
    for (; run + 8 <= s.size(); run += 8) {
      if (has_special_byte<how>(byte_words::load(s.data() + run))) break;
    }
    while (run < s.size() && byte_classes<how>[static_cast<unsigned char>(s[run])] == plain) ++run;
    out.append(s.data() + i, run - i);
    if (run == s.size()) break;
    const auto c = static_cast<unsigned char>(s[run]);
    if (byte_classes<how>[c] == needs_escape) {
      append_escaped(out, c);
      i = run + 1;
    } else {
      i = append_non_ascii<how>(out, s, run);
    }
  }
  out.push_back('"');
}

}  // namespace

bool is_plain_json(std::string_view s) noexcept {
  std::size_t i = 0;
#if defined(__SSE2__)
  for (; i + 16 <= s.size(); i += 16) {
    if (byte_words::special_in_16(s.data() + i, '"', '\\') != 0) return false;
  }
#endif
  for (; i + 8 <= s.size(); i += 8) {
    if (has_special_byte<json_escape::wire>(byte_words::load(s.data() + i))) return false;
  }
  for (; i < s.size(); ++i) {
    if (byte_classes<json_escape::wire>[static_cast<unsigned char>(s[i])] != plain) return false;
  }
  return true;
}

void append_json_string(std::string& out, std::string_view text, json_escape how) {
  if (how == json_escape::log) {
    append_string<json_escape::log>(out, text);
  } else {
    append_string<json_escape::wire>(out, text);
  }
}

}  // namespace chatd::protocol
