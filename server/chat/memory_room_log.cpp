#include "server/chat/memory_room_log.hpp"

#include <algorithm>
#include <utility>

namespace chatd {

const stored_message& memory_room_log::append(stored_message message) {
  message.seq = ++last_seq_;
  return keep(std::move(message));
}

const stored_message& memory_room_log::append_numbered(stored_message message) {
  if (message.seq != last_seq_ + 1) {
    ring_.clear();
    next_ = 0;
  }
  last_seq_ = message.seq;
  return keep(std::move(message));
}

const stored_message& memory_room_log::keep(stored_message message) {
  if (capacity_ == 0) {
    unkept_ = std::move(message);
    return unkept_;
  }
  if (ring_.size() < capacity_) {
    // Grown by doubling, as a vector does, but never past the capacity: a full ring of 50
    // would otherwise hold 64 slots (1.2 KB more in each room that fills its history).
    if (ring_.size() == ring_.capacity()) ring_.reserve(std::min(capacity_, 2 * ring_.size() + 1));
    ring_.push_back(std::move(message));
    return ring_.back();
  }
  stored_message& slot = ring_[next_];
  slot = std::move(message);
  next_ = (next_ + 1) % capacity_;
  return slot;
}

const stored_message& memory_room_log::at(std::size_t i) const noexcept {
  // The oldest entry sits at next_ once the ring is full, at 0 before.
  const std::size_t oldest = ring_.size() < capacity_ ? 0 : next_;
  return ring_[(oldest + i) % ring_.size()];
}

std::vector<const stored_message*> memory_room_log::recent(std::size_t max) const {
  std::vector<const stored_message*> out;
  const std::size_t n = std::min(max, ring_.size());
  out.reserve(n);
  for (std::size_t i = ring_.size() - n; i < ring_.size(); ++i) out.push_back(&at(i));
  return out;
}

std::vector<const stored_message*> memory_room_log::since(std::uint64_t seq,
                                                          std::size_t max) const {
  std::vector<const stored_message*> out;
  if (ring_.empty() || seq >= last_seq_) return out;
  // Seqs in the ring are consecutive, ending at last_seq_.
  const std::uint64_t oldest = last_seq_ - ring_.size() + 1;
  const std::size_t first = seq < oldest ? 0 : static_cast<std::size_t>(seq - oldest + 1);
  const std::size_t n = std::min(max, ring_.size() - first);
  out.reserve(n);
  for (std::size_t i = first; i < first + n; ++i) out.push_back(&at(i));
  return out;
}

void memory_room_log::set_capacity(std::size_t capacity) {
  if (capacity == capacity_) return;
  std::vector<stored_message> kept;
  for (const stored_message* m : recent(capacity)) kept.push_back(*m);
  ring_ = std::move(kept);
  capacity_ = capacity;
  next_ = 0;
}

}  // namespace chatd
