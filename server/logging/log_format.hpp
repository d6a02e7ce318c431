// Pure pieces of the log output, kept apart from spdlog so they can be tested directly: JSON
// string escaping, the JSON log line, the timestamp, and the JOURNAL_STREAM variable.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace chatd {

// Appends `text` to `out` as a JSON string, quotes included. `"` and `\` are escaped, control
// characters (U+0000..U+001F, U+007F) become \b \f \n \r \t or \u00XX, U+2028 and U+2029 become
// \u2028 and \u2029, and every maximal invalid UTF-8 sequence becomes one U+FFFD. The result is
// valid JSON and valid UTF-8 whatever bytes `text` holds (protocol::json_escape::log).
void append_json_string(std::string& out, std::string_view text);

// Appends one JSON log line, ending in '\n', to `out`:
//   {"time":TIME,"level":LEVEL,"msg":MSG[,"conn":N][,"peer":..][,"nick":..][,"reason":..]}
// The structured fields are copied out of a connection line, "conn N [WORD] key=value...":
// N must be all digits (it is written as a number), WORD is an optional bare word such as "open"
// or "closed", and then every leading token of the form peer=V, nick=V or reason=V is taken up
// to the first token that is not one of these (the rest of the line, e.g. an error text, is never
// read for fields). The msg field always holds the whole message.
void append_json_log_line(std::string& out, std::string_view time, std::string_view level,
                          std::string_view msg);

// "2026-11-22T05:10:00.123+00:00": the local date and time in `tm`, `millis` (0..999) and the
// offset from UTC in seconds (tm_gmtoff), as ±HH:MM.
std::string format_log_time(const std::tm& tm, int millis, long utc_offset_seconds);

// The device and inode numbers in systemd's JOURNAL_STREAM variable ("DEV:INODE", decimal), or
// nullopt when `value` is not of that form.
struct journal_stream_id {
  std::uint64_t device;
  std::uint64_t inode;
};
std::optional<journal_stream_id> parse_journal_stream(std::string_view value);

}  // namespace chatd
