// Encodes one event at most once per output format, however many recipients it has.
#pragma once

#include <array>
#include <string>

#include "protocol/events.hpp"
#include "protocol/format.hpp"
#include "server/chat/presence.hpp"
#include "server/transport/connection.hpp"
#include "server/transport/outbound_queue.hpp"

namespace chatd {

// `ev` encoded in `fmt` as a shared line (possibly empty: nothing to send in that format). A
// plain chat message's msg and ok lines are written straight into the line; anything else is
// encoded into a buffer reused from line to line and copied once into the line.
line_ptr encode_line(const protocol::event& ev, protocol::output_format fmt);

class encoded_event {
 public:
  // `ev` must outlive this object (it usually holds views of the caller's strings).
  explicit encoded_event(const protocol::event& ev) : event_(ev) {}

  // Joins, parts and quits may wait a moment to go out with the next ones
  // (coalesced_writes.hpp); everything else is written this turn.
  send_urgency urgency() const noexcept {
    return is_presence(event_) ? send_urgency::coalesced : send_urgency::now;
  }

  // The shared bytes for format `fmt`; may be an empty string (nothing to send in that format).
  const line_ptr& get(protocol::output_format fmt) {
    line_ptr& slot = cache_[static_cast<std::size_t>(fmt)];
    if (!slot) slot = encode_line(event_, fmt);
    return slot;
  }

 private:
  const protocol::event& event_;
  std::array<line_ptr, 2> cache_;
};

}  // namespace chatd
