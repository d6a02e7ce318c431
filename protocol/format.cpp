#include "protocol/format.hpp"

#include "protocol/encoders.hpp"
#include "protocol/timestamp.hpp"

namespace chatd::protocol {

std::string encode(const event& ev, output_format fmt) {
  return fmt == output_format::json ? encode_json(ev) : encode_human(ev);
}

void encode_into(std::string& out, const event& ev, output_format fmt) {
  if (fmt == output_format::json) return encode_json_into(out, ev);
  out += encode_human(ev);
}

std::string format_iso8601(timestamp_ms ts) {
  std::string out;
  out.reserve(24);
  append_iso8601(out, ts);
  return out;
}

std::string_view to_string(output_format fmt) noexcept {
  return fmt == output_format::json ? "json" : "human";
}

}  // namespace chatd::protocol
