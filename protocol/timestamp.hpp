// Times as the protocol writes them, from a timestamp_ms value: the protocol never reads a clock.
#pragma once

#include <cstddef>
#include <string>

#include "protocol/events.hpp"

namespace chatd::protocol {

// Appends "2026-11-22T01:56:35.123Z" (UTC, millisecond precision; see format_iso8601).
void append_iso8601(std::string& out, timestamp_ms ts);

// The same characters written at `out`, returning the end. A time in years 0..9999 takes
// exactly iso8601_size of them; others take more (a longer or negative year).
char* put_iso8601(char* out, timestamp_ms ts);
inline constexpr std::size_t iso8601_size = 24;

// "01:56" (UTC): the time shown before a replayed message in human output.
std::string hours_minutes(timestamp_ms ts);

}  // namespace chatd::protocol
