#include "protocol/sanitize.hpp"

#include <algorithm>
#include <cstdint>

#include "protocol/byte_words.hpp"
#include "protocol/utf8.hpp"

namespace chatd::protocol {
namespace {

// ---- Pass 1: telnet (RFC 854), on raw bytes --------------------------------------------------
// Telnet framing is byte-oriented and 0xFF never occurs in valid UTF-8, so it is removed before
// decoding; a sequence in the middle of a character thus joins the character's bytes again.

constexpr unsigned char iac = 0xFF;
constexpr unsigned char sb = 0xFA;
constexpr unsigned char se = 0xF0;
constexpr unsigned char will = 0xFB;  // WILL, WONT, DO, DONT are 0xFB..0xFE and take an option

// Returns the index just past the IAC sequence that starts at `i`.
std::size_t skip_telnet(std::string_view s, std::size_t i) {
  const auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  if (i + 1 >= s.size()) return s.size();  // IAC at end of line
  const unsigned char cmd = at(i + 1);
  if (cmd == sb) {
    // Subnegotiation runs to IAC SE; IAC IAC inside is an escaped data byte.
    for (std::size_t k = i + 2; k < s.size(); ++k) {
      if (at(k) != iac || k + 1 >= s.size()) continue;
      if (at(k + 1) == se) return k + 2;
      ++k;  // IAC IAC or IAC <other>: skip the pair
    }
    return s.size();  // unterminated: the rest of the line belongs to it
  }
  if (cmd >= will && cmd < iac) return i + 3 <= s.size() ? i + 3 : s.size();
  if (cmd >= se) return i + 2;  // IAC IAC and the two-byte commands (SE..GA)
  return i + 1;                 // IAC before a non-command byte: not telnet; drop the IAC only
}

std::string strip_telnet(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t next_iac = s.find(static_cast<char>(iac), i);
    if (next_iac == std::string_view::npos) {
      out.append(s.substr(i));
      break;
    }
    out.append(s.substr(i, next_iac - i));
    i = skip_telnet(s, next_iac);
  }
  return out;
}

// ---- Pass 2: control functions (ECMA-48), on code points ---------------------------------------
// A small version of the VT500 parser states: everything a terminal would treat as part of a
// control sequence is dropped, and whatever a terminal would print is kept. Removing every ESC,
// C1 and C0 (but TAB) is what makes the output safe; following the sequence grammar only decides
// how much of the sequence's tail disappears with it instead of being shown as junk.

constexpr char32_t esc = 0x1B;
constexpr char32_t bel = 0x07;
constexpr char32_t tab = 0x09;
constexpr char32_t del = 0x7F;
constexpr char32_t can = 0x18, sub = 0x1A;  // cancel a sequence in progress
constexpr char32_t c1_ss2 = 0x8E, c1_ss3 = 0x8F, c1_dcs = 0x90, c1_sos = 0x98, c1_csi = 0x9B,
                   c1_st = 0x9C, c1_osc = 0x9D, c1_pm = 0x9E, c1_apc = 0x9F;

class control_stripper {
 public:
  explicit control_stripper(std::string& out) : out_(out) {}

  void feed(char32_t cp) {
    switch (state_) {
      case state::ground: return ground(cp);
      case state::escape: return escape(cp);
      case state::escape_intermediate: return escape_intermediate(cp);
      case state::single_shift: return single_shift(cp);
      case state::csi: return csi(cp);
      case state::string: return control_string(cp);
      case state::string_escape: return string_escape(cp);
    }
  }

 private:
  enum class state {
    ground,
    escape,               // after ESC
    escape_intermediate,  // ESC 0x20..0x2F ..., waiting for the final byte (e.g. ESC ( B)
    single_shift,         // SS2/SS3 (ESC N, ESC O): the next character belongs to it
    csi,                  // parameters and intermediates, waiting for the final byte
    string,               // OSC, DCS, SOS, PM, APC: until BEL or ST (CAN, SUB cancel)
    string_escape,        // ESC inside a string: ESC '\' is ST
  };

  void ground(char32_t cp) {
    if (cp == esc) {
      state_ = state::escape;
    } else if (cp >= 0x80 && cp <= 0x9F) {
      c1(cp);
    } else if ((cp < 0x20 && cp != tab) || cp == del) {
      // dropped
    } else {
      append_utf8(out_, cp);
    }
  }

  // The 8-bit form of a control function; ESC 0x40..0x5F is the 7-bit form of the same one.
  void c1(char32_t cp) {
    switch (cp) {
      case c1_csi: state_ = state::csi; break;
      case c1_osc: case c1_dcs: case c1_sos: case c1_pm: case c1_apc: state_ = state::string; break;
      case c1_ss2: case c1_ss3: state_ = state::single_shift; break;
      default: state_ = state::ground; break;  // every other C1 stands alone
    }
  }

  void escape(char32_t cp) {
    if (cp == esc) return;  // the first ESC was not followed by anything
    if (cp >= 0x40 && cp <= 0x5F) return c1(cp + 0x40);
    if (cp >= 0x20 && cp <= 0x2F) {
      state_ = state::escape_intermediate;
    } else if (cp >= 0x30 && cp <= 0x7E) {
      state_ = state::ground;  // a two-character escape such as ESC 7 or ESC c
    } else {
      // A control, DEL or non-ASCII character cannot end an escape: drop the ESC alone and
      // treat the character as if the ESC had not been there (text is kept).
      state_ = state::ground;
      ground(cp);
    }
  }

  void escape_intermediate(char32_t cp) {
    if (cp >= 0x20 && cp <= 0x2F) return;
    if (cp >= 0x30 && cp <= 0x7E) {
      state_ = state::ground;
    } else {
      state_ = state::ground;
      ground(cp);
    }
  }

  void single_shift(char32_t cp) {
    state_ = state::ground;
    if (cp < 0x20 || cp > 0x7E) ground(cp);  // only a printable ASCII character is shifted
  }

  void csi(char32_t cp) {
    if ((cp >= 0x40 && cp <= 0x7E) || cp == can || cp == sub) {
      state_ = state::ground;  // final byte, or the sequence was cancelled
    } else if (cp == esc) {
      state_ = state::escape;
    } else if (cp >= 0x80) {
      state_ = state::ground;  // not part of any CSI: the sequence was cut short
      ground(cp);
    }
    // Parameters and intermediates (0x20..0x3F), and C0 controls and DEL, which terminals
    // execute or ignore without leaving the sequence: all dropped.
  }

  void control_string(char32_t cp) {
    if (cp == bel || cp == c1_st || cp == can || cp == sub) {
      state_ = state::ground;
    } else if (cp == esc) {
      state_ = state::string_escape;
    }
  }

  void string_escape(char32_t cp) {
    if (cp == '\\') {
      state_ = state::ground;
    } else {
      // ESC other than ST ends the string and starts a new escape, as in a terminal.
      state_ = state::escape;
      escape(cp);
    }
  }

  std::string& out_;
  state state_ = state::ground;
};

bool is_plain(char c) noexcept { return (c >= 0x20 && c < 0x7F) || c == '\t'; }

// True if every byte is printable ASCII or TAB, looked at 16 or 8 bytes at a time (every chat line
// passes through here): a word with no byte below 0x20, none at 0x7F and none at 0x80 or above
// is plain; any other word is looked at byte by byte (a TAB, or something to clean).
bool all_plain(std::string_view s) noexcept {
  using namespace byte_words;
  std::size_t i = 0;
#if defined(__SSE2__)
  for (; i + 16 <= s.size(); i += 16) {
    if (special_in_16(s.data() + i, 0x7F, 0x7F) != 0 &&
        !std::all_of(s.data() + i, s.data() + i + 16, is_plain))
      return false;
  }
#endif
  for (; i + 8 <= s.size(); i += 8) {
    const std::uint64_t w = load(s.data() + i);
    if ((non_ascii(w) | below(w, 0x20) | equal_to(w, 0x7F)) != 0 &&
        !std::all_of(s.data() + i, s.data() + i + 8, is_plain))
      return false;
  }
  return std::all_of(s.data() + i, s.data() + s.size(), is_plain);
}

}  // namespace

std::string sanitize(std::string_view line) {
  // Most lines are printable ASCII and TAB, which every step below keeps as they are (in the
  // ground state nothing else happens to them): no need to decode them one by one.
  if (all_plain(line)) return std::string(line);

  std::string without_telnet;  // only needed when there is an IAC, which is rare
  std::string_view bytes = line;
  if (line.find(static_cast<char>(iac)) != std::string_view::npos) {
    without_telnet = strip_telnet(line);
    bytes = without_telnet;
  }
  std::string out;
  out.reserve(bytes.size());
  control_stripper stripper(out);
  for (std::size_t i = 0; i < bytes.size();) {
    const utf8_sequence seq = decode_utf8(bytes, i);  // ill-formed: U+FFFD, maximal subpart
    stripper.feed(seq.code_point);
    i += seq.length;
  }
  return out;
}

}  // namespace chatd::protocol
