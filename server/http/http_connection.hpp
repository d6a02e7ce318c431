// One connection to the metrics listener: reads request heads, answers each, and closes on
// error, timeout, "Connection: close" or stop. Owned by its own coroutines (habit 4).
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include "server/http/http_limits.hpp"
#include "server/http/http_routes.hpp"

namespace chatd {

class http_connection;

// What the endpoint shares with its connections. Every coroutine holds a shared_ptr to it, so
// it stays valid until the last one has unwound, even if the http_endpoint is destroyed first.
struct http_shared_state {
  http_shared_state(asio::io_context& io, http_limits l, http_handlers h)
      : acceptor(io), limits(l), handlers(std::move(h)) {}

  asio::ip::tcp::acceptor acceptor;
  http_limits limits;
  http_handlers handlers;
  bool stopped = false;
  std::uint64_t next_id = 1;
  // Every open connection (served or being turned away), so stop() can close them.
  std::unordered_map<std::uint64_t, http_connection*> open;
  std::size_t serving = 0;    // counted against limits.max_concurrent
  std::size_t rejecting = 0;  // being told 503; also capped at max_concurrent
};

class http_connection : public std::enable_shared_from_this<http_connection> {
 public:
  enum class mode { serve, reject_busy };
  using clock = std::chrono::steady_clock;

  http_connection(asio::ip::tcp::socket socket, std::shared_ptr<http_shared_state> shared,
                  mode m);
  http_connection(const http_connection&) = delete;
  http_connection& operator=(const http_connection&) = delete;

  // Registers with the shared state and spawns the connection's coroutines.
  void start();
  // Closes the socket; the coroutines see the error, unwind and unregister.
  void stop();

 private:
  asio::awaitable<void> run(std::shared_ptr<http_connection> self);
  asio::awaitable<void> serve();
  asio::awaitable<void> answer_busy();
  asio::awaitable<bool> send(std::string bytes);
  asio::awaitable<void> close_gracefully();
  asio::awaitable<void> watchdog(std::shared_ptr<http_connection> self);
  http_response respond_to(const http_request& request);
  void set_deadline(clock::time_point deadline);
  void finish();

  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;
  std::shared_ptr<http_shared_state> shared_;
  mode mode_;
  std::uint64_t id_;
  clock::time_point deadline_;
  bool finished_ = false;
  std::string unparsed_;  // bytes read past the end of the last request head
  std::array<char, 4096> buffer_{};
};

}  // namespace chatd
