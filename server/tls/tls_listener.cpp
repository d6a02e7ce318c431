#include "server/tls/tls_listener.hpp"

#include <chrono>
#include <system_error>

#include <asio/experimental/as_tuple.hpp>
#include <asio/ip/address.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "config/config_loader.hpp"
#include "server/loop/guard.hpp"
#include "server/service/listen_fds.hpp"
#include "server/tls/tls_credentials.hpp"
#include "server/transport/endpoint_text.hpp"

namespace chatd {

namespace {
// As on the plain port: a failing accept waits before trying again, so it cannot spin.
constexpr std::chrono::milliseconds accept_backoff{100};

double unix_seconds(std::chrono::system_clock::time_point when) {
  return std::chrono::duration<double>(when.time_since_epoch()).count();
}
}  // namespace

tls_listener::tls_listener(asio::io_context& io, metrics::registry& reg, const tls_config& tls,
                           metrics::counter& accept_errors, admit_fn admit)
    : io_(io), acceptor_(io), shared_(reg), accept_errors_(accept_errors),
      admit_(std::move(admit)) {
  install(tls);
}

void tls_listener::install(const tls_config& tls) {
  tls_credentials loaded = load_tls_credentials(tls);
  shared_.context = std::move(loaded.context);
  shared_.handshake_timeout = tls.handshake_timeout;
  shared_.certificate_expiry.set(unix_seconds(loaded.not_after));
}

void tls_listener::start(const listen_address& at, std::optional<int> inherited) {
  if (inherited) {
    adopt_listener(acceptor_, *inherited);
    spdlog::info("chat TLS listening on {} (socket from the service manager)",
                 endpoint_text(acceptor_.local_endpoint()));
    return spawn_accept_loop();
  }
  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address(at.host), at.port);
  try {
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(asio::socket_base::max_listen_connections);
  } catch (const std::system_error& e) {
    // Said with the address: the start-up error line otherwise names only listen.chat.
    throw std::system_error(e.code(), "listen.chat_tls " + at.to_string());
  }
  spdlog::info("chat TLS listening on {}", endpoint_text(acceptor_.local_endpoint()));
  spawn_accept_loop();
}

bool tls_listener::reload(const tls_config& tls) {
  try {
    install(tls);
    spdlog::info("TLS certificate {} and key {} loaded for new connections", tls.cert, tls.key);
    return true;
  } catch (const config_error& e) {
    spdlog::error("TLS reload failed, new connections keep the current certificate: {}",
                  e.what());
    return false;
  }
}

void tls_listener::close() {
  closed_ = true;
  asio::error_code ignored;
  acceptor_.close(ignored);
}

void tls_listener::spawn_accept_loop() {
  spawn_guarded(io_.get_executor(), accept_loop(), "TLS accept loop", [this] {
    if (!closed_) spawn_accept_loop();
  });
}

asio::awaitable<void> tls_listener::accept_loop() {
  asio::steady_timer backoff(io_);
  for (;;) {
    auto [ec, socket] =
        co_await acceptor_.async_accept(asio::experimental::as_tuple(asio::use_awaitable));
    if (closed_ || ec == asio::error::operation_aborted) break;
    if (ec) {
      accept_errors_.inc();
      if (accept_log_.allow(std::chrono::steady_clock::now())) {
        spdlog::warn("TLS accept failed: {}; retrying every {} ms ({} more failures not logged)",
                     ec.message(), accept_backoff.count(), accept_log_.suppressed());
      }
      backoff.expires_after(accept_backoff);
      asio::error_code ignored;
      co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      continue;
    }
    admit_(std::move(socket));
  }
}

}  // namespace chatd
