#include "server/http/http_connection.hpp"

#include <algorithm>
#include <exception>
#include <string_view>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <spdlog/spdlog.h>

#include "server/http/http_request_parser.hpp"

namespace chatd {

namespace {

constexpr auto as_tuple_awaitable = asio::experimental::as_tuple(asio::use_awaitable);

// After answering and shutting down our side, we read and discard what the client still sends
// until it closes, so that closing with unread input does not turn into a reset that destroys
// the response before the client has read it. This bounds how long we wait for that.
constexpr std::chrono::milliseconds max_linger{1000};

}  // namespace

http_connection::http_connection(asio::ip::tcp::socket socket,
                                 std::shared_ptr<http_shared_state> shared, mode m)
    : socket_(std::move(socket)),
      timer_(socket_.get_executor()),
      shared_(std::move(shared)),
      mode_(m),
      id_(shared_->next_id++),
      deadline_(clock::now() + shared_->limits.read_timeout) {}

void http_connection::start() {
  shared_->open.emplace(id_, this);
  ++(mode_ == mode::serve ? shared_->serving : shared_->rejecting);
  auto self = shared_from_this();
  asio::co_spawn(socket_.get_executor(), run(self), asio::detached);
  asio::co_spawn(socket_.get_executor(), watchdog(self), asio::detached);
}

void http_connection::stop() {
  asio::error_code ignored;
  socket_.close(ignored);
  timer_.cancel();
}

// The top of the connection: expected errors (EOF, reset, timeout, stop) end serve() quietly;
// anything else is logged here once. `self` keeps the connection alive while this runs.
asio::awaitable<void> http_connection::run(
    [[maybe_unused]] std::shared_ptr<http_connection> self) {
  try {
    if (mode_ == mode::serve) {
      co_await serve();
    } else {
      co_await answer_busy();
    }
  } catch (const std::exception& e) {
    spdlog::warn("metrics conn {} failed: {}", id_, e.what());
  }
  finish();
}

void http_connection::finish() {
  finished_ = true;
  stop();
  shared_->open.erase(id_);
  --(mode_ == mode::serve ? shared_->serving : shared_->rejecting);
}

asio::awaitable<void> http_connection::serve() {
  const http_limits& limits = shared_->limits;
  http_request_parser parser(limits.max_request_bytes);
  for (std::size_t served = 1;; ++served) {
    // The whole head must arrive within read_timeout of the previous answer (or of accept).
    set_deadline(clock::now() + limits.read_timeout);
    auto result = parser.parse(unparsed_);
    unparsed_.erase(0, result.consumed);
    while (result.state == http_request_parser::status::need_more) {
      auto [ec, n] = co_await socket_.async_read_some(asio::buffer(buffer_), as_tuple_awaitable);
      if (ec) co_return;  // closed, reset, timed out or stopped
      const std::string_view chunk(buffer_.data(), n);
      result = parser.parse(chunk);
      unparsed_.assign(chunk.substr(result.consumed));
    }

    if (result.state == http_request_parser::status::bad) {
      spdlog::debug("metrics conn {} bad request: {}", id_, parser.error());
      std::string reply = serialize(http_text_response(400, "bad request\n"), false, false);
      const bool sent = co_await send(std::move(reply));
      if (sent) {
        co_await close_gracefully();
      }
      co_return;
    }

    const http_request& request = parser.request();
    const bool keep_alive = request.keep_alive() && !request.has_body() &&
                            served < limits.max_requests_per_connection && !shared_->stopped;
    const bool head_only = request.method == "HEAD";
    std::string reply = serialize(respond_to(request), keep_alive, head_only);
    const bool sent = co_await send(std::move(reply));
    if (!sent) co_return;
    if (!keep_alive) {
      co_await close_gracefully();
      co_return;
    }
    parser.reset();
  }
}

http_response http_connection::respond_to(const http_request& request) {
  try {
    return route(request, shared_->handlers);
  } catch (const std::exception& e) {
    spdlog::error("metrics: {} {} failed: {}", request.method, request.target, e.what());
    return http_text_response(500, "internal error\n");
  }
}

asio::awaitable<void> http_connection::answer_busy() {
  std::string reply = serialize(http_text_response(503, "too many connections\n"), false, false);
  const bool sent = co_await send(std::move(reply));
  if (sent) {
    co_await close_gracefully();
  }
}

// Writes all of `bytes` within read_timeout; false if the connection is gone.
// Callers await it into a local, never inside an `if` condition: g++ 12.2 miscompiles an `if`
// whose condition awaits an expression holding temporaries, e.g.
// `if (co_await send(serialize(http_text_response(...), ...)))`; the coroutine crashed on resume.
asio::awaitable<bool> http_connection::send(std::string bytes) {
  set_deadline(clock::now() + shared_->limits.read_timeout);
  auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(bytes), as_tuple_awaitable);
  co_return !ec;
}

asio::awaitable<void> http_connection::close_gracefully() {
  asio::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  if (ec) co_return;
  set_deadline(clock::now() + std::min<std::chrono::milliseconds>(shared_->limits.read_timeout,
                                                                  max_linger));
  for (;;) {
    auto [read_ec, n] =
        co_await socket_.async_read_some(asio::buffer(buffer_), as_tuple_awaitable);
    if (read_ec) co_return;  // the client closed (or the linger deadline passed)
  }
}

void http_connection::set_deadline(clock::time_point deadline) {
  const bool sooner = deadline < deadline_;
  deadline_ = deadline;
  // The watchdog sleeps until the old deadline; wake it so it re-arms for an earlier one.
  if (sooner) timer_.cancel();
}

// Habit 8: the reader only moves deadline_; this closes the socket once it has passed, which
// ends whatever read or write is pending.
asio::awaitable<void> http_connection::watchdog(
    [[maybe_unused]] std::shared_ptr<http_connection> self) {
  while (!finished_ && socket_.is_open()) {
    timer_.expires_at(deadline_);
    asio::error_code ignored;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    if (finished_) break;
    if (clock::now() >= deadline_) {
      spdlog::debug("metrics conn {} timed out", id_);
      stop();
      break;
    }
  }
}

}  // namespace chatd
