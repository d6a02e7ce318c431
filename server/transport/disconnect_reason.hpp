// Why a connection ended. One reason feeds the bye line, the quit event, the log and the metrics.
#pragma once

#include <string_view>

namespace chatd {

enum class disconnect_reason {
  quit,              // the client sent /quit
  closed,            // the client closed its side (EOF)
  reset,             // the connection was reset or broke
  register_timeout,  // no nickname within limits.register_timeout
  idle_timeout,      // no input within limits.idle_timeout
  slow_consumer,     // unsent output passed limits.max_outbound_bytes
  server_shutdown,   // SIGTERM/SIGINT
  server_draining,   // SIGUSR2: lame duck, closed one by one over limits.drain_period
  error,             // an unexpected exception in the connection or client (logged)
  tls_on_plain_port,      // a TLS ClientHello arrived on the plain chat port
  tls_handshake_failed,   // the TLS handshake failed (a plain-text client, no common version)
  tls_handshake_timeout,  // the TLS handshake did not finish within tls.handshake_timeout
};

inline constexpr disconnect_reason all_disconnect_reasons[] = {
    disconnect_reason::quit,          disconnect_reason::closed,
    disconnect_reason::reset,         disconnect_reason::register_timeout,
    disconnect_reason::idle_timeout,  disconnect_reason::slow_consumer,
    disconnect_reason::server_shutdown, disconnect_reason::error,
    disconnect_reason::server_draining,
    disconnect_reason::tls_on_plain_port, disconnect_reason::tls_handshake_failed,
    disconnect_reason::tls_handshake_timeout,
};

constexpr std::string_view to_string(disconnect_reason reason) noexcept {
  switch (reason) {
    case disconnect_reason::quit: return "quit";
    case disconnect_reason::closed: return "closed";
    case disconnect_reason::reset: return "reset";
    case disconnect_reason::register_timeout: return "register-timeout";
    case disconnect_reason::idle_timeout: return "idle-timeout";
    case disconnect_reason::slow_consumer: return "slow-consumer";
    case disconnect_reason::server_shutdown: return "server-shutdown";
    case disconnect_reason::server_draining: return "server-draining";
    case disconnect_reason::error: return "error";
    case disconnect_reason::tls_on_plain_port: return "tls-on-plain-port";
    case disconnect_reason::tls_handshake_failed: return "tls-handshake-failed";
    case disconnect_reason::tls_handshake_timeout: return "tls-handshake-timeout";
  }
  return "unknown";
}

// Reasons the client is told about with a bye line before the server closes. A client whose
// TLS is not set up could not read one.
constexpr bool sends_bye(disconnect_reason reason) noexcept {
  switch (reason) {
    case disconnect_reason::closed:
    case disconnect_reason::reset:
    case disconnect_reason::error:
    case disconnect_reason::tls_on_plain_port:
    case disconnect_reason::tls_handshake_failed:
    case disconnect_reason::tls_handshake_timeout:
      return false;
    default:
      return true;
  }
}

}  // namespace chatd
