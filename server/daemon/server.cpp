#include "server/daemon/server.hpp"

#include <algorithm>
#include <unistd.h>

#include <csignal>
#include <utility>

#include <asio/executor_work_guard.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/ip/address.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "metrics/process_metrics.hpp"
#include "metrics/text_exposition.hpp"
#include "protocol/format.hpp"
#include "protocol/names.hpp"
#include "config/config_diff.hpp"
#include "config/config_loader.hpp"
#include "server/service/fd_limit.hpp"
#include "server/logging/logging.hpp"
#include "server/transport/endpoint_text.hpp"
#include "server/chat/chat_client.hpp"
#include "server/cluster/cluster_node.hpp"
#include "server/loop/guard.hpp"
#include "server/tls/tls_connection.hpp"
#include "server/tls/tls_listener.hpp"
#include "server/transport/tcp_connection.hpp"

namespace chatd {

namespace {
// The sweep's period bounds how late a linger or shutdown deadline is noticed.
constexpr std::chrono::milliseconds sweep_period{250};
// A failing accept (out of file descriptors, say) waits this long before trying again, so the
// error cannot spin the loop.
constexpr std::chrono::milliseconds accept_backoff{100};
}  // namespace

server::server(asio::io_context& io, config cfg)
    : io_(io),
      cfg_(std::move(cfg)),
      metrics_(registry_),
      notifier_(io,
                [this] {
                  return service_notifier::figures{directory_->client_count(),
                                                   directory_->room_count(),
                                                   metrics_.messages_received.value()};
                }),
      acceptor_(io),
      sweep_timer_(io),
      signals_(io, SIGINT, SIGTERM, SIGHUP),
      directory_(std::make_unique<directory>(io.get_executor(), cfg_, metrics_)),
      transport_(metrics_.bytes_received, metrics_.bytes_sent, metrics_.session_failures,
                 cfg_.limits.max_outbound_bytes, cfg_.rooms.presence_delay),
      proxy_(metrics_, [this](asio::ip::tcp::socket socket, bool tls,
                              const asio::ip::tcp::endpoint& client,
                              const asio::ip::tcp::endpoint& balancer) {
        admit(std::move(socket), tls, client, balancer);
      }) {
  directory_->set_write_pass(&transport_.writers);
  proxy_.set_trusted(cfg_.listen.proxy_protocol);
  directory_->set_on_empty([this] {
    if (shutting_down_) stop_when_idle();
  });
  if (cfg_.cluster.enabled())
    cluster_ = std::make_unique<cluster_node>(*directory_, registry_, cfg_);
  if (cfg_.listen.chat_tls_enabled) {
    tls_ = std::make_unique<tls_listener>(
        io, registry_, cfg_.tls, metrics_.accept_errors,
        [this](asio::ip::tcp::socket socket) { admit(std::move(socket), /*tls=*/true); });
  }
  drainer_ = std::make_unique<drainer>(io_, *directory_, registry_);
  signals_.add(SIGUSR2);
  register_live_metrics();
}

server::~server() = default;

std::string server::unhealthy_reason() const {
  if (shutting_down_) return "shutting down";
  if (draining()) return "draining";
  return cluster_ ? cluster_->unhealthy_reason() : std::string();
}

void server::start(const inherited_listeners& inherited) {
  for (const auto& problem : inherited.problems) spdlog::warn("socket activation: {}", problem);
  // The engine first: a node that cannot reach it at start says so and exits, rather than
  // listen and turn every client away.
  if (cluster_) {
    cluster_->start();
    // Read the rooms as the stream has them before anyone can join one: a client joining
    // earlier would see a room's history arrive as if it were said now.
    // The guard keeps the loop from running out of work (and stopping) between posts; letting
    // it go leaves the loop stopped, hence the restart.
    if (!cluster_->caught_up()) {
      auto busy = asio::make_work_guard(io_);
      const auto deadline = clock::now() + std::chrono::seconds(30);
      while (!cluster_->caught_up() && clock::now() < deadline)
        io_.run_one_for(std::chrono::milliseconds(100));
      busy.reset();
      io_.restart();
    }
    if (!cluster_->caught_up())
      spdlog::warn("cluster: still reading the room stream after 30 s; listening anyway");
  }
  if (inherited.chat) {
    adopt_listener(acceptor_, *inherited.chat);
    spdlog::info("chat listening on {} (socket from the service manager)",
                 endpoint_text(acceptor_.local_endpoint()));
  } else {
    const auto& listen = cfg_.listen.chat;
    const asio::ip::tcp::endpoint endpoint(asio::ip::make_address(listen.host), listen.port);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(asio::socket_base::max_listen_connections);
    spdlog::info("chat listening on {}", endpoint_text(acceptor_.local_endpoint()));
  }
  if (tls_) {
    tls_->start(cfg_.listen.chat_tls, inherited.chat_tls);
  } else if (inherited.chat_tls) {
    spdlog::warn("socket activation: a chat-tls socket was passed but listen.chat_tls is off; "
                 "closing it");
    ::close(*inherited.chat_tls);
  }
  if (cfg_.listen.metrics_enabled) {
    start_metrics_listener(inherited.metrics);
  } else if (inherited.metrics) {
    spdlog::warn("socket activation: a metrics socket was passed but listen.metrics is off; "
                 "closing it");
    ::close(*inherited.metrics);
  }

  spawn_accept_loop();
  spawn_guarded(io_.get_executor(), sweep_loop(), "sweep");
  spawn_guarded(io_.get_executor(), signal_loop(), "signal handler");
  notifier_.ready();
}

void server::spawn_accept_loop() {
  // Accepting must outlive any one failure (say, out of memory building a client).
  spawn_guarded(io_.get_executor(), accept_loop(), "accept loop", [this] {
    if (accepting_) spawn_accept_loop();
  });
}

asio::ip::tcp::endpoint server::chat_endpoint() const { return acceptor_.local_endpoint(); }

asio::ip::tcp::endpoint server::chat_tls_endpoint() const {
  return tls_ ? tls_->local_endpoint() : asio::ip::tcp::endpoint();
}

asio::ip::tcp::endpoint server::metrics_endpoint() const { return http_->local_endpoint(); }

void server::start_metrics_listener(std::optional<int> inherited_fd) {
  http_ = std::make_unique<http_endpoint>(
      io_, cfg_.listen.metrics.host, cfg_.listen.metrics.port, http_limits{},
      [this] { return metrics::render_text(registry_); },
      [this] { return unhealthy_reason(); });
  if (inherited_fd) {
    http_->start_on(*inherited_fd);
  } else {
    http_->start();
  }
}

void server::register_live_metrics() {
  // Figures the server already holds are read at scrape time: nothing on the hot path.
  registry_.add_callback_gauge("chatd_connections_active", "Chat connections open now.")
      .add({}, [this] { return static_cast<double>(directory_->client_count()); });
  registry_.add_callback_gauge("chatd_rooms_active",
                               "Rooms that exist now, those kept empty included.")
      .add({}, [this] { return static_cast<double>(directory_->room_count()); });
  registry_
      .add_callback_gauge("chatd_rooms_kept_empty",
                          "Rooms with no members kept for rooms.keep_empty (seq, epoch, topic "
                          "and history), so that returning clients can resume.")
      .add({}, [this] { return static_cast<double>(directory_->kept_empty_count()); });
  registry_
      .add_callback_gauge("chatd_outbound_queued_bytes",
                          "Bytes queued for clients and not yet written, over all connections.")
      .add({}, [this] {
        double total = 0;
        directory_->for_each_client(
            [&](const chat_client& c) { total += static_cast<double>(c.queued_bytes()); });
        return total;
      });
  registry_
      .add_callback_gauge("chatd_proxy_headers_pending",
                          "Connections from listen.proxy_protocol peers whose PROXY header is "
                          "still being read.")
      .add({}, [this] { return static_cast<double>(proxy_.pending()); });
  registry_.add_gauge("chatd_build_info", "Always 1; the version is in the label.", {"version"})
      .add({{"version", CHATD_VERSION}})
      .set(1);
  metrics::add_process_metrics(registry_);
}

// ---------------------------------------------------------------------------------------------
// Loops

asio::awaitable<void> server::accept_loop() {
  asio::steady_timer backoff(io_);
  for (;;) {
    auto [ec, socket] =
        co_await acceptor_.async_accept(asio::experimental::as_tuple(asio::use_awaitable));
    if (!accepting_ || ec == asio::error::operation_aborted) break;
    if (ec) {
      // Out of file descriptors (EMFILE/ENFILE) and the like: the pending connection stays in
      // the backlog, so retrying at once would spin. Wait, then try again.
      metrics_.accept_errors.inc();
      if (accept_log_.allow(clock::now())) {
        spdlog::warn("accept failed: {}; retrying every {} ms ({} more failures not logged)",
                     ec.message(), accept_backoff.count(), accept_log_.suppressed());
      }
      backoff.expires_after(accept_backoff);
      asio::error_code ignored;
      co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      continue;
    }
    admit(std::move(socket));
  }
}

void server::admit(asio::ip::tcp::socket socket, bool tls,
                   const std::optional<asio::ip::tcp::endpoint>& client,
                   const std::optional<asio::ip::tcp::endpoint>& balancer) {
  // A header read as the server stopped, or began to drain: the balancer tries elsewhere.
  if (shutting_down_ || !accepting_) return;
  asio::error_code ec;
  const auto remote = client ? *client : socket.remote_endpoint(ec);
  if (ec) return;  // already gone (reset before we got to it)
  const bool header_first = !client && proxy_.trusts(remote.address());
  const std::string peer = endpoint_text(remote);
  const auto& limits = cfg_.limits;
  // Connections whose header is still being read hold a descriptor too. A TLS client cannot
  // read a plain line before its handshake: it is only closed.
  if (directory_->client_count() + proxy_.pending() >= limits.max_connections) {
    metrics_.rejected(reject_reason::server_full).inc();
    return reject(std::move(socket), peer, "server-full", protocol::bye_event{"server-full"},
                  !tls);
  }
  // Behind a balancer the header comes before a TLS handshake, as HAProxy sends it.
  if (header_first) return proxy_.start(std::move(socket), limits.register_timeout, tls);
  std::string ip = remote.address().to_string();
  if (directory_->connections_from(ip) >= limits.max_connections_per_ip) {
    metrics_.rejected(reject_reason::too_many_connections).inc();
    return reject(std::move(socket), peer, "too-many-connections",
                  protocol::error_event{protocol::error_code::too_many_connections,
                                        "too many connections from " + ip},
                  !tls);
  }
  metrics_.connections_accepted.inc();
  const std::uint64_t id = next_client_id_++;
  spdlog::info("conn {} open peer={}{}{}", id, peer,
               balancer ? " via=" + endpoint_text(*balancer) : std::string(), tls ? " tls" : "");
  std::shared_ptr<connection> conn;
  if (tls) {
    conn = std::make_shared<tls_connection>(transport_, tls_->shared(), std::move(socket), id,
                                            peer, std::move(ip));
  } else {
    conn = std::make_shared<tcp_connection>(transport_, std::move(socket), id, peer,
                                            std::move(ip));
  }
  std::make_shared<chat_client>(*directory_, std::move(conn), id)->start();
}

void server::reject(asio::ip::tcp::socket socket, const std::string& peer,
                    std::string_view reason, const protocol::event& line, bool say) {
  if (reject_log_.allow(clock::now())) {
    spdlog::warn("connection from {} rejected: {} ({} more rejections not logged)", peer,
                 reason, reject_log_.suppressed());
  }
  // One line to say why, without a client: a new socket's send buffer is empty, so a
  // non-blocking write takes it whole. Then close; accepting goes on.
  const std::string text = protocol::encode(line, protocol::output_format::human);
  asio::error_code ignored;
  socket.non_blocking(true, ignored);
  if (say) socket.write_some(asio::buffer(text), ignored);
  socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

asio::awaitable<void> server::sweep_loop() {
  for (;;) {
    sweep_timer_.expires_after(sweep_period);
    const auto due = sweep_timer_.expiry();
    asio::error_code ignored;
    co_await sweep_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    if (shutting_down_ && directory_->client_count() == 0) break;

    const auto now = clock::now();
    if (!ignored) {
      // How late the timer ran is how long everything else kept the loop busy.
      metrics_.event_loop_lag.observe(std::chrono::duration<double>(now - due).count());
      directory_->slow_loop().lag(now - due);
    }
    // A client forgets itself from a later turn than the one that stops it, so the map
    // does not change under this pass.
    directory_->for_each_client([&](chat_client& c) { c.on_tick(now); });
    directory_->expire_kept_rooms(now);
    if (cluster_) cluster_->on_tick(now);

    const std::size_t left = directory_->client_count();
    if (shutting_down_ && now >= shutdown_deadline_ && left > 0) {
      if (!forced_exit_) {
        spdlog::warn("shutdown grace over; cutting {} connections", left);
        forced_exit_ = true;
        directory_->for_each_client([](chat_client& c) {
          c.stop(disconnect_reason::server_shutdown, stop_mode::cut);
        });
      } else if (now >= shutdown_deadline_ + std::chrono::seconds(1)) {
        spdlog::error("{} connections did not end; stopping the loop", left);
        io_.stop();
        break;
      }
    }
  }
}

asio::awaitable<void> server::signal_loop() {
  // shutdown() may finish everything from inside this loop, when no wait is pending to
  // cancel: check before waiting again.
  while (!idle_) {
    asio::error_code ec;
    const int signo = co_await signals_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    if (signo == SIGHUP) {
      if (!shutting_down_) reload();
    } else if (signo == SIGUSR2) {
      drain();
    } else if (!shutting_down_) {
      spdlog::info("signal {} received; shutting down", signo);
      shutdown();
    } else {
      spdlog::warn("signal {} received again; cutting all connections now", signo);
      shutdown_deadline_ = clock::now();
    }
  }
}

void server::shutdown() {
  if (shutting_down_) return;
  shutting_down_ = true;
  shutdown_deadline_ = clock::now() + cfg_.limits.shutdown_grace;
  const std::size_t clients = directory_->client_count();
  notifier_.stopping(fmt::format("shutting down: {} connections flushing", clients));
  spdlog::info("stopped accepting; {} connections get up to {} ms to flush", clients,
               cfg_.limits.shutdown_grace.count());
  stop_accepting();
  drainer_->cancel();
  proxy_.cancel_all();

  for (auto& c : directory_->all_clients()) {
    c->stop(disconnect_reason::server_shutdown, stop_mode::flush);
  }
  if (directory_->client_count() == 0) stop_when_idle();
}

void server::stop_accepting() {
  if (!accepting_) return;
  accepting_ = false;
  asio::error_code ignored;
  acceptor_.close(ignored);
  if (tls_) tls_->close();
  proxy_.cancel_all();  // headers still being read: those connections are not taken either
}

void server::drain() {
  if (shutting_down_) {
    spdlog::warn("SIGUSR2 received while shutting down; ignored");
    return;
  }
  if (draining()) {
    spdlog::warn("SIGUSR2 received again; already draining, ignored");
    return;
  }
  spdlog::info("SIGUSR2 received; lame duck: stopped accepting, /healthz answers 503");
  // No STOPPING=1 yet: systemd would start its stop timeout (TimeoutStopSec), which a
  // drain_period may exceed. shutdown() says it once the drain is over.
  stop_accepting();
  drainer_->start(cfg_.limits.drain_period, [this] { shutdown(); });
}

void server::stop_when_idle() {
  // With the acceptor closed and no clients or rooms left, these are the last waits:
  // once cancelled, io_context::run returns by itself.
  idle_ = true;
  directory_->remove_kept_rooms();  // their broadcasters' waits end with them
  sweep_timer_.cancel();
  notifier_.stop();
  if (http_) http_->stop();
  asio::error_code ignored;
  signals_.cancel(ignored);
}

// ---------------------------------------------------------------------------------------------
// Reload

void server::reload() {
  if (!reload_source_) return;
  const auto started = clock::now();
  notifier_.reloading();
  spdlog::info("SIGHUP received; reloading the configuration");
  try {
    config next = reload_source_();
    // The descriptor budget is checked here too: a reload must not promise more connections
    // than the process can hold.
    if (auto problem = fd_limit_problem(next.limits.max_connections, raise_fd_limit().soft))
      throw config_error(*problem);
    apply_config(std::move(next));
    // The certificate files may have changed under the same names: read them every time.
    metrics_.config_reloads(!tls_ || tls_->reload(cfg_.tls)).inc();
  } catch (const config_error& e) {
    metrics_.config_reloads(false).inc();
    spdlog::error("config reload failed, keeping the current configuration: {}", e.what());
  }
  directory_->slow_loop().task(clock::now() - started, [] { return std::string("a reload"); });
  notifier_.reloaded(fmt::format("{} connections, {} rooms (configuration reloaded)",
                                 directory_->client_count(), directory_->room_count()));
}

void server::apply_config(config next) {
  std::vector<config_change> changes = diff_config(cfg_, next);
  std::vector<config_change> applied;
  for (auto& change : changes) {
    if (const auto reason = restart_reason(change.key)) {
      spdlog::warn("config reload: {} changed from {} to {} but {}", change.key,
                   change.old_value.empty() ? "off" : change.old_value,
                   change.new_value.empty() ? "off" : change.new_value, *reason);
    } else {
      applied.push_back(std::move(change));
    }
  }
  keep_restart_values(next, cfg_);
  const bool log_changed = next.log.level != cfg_.log.level ||
                           next.log.pattern != cfg_.log.pattern ||
                           next.log.format != cfg_.log.format;
  cfg_ = std::move(next);
  directory_->apply_config(cfg_);
  transport_.max_outbound_bytes = cfg_.limits.max_outbound_bytes;
  transport_.coalesced.set_delay(cfg_.rooms.presence_delay);
  proxy_.set_trusted(cfg_.listen.proxy_protocol);
  // Said under whichever of the old and new levels shows info lines, so that quieting the
  // log and making it louder are both recorded.
  const auto say_what_changed = [&] {
    spdlog::info("configuration reloaded: {}",
                 applied.empty() ? std::string("nothing changed") : describe_changes(applied));
  };
  const bool said = spdlog::default_logger()->should_log(spdlog::level::info);
  if (said) say_what_changed();
  if (log_changed) setup_logging(cfg_.log);
  if (!said) say_what_changed();
}

}  // namespace chatd
