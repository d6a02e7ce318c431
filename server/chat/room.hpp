// A chat room: its members (not owned), topic, history, and the broadcaster that orders and
// fans out its messages.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>

#include "protocol/events.hpp"

namespace chatd {

class session;
class server;

// A message on its way from a publisher's reader to the room's broadcaster.
struct publish_request {
  std::uint64_t sender_id;  // looked up again at fan-out: the sender may have gone meanwhile
  std::string from;
  std::string text;
  bool action;
  protocol::timestamp_ms ts;
  std::chrono::steady_clock::time_point arrived;
};

// A message as kept in the room's history ring.
struct stored_message {
  std::string from;
  std::string text;
  std::uint64_t seq;
  protocol::timestamp_ms ts;
  bool action;
};

class room : public std::enable_shared_from_this<room> {
 public:
  room(server& owner, std::string name, std::size_t history_capacity);

  // Spawns the broadcaster; the room lives while it runs.
  void start(const asio::any_io_executor& executor);
  // Ends the broadcaster once the queue is drained (the room was removed from the server).
  void stop();

  const std::string& name() const noexcept { return name_; }
  std::uint64_t last_seq() const noexcept { return last_seq_; }

  // Queues a message for the broadcaster, which gives it the next seq, stores it, tells the
  // sender its seq, and hands it to every other member. Never waits; publishers bound
  // themselves (see session::max_pipelined_publishes).
  void publish(publish_request request);

  // Up to `max` of the latest stored messages, oldest first.
  std::vector<const stored_message*> recent_history(std::size_t max) const;

  void set_history_capacity(std::size_t capacity);

  std::string topic;
  std::vector<session*> members;  // non-owning; a session removes itself when it leaves

 private:
  void spawn_broadcaster(const asio::any_io_executor& executor);
  asio::awaitable<void> broadcast(std::shared_ptr<room> self);  // self: keeps the room alive
  void fan_out(publish_request& request);
  void remember(const publish_request& request, std::uint64_t seq);

  server& server_;
  std::string name_;
  std::uint64_t last_seq_ = 0;
  std::deque<publish_request> queue_;
  std::unique_ptr<asio::steady_timer> wake_;  // the broadcaster sleeps on it while idle
  bool sleeping_ = false;
  bool stopping_ = false;

  std::vector<stored_message> history_;  // ring of history_capacity_ entries
  std::size_t history_capacity_;
  std::size_t history_next_ = 0;          // where the next message goes once the ring is full
};

}  // namespace chatd
