// Redis pub/sub over RESP2: subscribers SUBSCRIBE to each room's channel; publishers PING once
// (ready on +PONG) and send PUBLISH channel payload, acknowledged by its integer reply.
#pragma once

#include "protocol.hpp"

namespace chatbench {

class redis_protocol final : public protocol {
 public:
  explicit redis_protocol(identity id);
  void hello(std::string& out) override;
  void publish(std::string& out, std::size_t room_index, std::string_view payload) override;
  std::size_t parse(const char* data, std::size_t size, protocol_sink& sink) override;

 private:
  // Parses one top-level value at p; returns the position after it, or nullptr if incomplete.
  const char* value(const char* p, const char* end, protocol_sink& sink);

  identity id_;
  std::size_t subscribes_pending_;
  bool ready_ = false;
};

}  // namespace chatbench
