// Times as the protocol writes them, from a timestamp_ms value: the protocol never reads a clock.
#pragma once

#include <string>

#include "protocol/events.hpp"

namespace chatd::protocol {

// Appends "2026-11-22T01:56:35.123Z" (UTC, millisecond precision; see format_iso8601).
void append_iso8601(std::string& out, timestamp_ms ts);

// "01:56" (UTC): the time shown before a replayed message in human output.
std::string hours_minutes(timestamp_ms ts);

}  // namespace chatd::protocol
