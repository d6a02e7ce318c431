#include "server/http/http_endpoint.hpp"

#include <utility>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/ip/address.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "server/transport/endpoint_text.hpp"
#include "server/http/http_connection.hpp"
#include "server/service/listen_fds.hpp"

namespace chatd {

namespace {

// A failing accept (out of file descriptors, say) waits this long before trying again, so the
// error cannot spin the loop.
constexpr std::chrono::milliseconds accept_backoff{100};

void admit(std::shared_ptr<http_shared_state> shared, asio::ip::tcp::socket socket) {
  const http_limits& limits = shared->limits;
  if (shared->serving < limits.max_concurrent) {
    std::make_shared<http_connection>(std::move(socket), std::move(shared),
                                      http_connection::mode::serve)
        ->start();
  } else if (shared->rejecting < limits.max_concurrent) {
    spdlog::debug("metrics: {} connections open; answering 503", shared->serving);
    std::make_shared<http_connection>(std::move(socket), std::move(shared),
                                      http_connection::mode::reject_busy)
        ->start();
  } else {
    // Even the 503s are backed up: drop this one without a word rather than queue more.
    asio::error_code ignored;
    socket.close(ignored);
  }
}

asio::awaitable<void> accept_loop(std::shared_ptr<http_shared_state> shared) {
  asio::steady_timer backoff(shared->acceptor.get_executor());
  for (;;) {
    auto [ec, socket] = co_await shared->acceptor.async_accept(
        asio::experimental::as_tuple(asio::use_awaitable));
    if (shared->stopped || ec == asio::error::operation_aborted) break;
    if (ec) {
      spdlog::warn("metrics accept failed: {}; retrying in {} ms", ec.message(),
                   accept_backoff.count());
      backoff.expires_after(accept_backoff);
      asio::error_code ignored;
      co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      continue;
    }
    admit(shared, std::move(socket));
  }
}

}  // namespace

http_endpoint::http_endpoint(asio::io_context& io, std::string host, std::uint16_t port,
                             http_limits limits, std::function<std::string()> metrics_body,
                             std::function<std::string()> unhealthy_reason)
    : io_(io),
      host_(std::move(host)),
      port_(port),
      shared_(std::make_shared<http_shared_state>(
          io, limits, http_handlers{std::move(metrics_body), std::move(unhealthy_reason)})) {}

http_endpoint::~http_endpoint() { stop(); }

void http_endpoint::start() {
  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address(host_), port_);
  auto& acceptor = shared_->acceptor;
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::ip::tcp::acceptor::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(asio::socket_base::max_listen_connections);
  spdlog::info("metrics listening on {}", endpoint_text(acceptor.local_endpoint()));
  asio::co_spawn(io_, accept_loop(shared_), asio::detached);
}

void http_endpoint::start_on(int fd) {
  adopt_listener(shared_->acceptor, fd);
  spdlog::info("metrics listening on {} (socket from the service manager)",
               endpoint_text(shared_->acceptor.local_endpoint()));
  asio::co_spawn(io_, accept_loop(shared_), asio::detached);
}

asio::ip::tcp::endpoint http_endpoint::local_endpoint() const {
  return shared_->acceptor.local_endpoint();
}

void http_endpoint::stop() {
  if (shared_->stopped) return;
  shared_->stopped = true;
  asio::error_code ignored;
  shared_->acceptor.close(ignored);
  // stop() only closes sockets; each connection unregisters itself as its coroutine unwinds.
  for (auto& [id, connection] : shared_->open) connection->stop();
}

std::size_t http_endpoint::connection_count() const noexcept { return shared_->open.size(); }

}  // namespace chatd
