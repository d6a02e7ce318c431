// A connection's queue of encoded lines waiting to be written, bounded by the connection in bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chatd {

// One encoded line (or several), shared read-only by every recipient of a fan-out. Counted
// without atomics: std::shared_ptr would pay two locked instructions per recipient (one to
// queue, one when written), and lines never leave the event loop's thread. The count, the
// length and the bytes are one allocation: a room makes two for every run of one sender's
// messages (room.cpp), or per message in other paths.
class line_ptr {
 public:
  line_ptr() noexcept = default;
  explicit line_ptr(std::string_view bytes) : node_(make_node(bytes)) {}

  // A line of `size` bytes written in place by `fill(char*)`: a line whose size is known
  // before it is encoded costs no buffer and no copy.
  template <typename Fill>
  static line_ptr written(std::size_t size, Fill&& fill) {
    line_ptr line;
    line.node_ = allocate_node(size);
    fill(reinterpret_cast<char*>(line.node_ + 1));
    return line;
  }
  line_ptr(const line_ptr& other) noexcept : node_(other.node_) {
    if (node_ != nullptr) ++node_->refs;
  }
  line_ptr(line_ptr&& other) noexcept : node_(std::exchange(other.node_, nullptr)) {}
  line_ptr& operator=(const line_ptr& other) noexcept {
    line_ptr(other).swap(*this);
    return *this;
  }
  line_ptr& operator=(line_ptr&& other) noexcept {
    line_ptr(std::move(other)).swap(*this);
    return *this;
  }
  ~line_ptr() { reset(); }

  void reset() noexcept {
    if (node_ != nullptr && --node_->refs == 0) destroy(node_);
    node_ = nullptr;
  }
  void swap(line_ptr& other) noexcept { std::swap(node_, other.node_); }

  std::string_view operator*() const noexcept { return {data(), size()}; }
  const char* data() const noexcept { return reinterpret_cast<const char*>(node_ + 1); }
  std::size_t size() const noexcept { return node_->size; }
  bool empty() const noexcept { return node_ == nullptr || node_->size == 0; }
  explicit operator bool() const noexcept { return node_ != nullptr; }
  std::size_t use_count() const noexcept { return node_ != nullptr ? node_->refs : 0; }

 private:
  struct node {  // followed by `size` bytes
    std::size_t refs;
    std::size_t size;
  };
  static node* allocate_node(std::size_t size);
  static node* make_node(std::string_view bytes);
  // Out of line: once per line, not per owner, and it keeps GCC from suspecting a use after
  // free where another owner's count is decremented after an inlined delete.
  static void destroy(node* n) noexcept;

  node* node_ = nullptr;
};

inline line_ptr make_line(std::string_view bytes) { return line_ptr(bytes); }

// A FIFO ring of shared lines. It allocates nothing until the first push, grows by doubling,
// and gives its memory back when trim() finds it drained and unused for a whole period, so
// idle connections cost nothing here: every member of a room gets its joins in bursts, and a
// ring kept "small" on each would be 64 to 512 bytes on every connection.
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
  // The i-th line from the front (i < size()), left in place.
  const line_ptr& peek(std::size_t i) const noexcept {
    return ring_[(head_ + i) & (ring_.size() - 1)];
  }
  // Drops the first n lines (n <= size()); returns their bytes.
  std::size_t pop(std::size_t n) noexcept;
  // Removes the front line (the queue must not be empty) and gives it to the caller.
  line_ptr take_front() noexcept;

  // Drops everything queued and frees an oversized ring; returns the bytes dropped.
  std::size_t clear() noexcept;

  // Frees the ring if the queue is empty and nothing was pushed since the last call.
  // Called periodically rather than whenever the queue drains: a busy connection drains after
  // every write and would otherwise give its ring back and grow it again, one allocation per
  // doubling, for each burst; so would one that is merely between bursts at the moment of a
  // call. An idle connection gives its burst's memory back by the second call.
  void trim() noexcept;

  // Lines the ring can hold before it grows (for tests).
  std::size_t capacity() const noexcept { return ring_.size(); }

 private:
  void grow();

  // 32-bit positions: the byte bound (at most 1 GiB) keeps a queue far below 2^32 lines, and
  // the 8 bytes saved keep a connection in a smaller allocator size class.
  std::vector<line_ptr> ring_;  // capacity is a power of two (or zero)
  std::size_t bytes_ = 0;
  std::uint32_t head_ = 0;
  std::uint32_t count_ = 0;
  bool pushed_since_trim_ = false;
};

}  // namespace chatd
