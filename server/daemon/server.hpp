// The daemon around the chat: the listeners, admission, the periodic sweep, signals, reload and
// phased shutdown, all on one io_context run by one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>

#include "config/config.hpp"
#include "metrics/registry.hpp"
#include "protocol/events.hpp"
#include "server/chat/directory.hpp"
#include "server/chat/server_metrics.hpp"
#include "server/daemon/drainer.hpp"
#include "server/daemon/proxy_gate.hpp"
#include "server/http/http_endpoint.hpp"
#include "server/logging/log_throttle.hpp"
#include "server/service/listen_fds.hpp"
#include "server/service/service_notifier.hpp"
#include "server/transport/transport_context.hpp"

namespace chatd {


class cluster_node;
class tls_listener;

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
  // Lame duck (SIGUSR2): stop accepting, answer /healthz with 503 "draining", tell every client
  // once, close them one by one over limits.drain_period, then shut down as above (exit 0).
  // A second call is ignored and logged; a shutdown during the drain takes over.
  void drain();
  // Closes the chat listener(s): no new connection is accepted from here on. Idempotent.
  void stop_accepting();

  asio::ip::tcp::endpoint chat_endpoint() const;
  // The TLS listener's address; only with listen.chat_tls set, once started.
  asio::ip::tcp::endpoint chat_tls_endpoint() const;
  const config& cfg() const noexcept { return cfg_; }
  server_metrics& metrics() noexcept { return metrics_; }
  // The metrics listener's address; only when it is enabled and started.
  asio::ip::tcp::endpoint metrics_endpoint() const;
  bool shutting_down() const noexcept { return shutting_down_; }
  bool draining() const noexcept { return drainer_ && drainer_->draining(); }
  // Why /healthz answers 503 ("" while healthy): shutting down, draining, or the cluster's
  // engine.
  std::string unhealthy_reason() const;
  // True if the sweep had to force the last connections closed (for the exit path).
  bool forced_exit() const noexcept { return forced_exit_; }

  // The chat's registries (clients, nicks, rooms).
  directory& chat() noexcept { return *directory_; }

 private:
  void spawn_accept_loop();
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> sweep_loop();
  asio::awaitable<void> signal_loop();
  // `tls`: the socket came from the TLS listener; the client gets a tls_connection. Or, if
  // its peer is listed in listen.proxy_protocol, its PROXY header is read first (proxy_gate):
  // `client` is the address a header named, once read, `balancer` the peer that sent it.
  void admit(asio::ip::tcp::socket socket, bool tls = false,
             const std::optional<asio::ip::tcp::endpoint>& client = std::nullopt,
             const std::optional<asio::ip::tcp::endpoint>& balancer = std::nullopt);
  // `say`: write `line` first (not to a TLS client, which could not read it).
  void reject(asio::ip::tcp::socket socket, const std::string& peer, std::string_view reason,
              const protocol::event& line, bool say = true);
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

  std::unique_ptr<directory> directory_;
  // Only with cluster.nats set. Destroyed before the directory it plugs into.
  std::unique_ptr<cluster_node> cluster_;
  std::unique_ptr<tls_listener> tls_;  // only with listen.chat_tls set
  transport_context transport_;
  std::unique_ptr<drainer> drainer_;
  proxy_gate proxy_;
  std::uint64_t next_client_id_ = 1;

  bool shutting_down_ = false;
  bool accepting_ = true;  // until stop_accepting()
  bool forced_exit_ = false;
  bool idle_ = false;  // shut down and nothing left: the loops end
  clock::time_point shutdown_deadline_{};

  log_throttle accept_log_;
  log_throttle reject_log_;
};

}  // namespace chatd
