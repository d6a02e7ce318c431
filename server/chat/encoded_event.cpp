#include "server/chat/encoded_event.hpp"

namespace chatd {

line_ptr encode_line(const protocol::event& ev, protocol::output_format fmt) {
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
