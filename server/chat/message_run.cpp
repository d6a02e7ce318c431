#include "server/chat/message_run.hpp"

#include <algorithm>

#include "protocol/format.hpp"
#include "server/chat/chat_client.hpp"
#include "server/transport/outbound_queue.hpp"

namespace chatd {

namespace {

std::size_t index(protocol::output_format fmt) noexcept { return static_cast<std::size_t>(fmt); }

// After a run of unusually long lines, the buffers are not kept at that size.
constexpr std::size_t keep_capacity = 4 * message_run::max_bytes;

}  // namespace

void message_run::start(const std::vector<chat_client*>& members) {
  clear();  // what a batch that threw left, if any
  handed_out_ = 0;
  wanted_ = {};
  for (const chat_client* member : members) wanted_[index(member->format())] = true;
}

void message_run::add(std::uint64_t sender_id, const protocol::msg_event& msg,
                      const protocol::ok_say_event& ok) {
  sender_ = sender_id;
  ++messages_;
  for (const auto fmt : {protocol::output_format::json, protocol::output_format::human}) {
    if (!wanted_[index(fmt)]) continue;
    protocol::encode_into(messages_bytes_[index(fmt)], msg, fmt);
    protocol::encode_into(ok_bytes_[index(fmt)], ok, fmt);
    bytes_ = std::max(bytes_, messages_bytes_[index(fmt)].size());
  }
}

std::size_t message_run::hand_out(const std::vector<chat_client*>& members) {
  if (messages_ == 0) return 0;
  std::array<line_ptr, 2> messages_line;
  std::array<line_ptr, 2> ok_line;
  const auto shared = [](std::array<line_ptr, 2>& lines, const std::string& bytes,
                         std::size_t fmt) -> const line_ptr& {
    if (!lines[fmt] && !bytes.empty()) lines[fmt] = make_line(bytes);
    return lines[fmt];  // null for no bytes (a human client sees no ok): nothing is queued
  };
  std::size_t delivered = 0;
  for (chat_client* member : members) {
    const std::size_t fmt = index(member->format());
    if (member->id() == sender_) {  // ids are never reused, and 0 is no one's
      const line_ptr& oks = shared(ok_line, ok_bytes_[fmt], fmt);
      if (oks) handed_out_ += oks.size();
      member->publishes_done(oks, messages_);
      continue;
    }
    const line_ptr& lines = shared(messages_line, messages_bytes_[fmt], fmt);
    if (lines) handed_out_ += lines.size();
    member->deliver(lines);
    delivered += messages_;
  }
  clear();
  return delivered;
}

void message_run::clear() noexcept {
  for (std::string* bytes : {&messages_bytes_[0], &messages_bytes_[1], &ok_bytes_[0], &ok_bytes_[1]}) {
    bytes->clear();
    if (bytes->capacity() > keep_capacity) std::string().swap(*bytes);
  }
  messages_ = 0;
  bytes_ = 0;
}

}  // namespace chatd
