// Writes a connection's outbound queue to a non-blocking socket: many queued lines in one
// sendmsg, partial writes resumed where they stopped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

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
  // delivery low (the kernel accepts up to 1024 iovecs).
  static constexpr std::size_t max_lines_per_write = 512;
  static constexpr std::size_t max_bytes_per_write = 256 * 1024;

  // `scratch` is a loop-wide vector lent to whichever writer is writing, so a writer that
  // is not blocked mid-batch holds no batch of its own.
  explicit gathered_writer(std::vector<line_ptr>& scratch) : scratch_(scratch) {}

  // Writes what `queue` holds (after what is left of a blocked batch) to `fd` until the queue
  // is empty or the socket is full. Adds the bytes written to `written`, and the bytes of
  // lines finished with (written or dropped) to `released`.
  result write(int fd, outbound_queue& queue, std::size_t& written, std::size_t& released);

  // Bytes taken from the queue and not yet released (a blocked batch).
  std::size_t in_flight() const noexcept { return batch_bytes_; }
  // Drops a blocked batch (the connection is cut); returns its bytes.
  std::size_t drop() noexcept;

 private:
  result send_batch(int fd, std::size_t& written);

  std::vector<line_ptr>& scratch_;
  std::vector<line_ptr> batch_;  // only while blocked: owns its lines, the queue may be cleared
  std::size_t batch_bytes_ = 0;
  // 32-bit: a batch is at most 512 lines, and a line at most max_outbound_bytes (<= 1 GiB).
  std::uint32_t first_ = 0;   // first line not fully sent
  std::uint32_t offset_ = 0;  // bytes of it already sent
};

}  // namespace chatd
