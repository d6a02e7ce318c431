#include "server/service/health_check.hpp"

#include <array>

#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/address.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include "server/transport/endpoint_text.hpp"

namespace chatd {

namespace {

// Where a client reaches a listener bound to `host`: a wildcard means "this machine".
asio::ip::address reachable_address(const std::string& host) {
  const auto address = asio::ip::make_address(host);
  if (!address.is_unspecified()) return address;
  if (address.is_v6()) return asio::ip::address_v6::loopback();
  return asio::ip::address_v4::loopback();
}

asio::awaitable<void> ask(asio::ip::tcp::socket& socket, asio::ip::tcp::endpoint at,
                          health_result& result) {
  co_await socket.async_connect(at, asio::use_awaitable);
  const std::string request =
      "GET /healthz HTTP/1.1\r\nHost: " + endpoint_text(at) + "\r\nConnection: close\r\n\r\n";
  co_await asio::async_write(socket, asio::buffer(request), asio::use_awaitable);
  // The answer is tiny; read until the server closes (Connection: close), bounded.
  std::string response;
  std::array<char, 1024> chunk{};
  for (;;) {
    asio::error_code ec;
    const std::size_t n = co_await socket.async_read_some(
        asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
    response.append(chunk.data(), n);
    if (ec || response.size() > 16 * 1024) break;
  }
  const auto line_end = response.find("\r\n");
  const std::string status_line = response.substr(0, line_end);
  result.healthy = status_line.starts_with("HTTP/1.1 200") || status_line.starts_with("HTTP/1.0 200");
  result.detail = (status_line.empty() ? std::string("no answer") : status_line.substr(9)) +
                  " from " + endpoint_text(at);
}

}  // namespace

health_result check_health(const listen_config& listen, std::chrono::milliseconds timeout) {
  health_result result;
  if (!listen.metrics_enabled) {
    result.detail = "listen.metrics is off, so there is no /healthz to ask";
    return result;
  }
  asio::ip::tcp::endpoint at;
  try {
    at = asio::ip::tcp::endpoint(reachable_address(listen.metrics.host), listen.metrics.port);
  } catch (const std::exception& e) {
    result.detail = std::string("bad listen.metrics address: ") + e.what();
    return result;
  }
  asio::io_context io(1);
  asio::ip::tcp::socket socket(io);
  bool done = false;
  asio::co_spawn(io, ask(socket, at, result), [&](std::exception_ptr error) {
    done = true;
    if (!error) return;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      result.healthy = false;
      result.detail = endpoint_text(at) + ": " + e.what();
    }
  });
  io.run_for(timeout);
  if (!done) {
    result.healthy = false;
    result.detail = endpoint_text(at) + ": no answer within " +
                    std::to_string(timeout.count()) + " ms";
  }
  return result;
}

}  // namespace chatd
