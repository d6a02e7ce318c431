// The chat's registries: the clients by id (and how many per address), the nicks and the
// rooms, with the notices that cross rooms. The client registry owns the clients; the nick and
// room registries hold raw pointers. Each registry counts itself in the client's
// registry_refs; a client takes itself out of all of them when it stops, and debug and
// sanitizer builds assert that none is left when it finishes and when it is freed.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <asio/any_io_executor.hpp>

#include "config/config.hpp"
#include "protocol/events.hpp"
#include "protocol/room_pattern.hpp"
#include "server/chat/server_metrics.hpp"
#include "server/logging/log_throttle.hpp"
#include "server/loop/slow_loop_watch.hpp"

namespace chatd {

class chat_client;
class nick_engine;
class presence_engine;
class room;
class room_engine;
class write_pass;

// What notify_peers sends: a change (a nick) goes through every shared room; presence (a quit)
// only through the rooms that send presence (room::sends_presence).
enum class peer_event { change, presence };

// What /rooms shows: the first rooms in name order, of `total` that matched.
struct room_listing {
  std::vector<protocol::room_info> rooms;
  std::size_t total = 0;
};

class directory {
 public:
  directory(asio::any_io_executor executor, const config& cfg, server_metrics& metrics);
  ~directory();
  directory(const directory&) = delete;
  directory& operator=(const directory&) = delete;

  // The configuration in force (a reload replaces it in place).
  const config& cfg() const noexcept { return cfg_; }
  server_metrics& metrics() noexcept { return metrics_; }
  const asio::any_io_executor& executor() const noexcept { return executor_; }
  // Where anything that may hold the loop long reports how long it took.
  slow_loop_watch& slow_loop() noexcept { return slow_loop_; }
  // The loop's write pass, which rooms made from now on may run early (room.hpp).
  void set_write_pass(write_pass* writers) noexcept { writers_ = writers; }

  // --- clients ---
  std::size_t client_count() const noexcept { return clients_.size(); }
  std::size_t connections_from(const std::string& address) const;
  // The directory keeps the client until it is forgotten.
  void add_client(std::shared_ptr<chat_client> client);
  // The client finished: it is forgotten, and the last one going calls the on_empty hook.
  void forget_client(chat_client& client);
  void set_on_empty(std::function<void()> hook) { on_empty_ = std::move(hook); }
  template <class Fn>
  void for_each_client(Fn&& fn) const {
    for (const auto& [id, c] : clients_) fn(*c);
  }
  // The client with connection id `id`, if it is still here.
  chat_client* find_client(std::uint64_t id) const;
  // All clients as owners, for a pass that may stop them.
  std::vector<std::shared_ptr<chat_client>> all_clients() const;

  // --- the cluster (chat_engine.hpp); both unset standalone ---
  void set_engines(room_engine* rooms, nick_engine* nicks, presence_engine* presence) noexcept {
    room_engine_ = rooms;
    nick_engine_ = nicks;
    presence_engine_ = presence;
  }
  nick_engine* nicks_engine() const noexcept { return nick_engine_; }
  presence_engine* presence() const noexcept { return presence_engine_; }

  // What the other nodes told (the presence engine calls these, on the loop; its table of
  // remote members already counts the member the event is about).
  // A member of `room` on another node joined or left: its local members hear of it as
  // presence allows.
  void remote_joined(const std::string& room, const std::string& nick);
  void remote_parted(const std::string& room, const std::string& nick);
  // A member on another node quit or changed nick: every local client sharing one of `rooms`
  // with it hears of it once (a quit only through rooms that send presence).
  void remote_left_rooms(const std::vector<std::string>& rooms, const protocol::event& ev,
                         peer_event kind);
  void remote_topic(const std::string& room, const std::string& nick, const std::string& topic);
  // 64 random bits as an epoch token (protocol/names.hpp).
  std::string new_epoch();

  // --- nicks, case-insensitive ---
  chat_client* find_nick(std::string_view nick) const;
  // Local only: in a cluster the nick engine was asked first. Releasing tells it too.
  void claim_nick(chat_client& owner, std::string_view old_nick, std::string_view new_nick);
  void release_nick(std::string_view nick);

  // --- rooms ---
  room* find_room(const std::string& canonical) const;
  // A room with a new epoch; the caller checked limits.max_rooms.
  room* create_room(const std::string& canonical);
  // The last member left `r`: it is kept for rooms.keep_empty, or removed at once with 0.
  void room_emptied(room& r);
  // Someone is joining `r`, kept empty: it is an ordinary room again.
  void room_refilled(room& r);
  // The sweep: removes the rooms that have been kept empty for rooms.keep_empty or longer.
  void expire_kept_rooms(std::chrono::steady_clock::time_point now);
  // Shutdown: no one can come back, so no empty room is worth keeping.
  void remove_kept_rooms() { expire_kept_rooms(std::chrono::steady_clock::time_point::max()); }
  template <class Fn>
  void for_each_room(Fn&& fn) const {
    for (const auto& [name, r] : rooms_) fn(*r);
  }
  // Rooms in all, those kept empty included (they count toward limits.max_rooms).
  std::size_t room_count() const noexcept { return rooms_.size(); }
  std::size_t kept_empty_count() const noexcept { return kept_.size(); }
  // The first `limit` rooms matching `pattern` in name order, and how many match in all.
  // Costs O(rooms) matches plus O(matching log limit): the rooms not shown are not sorted.
  room_listing list_rooms(const protocol::room_pattern& pattern, std::size_t limit) const;

  // Sends `ev` once to every client sharing a room with `subject`, never to `subject`. For
  // presence, a room that does not send it (counted with `subject` still in it) is skipped and
  // counts one suppressed quit; its members hear of it only through another shared room.
  void notify_peers(chat_client& subject, const protocol::event& ev,
                    peer_event kind = peer_event::change);

  // Logs that a client hit a limit: at most one line per second for each kind of offence over
  // all clients (the rest are counted in the metrics and summed up in the next line).
  void log_offence(std::uint64_t id, const std::string& peer, std::string_view what);

  // A reload: limits apply to every client at once, history sizes to every room.
  void apply_config(const config& next);

 private:
  asio::any_io_executor executor_;
  config cfg_;
  server_metrics& metrics_;
  std::function<void()> on_empty_;
  room_engine* room_engine_ = nullptr;
  nick_engine* nick_engine_ = nullptr;
  presence_engine* presence_engine_ = nullptr;
  // Sends `ev` once to every member of `rooms` but `subject` (see notify_peers).
  void notify_rooms(const std::vector<room*>& rooms, const chat_client* subject,
                    const protocol::event& ev, peer_event kind);
  slow_loop_watch slow_loop_;
  write_pass* writers_ = nullptr;

  std::unordered_map<std::uint64_t, std::shared_ptr<chat_client>> clients_;
  std::unordered_map<std::string, std::size_t> connections_per_address_;
  std::unordered_map<std::string, chat_client*> nicks_;  // folded nick -> owner
  void remove_room(room& r);
  std::unordered_map<std::string, std::shared_ptr<room>> rooms_;
  std::list<room*> kept_;         // rooms kept empty, the longest kept first
  std::mt19937_64 epoch_bits_;    // each room's epoch: 64 random bits
  std::uint64_t mark_epoch_ = 0;
  std::unordered_map<std::string, log_throttle> offence_logs_;  // by kind of offence
};

}  // namespace chatd
