#include "server/transport/outbound_queue.hpp"

#include <cstring>
#include <new>
#include <utility>

namespace chatd {

namespace {
// A drained ring larger than this is freed at once by clear().
constexpr std::size_t keep_capacity = 64;
}  // namespace

line_ptr::node* line_ptr::allocate_node(std::size_t size) {
  void* memory = ::operator new(sizeof(node) + size);
  return ::new (memory) node{1, size};
}

line_ptr::node* line_ptr::make_node(std::string_view bytes) {
  node* n = allocate_node(bytes.size());
  if (!bytes.empty()) std::memcpy(n + 1, bytes.data(), bytes.size());
  return n;
}

void line_ptr::destroy(node* n) noexcept { ::operator delete(n); }

void outbound_queue::push(line_ptr line) {
  if (count_ == ring_.size()) grow();
  pushed_since_trim_ = true;
  bytes_ += line.size();
  ring_[(head_ + count_) & (ring_.size() - 1)] = std::move(line);
  ++count_;
}

std::size_t outbound_queue::take(std::vector<line_ptr>& batch, std::size_t max_lines,
                                 std::size_t max_bytes) {
  std::size_t moved = 0;
  std::size_t lines = 0;
  while (count_ > 0 && lines < max_lines && (lines == 0 || moved < max_bytes)) {
    line_ptr& slot = ring_[head_];
    moved += slot.size();
    batch.push_back(std::move(slot));
    head_ = static_cast<std::uint32_t>((head_ + 1) & (ring_.size() - 1));
    --count_;
    ++lines;
  }
  bytes_ -= moved;
  if (count_ == 0) head_ = 0;
  return moved;
}

std::size_t outbound_queue::pop(std::size_t n) noexcept {
  std::size_t dropped = 0;
  for (std::size_t i = 0; i < n; ++i) {
    line_ptr& slot = ring_[head_];
    dropped += slot.size();
    slot.reset();
    head_ = static_cast<std::uint32_t>((head_ + 1) & (ring_.size() - 1));
  }
  count_ -= static_cast<std::uint32_t>(n);
  bytes_ -= dropped;
  if (count_ == 0) head_ = 0;
  return dropped;
}

line_ptr outbound_queue::take_front() noexcept {
  line_ptr line = std::move(ring_[head_]);
  bytes_ -= line.size();
  head_ = static_cast<std::uint32_t>((head_ + 1) & (ring_.size() - 1));
  if (--count_ == 0) head_ = 0;
  return line;
}

std::size_t outbound_queue::clear() noexcept {
  const std::size_t dropped = bytes_;
  for (std::size_t i = 0; i < count_; ++i) ring_[(head_ + i) & (ring_.size() - 1)].reset();
  head_ = count_ = bytes_ = 0;
  if (ring_.size() > keep_capacity) std::vector<line_ptr>().swap(ring_);
  return dropped;
}

void outbound_queue::grow() {
  const std::size_t new_capacity = ring_.empty() ? 8 : ring_.size() * 2;
  std::vector<line_ptr> bigger(new_capacity);
  for (std::size_t i = 0; i < count_; ++i)
    bigger[i] = std::move(ring_[(head_ + i) & (ring_.size() - 1)]);
  ring_ = std::move(bigger);
  head_ = 0;
}

void outbound_queue::trim() noexcept {
  if (count_ == 0 && !pushed_since_trim_ && !ring_.empty()) {
    head_ = 0;
    std::vector<line_ptr>().swap(ring_);
  }
  pushed_since_trim_ = false;
}

}  // namespace chatd
