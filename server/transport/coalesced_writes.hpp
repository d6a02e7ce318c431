// Writers whose queued output may wait a moment for more: presence notices (joins, parts,
// quits). A room of m members filling up sends m² of them, and a write per member per notice
// is what kept a crowd from connecting quickly (each small write on loopback costs about
// 10 µs of the sender's CPU, the receiver's wake-up included). Collected here, a member's
// notices go out together, at most `delay` after the first; anything urgent queued behind
// them in the meantime takes them along at once, so the order of a connection's lines holds.
#pragma once

#include <chrono>
#include <memory>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/steady_timer.hpp>

namespace chatd {

class tcp_connection;

class coalesced_writes {
 public:
  explicit coalesced_writes(std::chrono::milliseconds delay) : delay_(delay) {}

  // rooms.presence_delay; 0 writes coalesced lines like any other (the next turn).
  std::chrono::milliseconds delay() const noexcept { return delay_; }
  void set_delay(std::chrono::milliseconds delay) noexcept { delay_ = delay; }

  // Queues `writer` for the next flush, arming the timer if none is due.
  void add(std::shared_ptr<tcp_connection> writer, const asio::any_io_executor& executor);

 private:
  void flush();

  std::chrono::milliseconds delay_;
  std::vector<std::shared_ptr<tcp_connection>> waiting_;
  std::vector<std::shared_ptr<tcp_connection>> flushing_;  // kept for its capacity
  std::unique_ptr<asio::steady_timer> timer_;               // made on first use
  bool armed_ = false;
};

}  // namespace chatd
