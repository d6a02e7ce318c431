// The metrics and health listener: a minimal HTTP/1.1 server on the chat server's io_context
// (the same single thread). GET /metrics and GET /healthz; see http_routes.hpp for the answers
// and http_limits.hpp for the bounds. A thin adapter: parsing, routing and formatting are pure
// code elsewhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include "server/http/http_limits.hpp"

namespace chatd {

struct http_shared_state;

class http_endpoint {
 public:
  // Nothing is bound until start(). Both callbacks run on the loop's thread, once per request.
  http_endpoint(asio::io_context& io, std::string host, std::uint16_t port, http_limits limits,
                std::function<std::string()> metrics_body, std::function<std::string()> unhealthy_reason);
  // Stops if still running. Connections that have not unwound yet keep what they need alive.
  ~http_endpoint();
  http_endpoint(const http_endpoint&) = delete;
  http_endpoint& operator=(const http_endpoint&) = delete;

  // Binds host:port (port 0 = an ephemeral port), logs "metrics listening on HOST:PORT" and
  // starts accepting. Throws std::system_error if the address is invalid or cannot be bound.
  void start();
  // Serves the listening socket `fd` handed over by the service manager instead of binding.
  void start_on(int fd);
  // The bound address (with the real port). Only after start().
  asio::ip::tcp::endpoint local_endpoint() const;
  // Closes the listener and every open connection. Idempotent. Once the connections' coroutines
  // have unwound the endpoint holds no work on the io_context.
  void stop();

  // Connections currently open (served or being turned away).
  std::size_t connection_count() const noexcept;

 private:
  asio::io_context& io_;
  std::string host_;
  std::uint16_t port_;
  std::shared_ptr<http_shared_state> shared_;
};

}  // namespace chatd
