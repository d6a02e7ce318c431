#include "server/chat/encoded_event.hpp"

#include <variant>

#include "protocol/json_chat_lines.hpp"

namespace chatd {

namespace {

// The msg and ok lines of a chat message, written straight into the line when their size is
// known up front (plain text: nearly always); a null line when it is not.
template <typename Event>
line_ptr plain_json_line(const Event& e) {
  const std::size_t size = protocol::plain_json_size(e);
  if (size == 0) return {};
  return line_ptr::written(size, [&](char* out) { protocol::write_plain_json(out, e); });
}

}  // namespace

line_ptr encode_line(const protocol::event& ev, protocol::output_format fmt) {
  if (fmt == protocol::output_format::json) {
    if (const auto* msg = std::get_if<protocol::msg_event>(&ev)) {
      if (line_ptr line = plain_json_line(*msg)) return line;
    } else if (const auto* ok = std::get_if<protocol::ok_say_event>(&ev)) {
      if (line_ptr line = plain_json_line(*ok)) return line;
    }
  }
  // The loop's one thread encodes here; the buffer keeps its capacity, so the lines written
  // for every chat message need no allocation but the line's own.
  static thread_local std::string scratch;
  scratch.clear();
  protocol::encode_into(scratch, ev, fmt);
  line_ptr line = make_line(scratch);
  if (scratch.capacity() > 64 * 1024) std::string().swap(scratch);  // after a huge listing
  return line;
}

}  // namespace chatd
