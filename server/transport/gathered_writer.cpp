#include "server/transport/gathered_writer.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace chatd {

namespace {

// Sends what the socket takes now of `size` bytes at `data`. Returns the bytes sent, 0 if the
// socket buffer is full (EAGAIN), or -1 with errno set. Straight away, not through the loop:
// the writer waits only when the peer is slow.
ssize_t send_now(int fd, const char* data, std::size_t size) {
  for (;;) {
    const ssize_t sent = ::send(fd, data, size, MSG_NOSIGNAL);  // no SIGPIPE on a gone peer
    if (sent >= 0) return sent;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    return -1;
  }
}

}  // namespace

gathered_writer::result gathered_writer::write(int fd, outbound_queue& queue,
                                               std::size_t& written, std::size_t& released) {
  if (partial_) {  // a partly written line goes first
    const result r = send_partial(fd, written);
    if (r == result::blocked) return r;
    released += drop();
    if (r == result::failed) return r;
  }
  buffer& flat = flat_;
  while (!queue.empty()) {
    if (queue.peek(0).size() > flat.size()) {
      offset_ = 0;
      partial_ = queue.take_front();
      const result r = send_partial(fd, written);
      if (r == result::blocked) return r;
      released += drop();
      if (r == result::failed) return r;
      continue;
    }
    const std::size_t most = std::min(queue.size(), max_lines_per_write);
    std::size_t lines = 0;
    std::size_t size = 0;
    for (; lines < most; ++lines) {
      const line_ptr& line = queue.peek(lines);
      if (size + line.size() > flat.size()) break;
      std::memcpy(flat.data() + size, line.data(), line.size());
      size += line.size();
    }
    const ssize_t sent = send_now(fd, flat.data(), size);
    if (sent < 0) {
      released += queue.pop(lines);  // what this call took is dropped, as the result says
      return result::failed;
    }
    written += static_cast<std::size_t>(sent);
    std::size_t done = 0;
    auto left = static_cast<std::size_t>(sent);
    while (done < lines && queue.peek(done).size() <= left) left -= queue.peek(done++).size();
    released += queue.pop(done);
    if (done == lines) continue;
    // The socket is full. A line it took part of leaves the queue with how far it got; the
    // rest stays queued, where the connection's byte bound still sees it.
    if (left > 0) {
      partial_ = queue.take_front();
      offset_ = static_cast<std::uint32_t>(left);
    }
    return result::blocked;
  }
  return result::drained;
}

gathered_writer::result gathered_writer::send_partial(int fd, std::size_t& written) {
  while (offset_ < partial_.size()) {
    const ssize_t sent = send_now(fd, partial_.data() + offset_, partial_.size() - offset_);
    if (sent < 0) return result::failed;
    if (sent == 0) return result::blocked;  // the peer's window is full
    written += static_cast<std::size_t>(sent);
    offset_ += static_cast<std::uint32_t>(sent);
  }
  return result::drained;
}

std::size_t gathered_writer::drop() noexcept {
  const std::size_t bytes = in_flight();
  partial_.reset();
  offset_ = 0;
  return bytes;
}

}  // namespace chatd
