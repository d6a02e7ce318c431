// The TLS listener's certificate and key, loaded and checked into a server context. Loaded at
// start (and by --check-config) and again on SIGHUP; a connection keeps the context it began
// with, so a reload changes only what new connections get.
#pragma once

#include <chrono>
#include <memory>

#include <asio/ssl/context.hpp>

#include "config/config.hpp"

namespace chatd {

struct tls_credentials {
  std::shared_ptr<asio::ssl::context> context;
  // The certificate's notAfter (for chatd_tls_certificate_expiry_timestamp_seconds).
  std::chrono::system_clock::time_point not_after;
};

// Reads tls.cert (the certificate, then its chain) and tls.key, and checks that both files
// are readable PEM, that the key is the certificate's, and that the certificate is valid now
// (not expired, not yet to come). Throws config_error with one line naming the key and file.
tls_credentials load_tls_credentials(const tls_config& tls);

}  // namespace chatd
