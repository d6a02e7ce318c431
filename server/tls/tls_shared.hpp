// What every TLS connection of the loop shares: the current server context (replaced by a
// reload; a connection keeps the one it began with), the handshake deadline and the counters.
#pragma once

#include <chrono>
#include <memory>

#include <asio/ssl/context.hpp>

#include "metrics/counter.hpp"
#include "metrics/gauge.hpp"
#include "metrics/registry.hpp"
#include "server/logging/log_throttle.hpp"

namespace chatd {

enum class handshake_result : unsigned char { ok, failed, timeout };

struct tls_shared {
  // Registers the chatd_tls_* families in `reg` (docs/metrics.md).
  explicit tls_shared(metrics::registry& reg);

  metrics::counter& handshakes(handshake_result result) {
    return *handshakes_[static_cast<std::size_t>(result)];
  }

  std::shared_ptr<asio::ssl::context> context;
  std::chrono::milliseconds handshake_timeout{10'000};  // tls.handshake_timeout
  metrics::gauge& active;  // connections past their handshake and not yet closed
  metrics::gauge& certificate_expiry;  // notAfter of the certificate in `context`, Unix seconds
  log_throttle handshake_log;  // a scan of the port must not flood the log

 private:
  metrics::counter* handshakes_[3] = {};
};

}  // namespace chatd
