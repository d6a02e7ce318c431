// JSON strings, written by one writer for both places that write them: lines to clients and lines
// to the log. They differ only in what they escape, which the caller says.
#pragma once

#include <string>
#include <string_view>

namespace chatd::protocol {

// Both policies escape '"', '\' and U+0000..U+001F (\b \f \n \r \t where JSON has a short form,
// \u00xx in lowercase hex otherwise), write valid UTF-8 as it is, and put one U+FFFD for each
// maximal ill-formed subsequence (decode_utf8): any bytes give valid JSON and valid UTF-8.
enum class json_escape {
  // Nothing more: byte for byte what nlohmann::json's dump() with error_handler_t::replace
  // gives, which the wire format is defined by (tests/unit/format_json_equivalence_test.cpp).
  wire,
  // Also U+007F, the C1 controls U+0080..U+009F and U+2028/U+2029 as \uXXXX: log lines are read
  // on terminals, where C1 controls act as escape sequences, and by tools (JavaScript among them)
  // that take the two separators for line breaks.
  log,
};

// Appends `text` as a JSON string, quotes included.
void append_json_string(std::string& out, std::string_view text, json_escape how);

// True if `text` is written as it is between the quotes (json_escape::wire): printable ASCII
// without '"' or '\'. Checked 8 bytes at a time.
bool is_plain_json(std::string_view text) noexcept;

}  // namespace chatd::protocol
