// A session's queue of encoded lines waiting to be written, bounded by the owner in bytes.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace chatd {

// One encoded line (or several), shared read-only by every recipient of a fan-out.
using line_ptr = std::shared_ptr<const std::string>;

// A FIFO ring of shared lines. It allocates nothing until the first push, grows by doubling,
// and gives its memory back once drained after a burst, so idle connections cost nothing here.
class outbound_queue {
 public:
  bool empty() const noexcept { return count_ == 0; }
  std::size_t size() const noexcept { return count_; }
  // Bytes of the lines in the queue (not of lines already taken by the writer).
  std::size_t bytes() const noexcept { return bytes_; }

  void push(line_ptr line);

  // Moves lines from the front into `batch` (appending) until `max_lines` lines or at least
  // `max_bytes` bytes were taken; at least one line if any. Returns the bytes moved.
  std::size_t take(std::vector<line_ptr>& batch, std::size_t max_lines, std::size_t max_bytes);

  // Drops everything queued; returns the bytes dropped.
  std::size_t clear() noexcept;

 private:
  void grow();
  void release_if_oversized();

  std::vector<line_ptr> ring_;  // capacity is a power of two (or zero)
  std::size_t head_ = 0;
  std::size_t count_ = 0;
  std::size_t bytes_ = 0;
};

}  // namespace chatd
