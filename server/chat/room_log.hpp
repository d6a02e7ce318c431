// Where a room's messages are numbered and kept. The room's broadcaster is its only writer:
// it appends each message in order and takes the seq the log gives it. The in-memory ring
// (memory_room_log) is the first implementation; a log backed by a replicated stream can take
// its place without commands or transport noticing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "protocol/events.hpp"

namespace chatd {

// A message as the log keeps it.
struct stored_message {
  std::string from;
  std::string text;
  std::uint64_t seq = 0;
  protocol::timestamp_ms ts = 0;
  bool action = false;
};

class room_log {
 public:
  virtual ~room_log() = default;

  // Stores `message` (its seq is ignored) under the next seq and returns it as stored, valid
  // until the next append. The strings move through: the broadcaster encodes from the log's
  // copy, so a message is never copied on its way in, kept or not.
  virtual const stored_message& append(stored_message message) = 0;
  // The seq of the latest message appended (0 before the first).
  virtual std::uint64_t last_seq() const noexcept = 0;
  // Names this numbering (protocol/names.hpp): a new log, whose seqs start again at 1, has a
  // new epoch, so a seq a client remembers is never taken for another message.
  virtual const std::string& epoch() const noexcept = 0;
  // Kept messages with seq > `seq`, oldest first, at most `max` of the oldest such.
  virtual std::vector<const stored_message*> since(std::uint64_t seq, std::size_t max) const = 0;
  // The latest `max` kept messages, oldest first.
  virtual std::vector<const stored_message*> recent(std::size_t max) const = 0;
  // How many messages are kept (rooms.history); a reload may change it.
  virtual void set_capacity(std::size_t capacity) = 0;
};

}  // namespace chatd
