// The TLS listener (listen.chat_tls): binds, accepts and hands each socket to the server's
// admission, the same as the plain port's (limits per address and in all); owns the
// certificate that new connections get and swaps it on reload.
#pragma once

#include <functional>
#include <optional>

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include "config/config.hpp"
#include "metrics/registry.hpp"
#include "server/logging/log_throttle.hpp"
#include "server/tls/tls_shared.hpp"

namespace chatd {

class tls_listener {
 public:
  using admit_fn = std::function<void(asio::ip::tcp::socket)>;

  // Loads tls.cert and tls.key (throws config_error as load_tls_credentials does) and
  // registers the chatd_tls_* metrics. `accept_errors` counts failed accepts with the plain
  // port's.
  tls_listener(asio::io_context& io, metrics::registry& reg, const tls_config& tls,
               metrics::counter& accept_errors, admit_fn admit);

  // Binds `at`, or serves `inherited` (a listening socket from the service manager), and
  // starts accepting. Throws std::system_error if it cannot.
  void start(const listen_address& at, std::optional<int> inherited = std::nullopt);
  // Loads the pair again (the files may have changed under the same names): new connections
  // get it, existing ones keep theirs. A bad pair leaves the current one in place; the
  // result is logged either way. Returns false if the pair was refused.
  bool reload(const tls_config& tls);
  // Stops accepting (shutdown).
  void close();

  asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
  tls_shared& shared() noexcept { return shared_; }

 private:
  void spawn_accept_loop();
  asio::awaitable<void> accept_loop();
  void install(const tls_config& tls);

  asio::io_context& io_;
  asio::ip::tcp::acceptor acceptor_;
  tls_shared shared_;
  metrics::counter& accept_errors_;
  admit_fn admit_;
  log_throttle accept_log_;
  bool closed_ = false;
};

}  // namespace chatd
