// NATS text protocol: CONNECT (verbose off), SUB per room for subscribers, then PING; the
// first PONG means ready. PUB has no reply, so the publisher appends a PING after each batch of
// publishes and counts the batch acknowledged when its PONG arrives (the server answers PINGs
// in order, after processing everything sent before). Server PINGs get a PONG.
#pragma once

#include <deque>

#include "protocol.hpp"

namespace chatbench {

class nats_protocol final : public protocol {
 public:
  explicit nats_protocol(identity id);
  void hello(std::string& out) override;
  void publish(std::string& out, std::size_t room_index, std::string_view payload) override;
  void end_batch(std::string& out) override;
  std::size_t parse(const char* data, std::size_t size, protocol_sink& sink) override;

 private:
  identity id_;
  bool ready_ = false;
  std::uint64_t unpinged_ = 0;              // publishes since the last PING
  std::deque<std::uint64_t> ping_batches_;  // publishes each outstanding PING acknowledges
};

}  // namespace chatbench
