// A transport connection moves bytes: it owns the socket, the reader, the gathered writer and
// the bounded outbound queue, and knows nothing of commands. Its owner (a chat client) hears
// from it through connection_handler. TLS or a PROXY header are other connections in front of
// the same handler.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "server/transport/disconnect_reason.hpp"
#include "server/transport/outbound_queue.hpp"

namespace chatd {

using steady_time = std::chrono::steady_clock::time_point;

// How a connection ends: after what is queued is written (and the peer had a moment to close
// its side), or at once.
enum class stop_mode : unsigned char { flush, cut };

// How soon a queued line must be written: at the end of this turn of the loop, or within a
// short delay together with whatever else comes for the connection meanwhile (presence
// notices; coalesced_writes.hpp says why).
enum class send_urgency : unsigned char { now, coalesced };

class connection_handler {
 public:
  // Input arrived. The handler consumes lines from the front of `input`. To pause (flood
  // control, earlier work still pending) it leaves the rest in `input` and returns when to
  // be called again: a time, or time_point::max() for "when woken" (connection::wake_reader).
  // It is then called with what it left, first of all to resume the line it held.
  // time_point::min() means "all consumed, read on".
  virtual steady_time on_input(std::string_view& input) = 0;
  // The transport ended on its own (the peer closed, a write failed, the queue overflowed, an
  // exception): the handler stops itself for `reason` (the connection is stopped with `mode`
  // whatever the handler does).
  virtual void on_transport_end(disconnect_reason reason, stop_mode mode) = 0;
  // Last call: the socket is closed and nothing of the connection runs any more.
  virtual void on_finished() = 0;

 protected:
  ~connection_handler() = default;
};

class connection {
 public:
  virtual ~connection() = default;

  // Starts reading and writing for `handler`, which must outlive the connection or detach().
  virtual void start(connection_handler& handler) = 0;
  // The handler is going away: nothing is reported to it any more.
  virtual void detach() noexcept = 0;

  // Queues `line`. Past the byte bound the connection drops its queue and reports
  // slow_consumer to the handler from a later turn (callers may be iterating a member list).
  // Returns false if the line was not queued.
  virtual bool send(const line_ptr& line, send_urgency urgency) = 0;
  bool send(const line_ptr& line) { return send(line, send_urgency::now); }
  // Queues `line` even past the bound: the last words (a bye) of a stopping connection.
  virtual void send_last(line_ptr line) = 0;
  // Wakes a reader paused until woken (or cuts a timed pause short).
  virtual void wake_reader() = 0;
  // Ends the connection (idempotent; a cut after a flush cuts). Queued output is written
  // within `flush_deadline` for flush, and no more input reaches the handler.
  virtual void stop(stop_mode mode, steady_time flush_deadline) = 0;
  // Periodic upkeep: gives an idle queue's memory back, cuts a flush past its deadline.
  virtual void on_tick(steady_time now) = 0;

  virtual std::size_t queued_bytes() const noexcept = 0;
  // "address:port" of the peer, for logs; the address alone, for per-address limits.
  virtual const std::string& peer() const noexcept = 0;
  virtual const std::string& address() const noexcept = 0;
};

}  // namespace chatd
