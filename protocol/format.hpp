// Output formatting: an event in, the bytes to send out (each line ends with CRLF).
#pragma once

#include <string>
#include <string_view>

#include "protocol/events.hpp"

namespace chatd::protocol {

// Encodes `ev` for a client in format `fmt`. The result is zero or more whole lines, each ending
// in "\r\n". JSON output is exactly one object per line (field names and order as documented
// in docs/protocol.md). Human output may be several lines (/help, /who, a join reply) or
// none at all (a chat line's ok: the user already sees what they typed).
std::string encode(const event& ev, output_format fmt);
// The same bytes, appended to `out`. For a buffer reused from line to line: the lines sent for
// every chat message then cost no allocation of their own.
void encode_into(std::string& out, const event& ev, output_format fmt);

// "2026-11-22T01:56:35.123Z" for a time in ms since the epoch (UTC, millisecond precision).
std::string format_iso8601(timestamp_ms ts);

// "human" / "json"
std::string_view to_string(output_format fmt) noexcept;

}  // namespace chatd::protocol
