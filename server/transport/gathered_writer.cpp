#include "server/transport/gathered_writer.hpp"

#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace chatd {

namespace {

// Sends what the socket takes now of lines[first..], starting `offset` bytes into the first,
// in one call. Returns the bytes sent, 0 if the socket buffer is full (EAGAIN), or -1 with
// errno set. Asio's async_write would split the gather at 64 buffers and go through the loop
// once per call; this writes straight away and waits only when the peer is slow.
//
// The lines are copied into one flat buffer first rather than handed over as an iovec each:
// the kernel's copy from user memory costs about as much per segment as for a few hundred
// bytes, and chat lines are a few hundred bytes (docs/benchmarks.md). A line too long for the
// buffer goes alone, uncopied.
ssize_t send_gathered(int fd, const std::vector<line_ptr>& lines, std::size_t first,
                      std::size_t offset) {
  static thread_local std::array<char, gathered_writer::max_bytes_per_write> flat;
  const char* data = flat.data();
  std::size_t size = 0;
  const std::string_view head = *lines[first];
  if (head.size() - offset > flat.size()) {
    data = head.data() + offset;
    size = head.size() - offset;
  } else {
    for (std::size_t i = first; i < lines.size(); ++i) {
      const std::string_view line = *lines[i];
      const std::size_t skip = i == first ? offset : 0;
      const std::size_t n = line.size() - skip;
      if (size + n > flat.size()) break;
      std::memcpy(flat.data() + size, line.data() + skip, n);
      size += n;
    }
  }
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
  if (!batch_.empty()) {  // a blocked batch goes first
    const result r = send_batch(fd, written);
    if (r == result::blocked) return r;
    released += drop();
    if (r == result::failed) return r;
  }
  batch_.swap(scratch_);  // borrow the loop's vector for this run
  result r = result::drained;
  while (!queue.empty()) {
    batch_bytes_ = queue.take(batch_, max_lines_per_write, max_bytes_per_write);
    first_ = offset_ = 0;
    r = send_batch(fd, written);
    if (r == result::blocked) {
      // Keep the batch (its own vector: the scratch goes back to the loop).
      std::vector<line_ptr> kept(std::make_move_iterator(batch_.begin() + first_),
                                 std::make_move_iterator(batch_.end()));
      batch_.clear();
      batch_.swap(scratch_);
      batch_ = std::move(kept);
      first_ = 0;
      return r;
    }
    released += batch_bytes_;
    batch_bytes_ = 0;
    batch_.clear();
    if (r == result::failed) break;
  }
  batch_.swap(scratch_);
  return r;
}

gathered_writer::result gathered_writer::send_batch(int fd, std::size_t& written) {
  while (first_ < batch_.size()) {
    const ssize_t sent = send_gathered(fd, batch_, first_, offset_);
    if (sent < 0) return result::failed;
    if (sent == 0) return result::blocked;  // the peer's window is full
    written += static_cast<std::size_t>(sent);
    for (auto left = static_cast<std::size_t>(sent); left > 0;) {
      const std::size_t rest = batch_[first_].size() - offset_;
      if (left < rest) {
        offset_ += static_cast<std::uint32_t>(left);
        break;
      }
      left -= rest;
      ++first_;
      offset_ = 0;
    }
  }
  return result::drained;
}

std::size_t gathered_writer::drop() noexcept {
  const std::size_t bytes = batch_bytes_;
  batch_.clear();
  std::vector<line_ptr>().swap(batch_);
  batch_bytes_ = first_ = offset_ = 0;
  return bytes;
}

}  // namespace chatd
