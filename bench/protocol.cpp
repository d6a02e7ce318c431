#include "protocol.hpp"

#include "protocol_chatd.hpp"
#include "protocol_nats.hpp"
#include "protocol_redis.hpp"

namespace chatbench {

std::unique_ptr<protocol> make_protocol(target t, identity id) {
  switch (t) {
    case target::chatd: return std::make_unique<chatd_protocol>(std::move(id));
    case target::redis: return std::make_unique<redis_protocol>(std::move(id));
    case target::nats: return std::make_unique<nats_protocol>(std::move(id));
  }
  return nullptr;
}

const char* ack_method(target t) {
  switch (t) {
    case target::chatd: return "chatd ok say per message";
    case target::redis: return "PUBLISH integer reply per message";
    case target::nats: return "PING after each publish batch, its PONG acks the batch";
  }
  return "";
}

}  // namespace chatbench
