// Reads one JetStream stream, or a key-value bucket's, in order on the loop: an ordered
// consumer (libnats starts it again by itself after a gap or a reconnect) whose callback copies
// each message and posts it through a loop_inbox.
#pragma once

#include <nats/nats.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
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
  std::uint64_t generation = 0;  // which of the reader's consumers delivered it
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

  // Loop only. Reading stalled (the owner knows the stream went further): a new ordered
  // consumer from `from_seq`, made on a thread of its own, since deleting and creating
  // consumers waits on JetStream. Nothing the old consumer still delivers reaches the handler.
  // False (and nothing done) while an earlier restart is under way.
  bool restart(std::uint64_t from_seq);
  std::uint64_t restarts() const noexcept { return generation_; }

 private:
  // A consumer's callback closure: which reader, and which of its consumers.
  struct consumer {
    stream_reader* reader;
    std::uint64_t generation;
  };
  static void on_msg(natsConnection*, natsSubscription*, natsMsg* msg, void* closure);
  natsSubscription* subscribe(consumer& closure, std::uint64_t from_seq, natsStatus& status);
  void deliver(std::vector<stream_entry>& entries);

  handler on_entries_;
  loop_inbox<stream_entry> inbox_;
  jsCtx* js_ = nullptr;
  std::string stream_;
  std::string filter_;
  bool last_per_subject_ = false;

  std::uint64_t generation_ = 0;  // loop only: the consumer whose entries are delivered
  // Every consumer's closure, kept until the reader goes: libnats may still be in a callback
  // of one just unsubscribed.
  std::vector<std::unique_ptr<consumer>> consumers_;
  std::mutex sub_mutex_;                // the restart thread swaps sub_
  natsSubscription* sub_ = nullptr;     // guarded by sub_mutex_
  std::thread restarter_;
  std::atomic<bool> restarting_{false};
};

}  // namespace chatd
