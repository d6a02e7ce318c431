// Consecutive messages of one sender in one room, handed out together by the room's
// broadcaster: every other member gets their msg lines as one shared line, the sender its oks
// as one. A pipelining client's 128 messages then cost each member one queued line, one
// reference and one copy into the socket's write instead of 128 of each; the bytes a member
// reads are the same, in the same order. Runs end where the sender changes, so a member who
// also speaks still reads the others' messages and its own oks interleaved as they were
// numbered.
//
// The members cannot change while a run is built: the broadcaster's batch runs without
// waiting, and nothing it calls joins or parts (writers and readers are woken by posts).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "protocol/events.hpp"

namespace chatd {

class chat_client;

class message_run {
 public:
  // A run longer than this is handed out before it grows: a shared line stays far below a
  // connection's outbound bound (limits.max_outbound_bytes, 1 MiB by default), which a line is
  // allowed to pass only when it comes alone.
  static constexpr std::size_t max_bytes = 64 * 1024;

  // Begins a batch for `members`: lines are encoded in the formats they read, only.
  void start(const std::vector<chat_client*>& members);

  bool empty() const noexcept { return messages_ == 0; }
  // Whether the next message, from `sender_id`, must wait for this run to be handed out.
  bool ends_before(std::uint64_t sender_id) const noexcept {
    return messages_ > 0 && (sender_id != sender_ || bytes_ >= max_bytes);
  }

  // Adds one numbered message and the ok its sender gets for it.
  void add(std::uint64_t sender_id, const protocol::msg_event& msg,
           const protocol::ok_say_event& ok);

  // Queues the run with `members` (the sender, the member with the sender's id, gets the oks)
  // and empties it. Returns the messages delivered: messages x members other than the sender.
  std::size_t hand_out(const std::vector<chat_client*>& members);

  // Bytes queued with members since start() (each member's copy counted).
  std::size_t bytes_handed_out() const noexcept { return handed_out_; }

 private:
  void clear() noexcept;

  std::array<bool, 2> wanted_{};  // by output_format
  std::array<std::string, 2> messages_bytes_;
  std::array<std::string, 2> ok_bytes_;
  std::uint64_t sender_ = 0;
  std::uint32_t messages_ = 0;
  std::size_t bytes_ = 0;  // of the longest format's msg lines
  std::size_t handed_out_ = 0;
};

}  // namespace chatd
