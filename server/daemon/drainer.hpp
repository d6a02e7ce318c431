// Lame-duck draining (SIGUSR2): every client is told once that the node is going away, then the
// clients are closed one at a time, evenly over limits.drain_period (drain_schedule.hpp), each
// with a bye `server-draining` after its queued output. The server stops accepting and
// answers /healthz with 503 before this starts; when the last client has been told to go, the
// `done` hook runs (the server then shuts down as on SIGTERM and exits 0).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include "metrics/registry.hpp"

namespace chatd {

class directory;

class drainer {
 public:
  using clock = std::chrono::steady_clock;

  // Registers chatd_draining (1 while draining) in `registry`.
  drainer(asio::io_context& io, directory& dir, metrics::registry& registry);
  drainer(const drainer&) = delete;
  drainer& operator=(const drainer&) = delete;

  bool draining() const noexcept { return draining_; }
  // Starts draining the clients there are now over `period`; a second call does nothing and
  // returns false. `done` runs once, on the loop, after the last one was told to go (at once
  // when there is none), unless cancel() came first.
  bool start(std::chrono::milliseconds period, std::function<void()> done);
  // A shutdown takes over: no more clients are closed by the schedule and `done` is not run.
  void cancel();

 private:
  asio::awaitable<void> run(std::vector<std::uint64_t> ids, std::chrono::milliseconds period);

  asio::io_context& io_;
  directory& dir_;
  asio::steady_timer timer_;
  std::function<void()> done_;
  bool draining_ = false;
  bool cancelled_ = false;
};

}  // namespace chatd
