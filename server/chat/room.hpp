// A chat room owns its state: members (not owned), topic and log, changed only through its
// methods. Its broadcaster, fed by an async queue, is the one place where the room's messages
// get their order: it takes each seq from the room log and hands every member the same bytes.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <limits>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>

#include "protocol/events.hpp"
#include "server/chat/presence.hpp"
#include "server/chat/room_log.hpp"

namespace chatd {

class chat_client;
class message_run;
class presence_engine;
class room_engine;
class server_metrics;
class slow_loop_watch;
class write_pass;

// A message on its way from a publisher to the room's broadcaster.
struct publish_request {
  // The sender gets its ok if it is still a member at fan-out; the id tells it from a newer
  // client at the same address.
  const chat_client* sender;
  std::uint64_t sender_id;
  std::string from;
  std::string text;
  bool action;
  protocol::timestamp_ms ts;
  std::chrono::steady_clock::time_point arrived;
};

class room : public std::enable_shared_from_this<room> {
 public:
  // `writers` (may be null): the loop's write pass, run early after a big batch.
  room(std::string name, std::shared_ptr<room_log> log, server_metrics& metrics,
       slow_loop_watch& slow_loop, write_pass* writers);
  // In a cluster the engine numbers the messages (chat_engine.hpp): publish hands them to it,
  // and it hands each stored message back through fan_out_stored.
  void set_engine(room_engine* engine) noexcept { engine_ = engine; }
  // In a cluster, who is in the room on the other nodes (chat_engine.hpp).
  void set_presence_engine(const presence_engine* engine) noexcept { presence_engine_ = engine; }

  // Spawns the broadcaster; the room lives while it runs.
  void start(const asio::any_io_executor& executor);
  // Ends the broadcaster once its queue is drained (the room was removed from the registry).
  void stop();

  const std::string& name() const noexcept { return name_; }
  std::uint64_t last_seq() const noexcept { return log_->last_seq(); }
  const std::string& epoch() const noexcept { return log_->epoch(); }
  const room_log& log() const noexcept { return *log_; }
  const std::string& topic() const noexcept { return topic_; }
  void set_topic(std::string topic) { topic_ = std::move(topic); }

  const std::vector<chat_client*>& members() const noexcept { return members_; }
  void add_member(chat_client& client);
  // Returns true if the room is now empty.
  bool remove_member(chat_client& client);
  // This node's members and the other nodes' (cluster mode).
  std::size_t member_count() const noexcept;
  // Forgets every member at once (the directory is going away).
  void clear_members() noexcept { members_.clear(); }
  // The first `limit` of the members' nicks in the order /who shows them (case-insensitive),
  // all of them by default. Costs O(members) plus O(members log limit): the rest are not sorted.
  std::vector<std::string> member_nicks(
      std::size_t limit = std::numeric_limits<std::size_t>::max()) const;

  // Presence (presence.hpp): whether the room announces a join, part or quit now, under
  // rooms.presence_max_members `limit`. The member it is about counts, so ask after adding a
  // joiner and before removing a leaver.
  bool sends_presence(std::size_t limit) const noexcept {
    return presence_on(member_count(), limit);
  }
  // After a member joined or left: logs (info) when the room has crossed `limit` since the
  // last call, "room dev now has 1001 members: presence off (...)", and the way back.
  void watch_presence(std::size_t limit);

  // Queues a message for the broadcaster. Never waits; publishers bound themselves.
  void publish(publish_request request);
  // Hands every member the stored message but its sender, the member with id `sender_id`
  // (0: none here), who gets `ok` instead if given. Returns how many got the message.
  std::size_t fan_out_stored(const stored_message& stored, std::uint64_t sender_id,
                             const protocol::ok_say_event* ok = nullptr);
  // Sends `ev` to every member but `except`.
  void notify(const protocol::event& ev, const chat_client* except);

  // Up to `max` of the latest kept messages, oldest first.
  std::vector<const stored_message*> recent(std::size_t max) const { return log_->recent(max); }

  // rooms.keep_empty: a room its last member left stays (seq, epoch, topic, history) until
  // the directory's sweep removes it or someone joins it again. The directory keeps such rooms
  // in a list in the order they emptied; the room only holds its place there.
  using kept_list = std::list<room*>;
  struct kept_place {
    kept_list::iterator at;
    std::chrono::steady_clock::time_point since;
  };
  bool kept_empty() const noexcept { return kept_.has_value(); }
  const std::optional<kept_place>& kept() const noexcept { return kept_; }
  void set_kept(std::optional<kept_place> place) noexcept { kept_ = place; }
  void set_history_capacity(std::size_t capacity) { log_->set_capacity(capacity); }

 private:
  void spawn_broadcaster(const asio::any_io_executor& executor);
  asio::awaitable<void> broadcast(std::shared_ptr<room> self);  // self: keeps the room alive
  // Numbers the message and adds it to the run of its sender's messages being built.
  void fan_out(publish_request& request, message_run& run,
               std::chrono::steady_clock::time_point batch_start);

  std::string name_;
  std::shared_ptr<room_log> log_;
  room_engine* engine_ = nullptr;
  const presence_engine* presence_engine_ = nullptr;
  server_metrics& metrics_;
  slow_loop_watch& slow_loop_;
  write_pass* writers_;
  std::string topic_;
  std::vector<chat_client*> members_;  // in join order; a client leaves before it goes
  presence_watch presence_;

  std::deque<publish_request> queue_;
  std::unique_ptr<asio::steady_timer> wake_;  // the broadcaster sleeps on it while idle
  bool sleeping_ = false;
  bool stopping_ = false;
  std::optional<kept_place> kept_;
};

}  // namespace chatd
