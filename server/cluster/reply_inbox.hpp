// Where JetStream's answers to this node's publishes come back: one subscription on a unique
// inbox, INBOX.*, each publish naming INBOX.TOKEN as its reply subject, and every answer posted
// to the loop with its token. Many publishes in flight cost one subscription, and nothing waits.
#pragma once

#include <nats/nats.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <asio/any_io_executor.hpp>

#include "server/cluster/loop_inbox.hpp"

namespace chatd {

struct engine_reply {
  std::uint64_t token = 0;
  std::string data;
};

class reply_inbox {
 public:
  using handler = std::function<void(std::vector<engine_reply>&)>;

  reply_inbox(asio::any_io_executor loop, handler on_replies);
  ~reply_inbox();  // unsubscribes: no callback runs after it
  reply_inbox(const reply_inbox&) = delete;
  reply_inbox& operator=(const reply_inbox&) = delete;

  // Throws engine_error; once started, calling it again does nothing.
  void start(natsConnection* conn);
  // The reply subject for the publish numbered `token`.
  std::string subject(std::uint64_t token) const { return prefix_ + std::to_string(token); }

 private:
  static void on_msg(natsConnection*, natsSubscription*, natsMsg* msg, void* closure);

  loop_inbox<engine_reply> inbox_;
  std::string prefix_;  // "INBOX."
  natsSubscription* sub_ = nullptr;
};

}  // namespace chatd
