// Input sanitising: what a client sends is made safe to show on anyone's terminal.
#pragma once

#include <string>
#include <string_view>

#include "protocol/utf8.hpp"  // is_valid_utf8, which callers check sanitize's output with

namespace chatd::protocol {

// Returns `line` (one line, without its LF) with:
// - telnet IAC sequences removed (IAC IAC, IAC <cmd>, IAC WILL/WONT/DO/DONT <opt>,
//   IAC SB ... IAC SE);
// - whole ANSI/VT escape sequences removed (ESC followed by CSI, OSC, DCS/SOS/PM/APC strings,
//   or a single final byte), and the 8-bit C1 controls U+0080..U+009F;
// - every other C0 control byte and DEL removed, except TAB, which is kept;
// - each invalid UTF-8 sequence (maximal subpart, as the WHATWG decoder does) replaced by U+FFFD.
// The result is valid UTF-8. It may be empty, meaning the line is to be ignored.
std::string sanitize(std::string_view line);

}  // namespace chatd::protocol
