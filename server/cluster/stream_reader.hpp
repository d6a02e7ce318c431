// Reads one JetStream stream, or a key-value bucket's, in order on the loop: an ordered
// consumer (libnats starts it again by itself after a gap or a reconnect) whose callback copies
// each message and posts it through a loop_inbox.
#pragma once

#include <nats/nats.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <asio/any_io_executor.hpp>

#include "server/cluster/loop_inbox.hpp"

namespace chatd {

struct stream_entry {
  std::string subject;
  std::string data;
  std::uint64_t stream_seq = 0;
  std::int64_t stored_ns = 0;  // when JetStream stored it (its clock), ns since the epoch
  std::string operation;       // KV-Operation: "" for a put, DEL or PURGE
  std::string why;             // Chatd-Why, on a member's delete marker
  std::string text;            // Chatd-Text, the same
};

class stream_reader {
 public:
  using handler = std::function<void(std::vector<stream_entry>&)>;

  stream_reader(asio::any_io_executor loop, handler on_entries);
  ~stream_reader();  // unsubscribes: no callback runs after it
  stream_reader(const stream_reader&) = delete;
  stream_reader& operator=(const stream_reader&) = delete;

  // From the first message (all) or the last of each subject (a bucket's current state).
  // Throws engine_error; once started, calling it again does nothing.
  void start(jsCtx* js, const std::string& stream, const std::string& filter,
             bool last_per_subject);

 private:
  static void on_msg(natsConnection*, natsSubscription*, natsMsg* msg, void* closure);

  loop_inbox<stream_entry> inbox_;
  natsSubscription* sub_ = nullptr;
};

}  // namespace chatd
