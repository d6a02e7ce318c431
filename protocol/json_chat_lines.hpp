// The two JSON lines written for every chat message (the msg to each member and the sender's
// ok), laid out in one pass when no string in them needs escaping: plain ASCII room, nick and
// text, as nearly all chat is. Their size is then known before a byte is written, so a line is
// written once, straight into the memory it is sent from, with no builder and no copy. Any
// other line goes through json_line, whose output these are byte for byte.
#pragma once

#include <cstddef>

#include "protocol/events.hpp"

namespace chatd::protocol {

// The exact size of the line, or 0 if this fast path does not apply (a string needs escaping,
// or a timestamp outside years 1970..9999): encode it with encode_json then.
std::size_t plain_json_size(const msg_event& e) noexcept;
std::size_t plain_json_size(const ok_say_event& e) noexcept;

// Writes the line at `out`, exactly plain_json_size(e) bytes (which must not be 0).
void write_plain_json(char* out, const msg_event& e) noexcept;
void write_plain_json(char* out, const ok_say_event& e) noexcept;

}  // namespace chatd::protocol
