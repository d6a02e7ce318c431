// Writes a connection's outbound queue to a non-blocking socket: many queued lines in one
// send, partial writes resumed where they stopped.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "server/transport/outbound_queue.hpp"

namespace chatd {

class gathered_writer {
 public:
  enum class result : unsigned char {
    drained,  // the queue is empty and everything taken from it is written
    blocked,  // the socket takes no more now; call write() again once it is writable
    failed,   // the socket is broken (errno says why); what was taken is dropped
  };

  // The writer hands the kernel at most this much per call. Under fan-out load a member's
  // queue holds many small lines; one call for all of them is what keeps the cost per
  // delivery low.
  static constexpr std::size_t max_lines_per_write = 512;
  static constexpr std::size_t max_bytes_per_write = 256 * 1024;
  using buffer = std::array<char, max_bytes_per_write>;

  // `flat` is the loop's buffer, lent to whichever writer is writing.
  explicit gathered_writer(buffer& flat) noexcept : flat_(flat) {}

  // Writes what `queue` holds (after what is left of a partly written line) to `fd` until the
  // queue is empty or the socket is full. Adds the bytes written to `written`, and the bytes
  // of lines finished with (written or dropped) to `released`.
  //
  // The lines are copied from the queue into one flat buffer and sent with one send(), rather
  // than handed over as an iovec each: the kernel's copy from user memory costs about as much
  // per segment as for a few hundred bytes, and chat lines are a few hundred bytes
  // (docs/architecture.md). They stay in the queue until the kernel took them, so nothing is
  // moved for a write that goes through, and a line too long for the buffer is sent alone,
  // uncopied.
  result write(int fd, outbound_queue& queue, std::size_t& written, std::size_t& released);

  // Bytes taken from the queue and not yet released (a line the socket took only part of).
  std::size_t in_flight() const noexcept { return partial_ ? partial_.size() : 0; }
  // Drops a partly written line (the connection is cut); returns its bytes.
  std::size_t drop() noexcept;

 private:
  result send_partial(int fd, std::size_t& written);

  // A line the socket took only part of: it leaves the queue, which may be cleared meanwhile
  // (an overflow), so the peer never gets half a line followed by something else.
  buffer& flat_;
  line_ptr partial_;
  std::uint32_t offset_ = 0;  // bytes of it already sent (a line is at most 1 GiB)
};

}  // namespace chatd
