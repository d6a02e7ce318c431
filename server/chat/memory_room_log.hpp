// The standalone room log: a ring of the latest `capacity` messages in memory.
#pragma once

#include <string>
#include <utility>

#include "server/chat/room_log.hpp"

namespace chatd {

class memory_room_log final : public room_log {
 public:
  memory_room_log(std::size_t capacity, std::string epoch)
      : epoch_(std::move(epoch)), capacity_(capacity) {}

  const stored_message& append(stored_message message) override;
  std::uint64_t last_seq() const noexcept override { return last_seq_; }
  const std::string& epoch() const noexcept override { return epoch_; }
  std::vector<const stored_message*> since(std::uint64_t seq, std::size_t max) const override;
  std::vector<const stored_message*> recent(std::size_t max) const override;
  void set_capacity(std::size_t capacity) override;

  std::size_t size() const noexcept { return ring_.size(); }

  // For a log whose numbering is decided elsewhere (the cluster's stream): keeps `message`
  // under its own seq. A seq that does not follow the last one (history the stream no longer
  // has, a log that starts late) drops what is kept, so the ring stays consecutive.
  const stored_message& append_numbered(stored_message message);
  // The numbering's name, once the stream tells it (a room's first record).
  void set_epoch(std::string epoch) { epoch_ = std::move(epoch); }

 private:
  // The i-th kept message, oldest first.
  const stored_message& at(std::size_t i) const noexcept;
  const stored_message& keep(stored_message message);

  std::string epoch_;
  std::uint64_t last_seq_ = 0;
  std::vector<stored_message> ring_;
  std::size_t capacity_;
  std::size_t next_ = 0;  // where the next message goes once the ring is full (the oldest)
  stored_message unkept_;  // the latest message while the capacity is 0
};

}  // namespace chatd
