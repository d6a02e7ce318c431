// The chat server: listener, registries of sessions, nicknames and rooms, periodic sweep and
// phased shutdown, all on one io_context run by one thread.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>

#include "config/config.hpp"
#include "protocol/events.hpp"
#include "metrics/registry.hpp"
#include "server/http/http_endpoint.hpp"
#include "server/service/listen_fds.hpp"
#include "server/logging/log_throttle.hpp"
#include "server/transport/outbound_queue.hpp"
#include "server/daemon/server_metrics.hpp"
#include "server/service/service_notifier.hpp"

namespace chatd {

class room;
class session;

class server {
 public:
  using clock = std::chrono::steady_clock;

  server(asio::io_context& io, config cfg);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Binds the chat listener (and the metrics listener unless disabled), or serves the sockets
  // the service manager passed, and starts accepting, the sweep and the signal handler; then
  // tells systemd it is ready. Throws std::system_error if an address cannot be bound.
  void start(const inherited_listeners& inherited = {});
  // Where SIGHUP re-reads the configuration from (the file and flags chatd was started with).
  // It throws config_error for an invalid configuration.
  void set_reload_source(std::function<config()> source) { reload_source_ = std::move(source); }
  // Re-reads the configuration: if valid, the log settings and every limit apply at once to new
  // and existing connections; if not, the current one stays. Either way it is logged and counted.
  void reload();
  // Phased shutdown: stop accepting, say bye to everyone, let them flush within
  // limits.shutdown_grace, then cut whoever is left. io_context::run returns once all is done.
  void shutdown();

  asio::ip::tcp::endpoint chat_endpoint() const;
  const config& cfg() const noexcept { return cfg_; }
  server_metrics& metrics() noexcept { return metrics_; }
  // The metrics listener's address; only when it is enabled and started.
  asio::ip::tcp::endpoint metrics_endpoint() const;
  bool shutting_down() const noexcept { return shutting_down_; }
  // True if the sweep had to force the last connections closed (for the exit path).
  bool forced_exit() const noexcept { return forced_exit_; }

  // --- registries, used by sessions and rooms ---
  session* find_session(std::uint64_t id) const;
  void forget_session(std::uint64_t id, const std::string& ip);

  session* find_nick(std::string_view nick) const;   // case-insensitive
  void claim_nick(session& owner, std::string_view old_nick, std::string_view new_nick);
  void release_nick(std::string_view nick);

  room* find_room(const std::string& canonical) const;
  room* create_room(const std::string& canonical);    // caller checked limits.max_rooms
  void remove_room(room* r);                          // the room has no members left
  std::size_t room_count() const noexcept { return rooms_.size(); }
  std::vector<protocol::room_info> list_rooms() const;

  // Sends `ev` once to every session sharing a room with `subject`, never to `subject`.
  void notify_peers(session& subject, const protocol::event& ev);
  // Sends `ev` to every member of `r` but `except`.
  void notify_room(room& r, const protocol::event& ev, const session* except);

  // Logs that a client hit a limit: at most one line per second for each kind of offence over
  // all clients (the rest are counted in the metrics and summed up in the next line).
  void log_offence(std::uint64_t id, const std::string& peer, std::string_view what);

  // A loop-wide read buffer: readers read into it and process synchronously, so idle
  // connections hold no read buffer of their own.
  std::array<char, 64 * 1024>& read_buffer() noexcept { return read_buffer_; }
  // Likewise a loop-wide batch vector for writers: a writer takes it while it writes and gives
  // it back, empty, when done, so sleeping connections hold no batch.
  std::vector<line_ptr>& write_scratch() noexcept { return write_scratch_; }

 private:
  void spawn_accept_loop();
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> sweep_loop();
  asio::awaitable<void> signal_loop();
  void begin_session(asio::ip::tcp::socket socket);
  void reject(asio::ip::tcp::socket socket, const std::string& peer, std::string_view reason,
              const protocol::event& line);
  void stop_when_idle();
  void register_live_metrics();
  void start_metrics_listener(std::optional<int> inherited_fd);
  void apply_config(config next);

  asio::io_context& io_;
  config cfg_;
  metrics::registry registry_;
  server_metrics metrics_;
  std::unique_ptr<http_endpoint> http_;
  service_notifier notifier_;
  std::function<config()> reload_source_;
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer sweep_timer_;
  asio::signal_set signals_;

  std::uint64_t next_session_id_ = 1;
  std::unordered_map<std::uint64_t, session*> sessions_;
  std::unordered_map<std::string, std::size_t> connections_per_ip_;
  std::unordered_map<std::string, session*> nicks_;  // folded nick -> owner
  std::unordered_map<std::string, std::shared_ptr<room>> rooms_;
  std::uint64_t mark_epoch_ = 0;

  bool shutting_down_ = false;
  bool forced_exit_ = false;
  bool idle_ = false;  // shut down and nothing left: the loops end
  clock::time_point shutdown_deadline_{};

  log_throttle accept_log_;
  log_throttle reject_log_;
  std::unordered_map<std::string, log_throttle> offence_logs_;  // by kind of offence

  std::array<char, 64 * 1024> read_buffer_{};
  std::vector<line_ptr> write_scratch_;
};

}  // namespace chatd
