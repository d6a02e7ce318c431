// UTF-8, decoded one way for the whole server: sanitising input, writing JSON for clients and
// for the log all have to agree on what is well-formed and on how much one U+FFFD stands for.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace chatd::protocol {

inline constexpr char32_t replacement_character = 0xFFFD;
inline constexpr std::string_view replacement_character_utf8 = "\xEF\xBF\xBD";

struct utf8_sequence {
  char32_t code_point;  // replacement_character when !valid
  std::uint8_t length;  // bytes it covers, 1..4
  bool valid;
};

// The sequence that starts at s[i] (i < s.size()). Well-formed is Unicode's table 3-7: no
// overlong forms, no surrogates, nothing past U+10FFFF. An ill-formed sequence covers its maximal
// subpart (Unicode 3.9, as the WHATWG decoder and nlohmann's "replace" handler do it): the lead
// byte and the continuation bytes that could still have begun a valid sequence, at least 1 byte.
// The byte that broke it off is not covered: it starts the next sequence. Inline because the
// callers decode in loops over every non-ASCII character.
constexpr utf8_sequence decode_utf8(std::string_view s, std::size_t i) noexcept {
  const auto lead = static_cast<unsigned char>(s[i]);
  if (lead < 0x80) return {lead, 1, true};

  std::size_t continuations;
  char32_t cp;
  unsigned char low = 0x80, high = 0xBF;  // the range allowed for the next byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    continuations = 1;
    cp = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    continuations = 2;
    cp = lead & 0x0F;
    if (lead == 0xE0) low = 0xA0;   // overlong
    if (lead == 0xED) high = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    continuations = 3;
    cp = lead & 0x07;
    if (lead == 0xF0) low = 0x90;   // overlong
    if (lead == 0xF4) high = 0x8F;  // past U+10FFFF
  } else {
    return {replacement_character, 1, false};  // continuation byte, C0/C1 lead, or F5..FF
  }

  std::uint8_t length = 1;
  for (; continuations > 0; --continuations, ++length) {
    if (i + length >= s.size()) return {replacement_character, length, false};  // cut short
    const auto b = static_cast<unsigned char>(s[i + length]);
    if (b < low || b > high) return {replacement_character, length, false};
    cp = (cp << 6) | (b & 0x3F);
    low = 0x80;
    high = 0xBF;
  }
  return {cp, length, true};
}

// Appends `cp` (a Unicode scalar value) as UTF-8.
void append_utf8(std::string& out, char32_t cp);

// True if `text` is valid UTF-8 (no overlongs, surrogates or values past U+10FFFF).
bool is_valid_utf8(std::string_view text) noexcept;

}  // namespace chatd::protocol
