#include "server/daemon/drainer.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "protocol/events.hpp"
#include "server/chat/chat_client.hpp"
#include "server/chat/directory.hpp"
#include "server/daemon/drain_schedule.hpp"
#include "server/loop/guard.hpp"

namespace chatd {

namespace {

constexpr std::string_view notice_code = "server-draining";

// Whole seconds, rounded up: "within 1 s" must not undersell a 1500 ms period.
long long seconds_up(std::chrono::milliseconds period) {
  return (period.count() + 999) / 1000;
}

// Progress is logged at each quarter of the clients, not per client (each close is logged).
bool quarter_crossed(std::size_t k, std::size_t n) {
  return k == n || (k * 4) / n != ((k - 1) * 4) / n;
}

}  // namespace

drainer::drainer(asio::io_context& io, directory& dir, metrics::registry& registry)
    : io_(io), dir_(dir), timer_(io) {
  registry
      .add_callback_gauge("chatd_draining",
                          "1 while the node is in lame-duck mode (SIGUSR2): it accepts no new "
                          "connections and closes its clients over limits.drain_period.")
      .add({}, [this] { return draining_ ? 1.0 : 0.0; });
}

bool drainer::start(std::chrono::milliseconds period, std::function<void()> done) {
  if (draining_) return false;
  draining_ = true;
  done_ = std::move(done);

  std::vector<std::uint64_t> ids;
  ids.reserve(dir_.client_count());
  const std::string text = "This server is going away for maintenance: you will be "
                           "disconnected within " + std::to_string(seconds_up(period)) +
                           " s. Reconnect to continue.";
  // Told once, now, whatever their turn: a client can leave early at a moment it chooses.
  dir_.for_each_client([&](chat_client& c) {
    c.send(protocol::notice_event{notice_code, text});
    ids.push_back(c.id());
  });
  // The oldest connections first: their ids are in connection order.
  std::sort(ids.begin(), ids.end());
  spdlog::info("lame duck: draining {} connections over {} ms", ids.size(), period.count());
  spawn_guarded(io_.get_executor(), run(std::move(ids), period), "drain");
  return true;
}

void drainer::cancel() {
  if (!draining_ || cancelled_) return;
  cancelled_ = true;
  timer_.cancel();
}

asio::awaitable<void> drainer::run(std::vector<std::uint64_t> ids,
                                   std::chrono::milliseconds period) {
  const auto started = clock::now();
  const std::size_t n = ids.size();
  std::size_t closed = 0;  // by the schedule; others may have left by themselves
  for (std::size_t k = 1; k <= n && !cancelled_; ++k) {
    timer_.expires_at(drain_due(started, period, k, n));
    asio::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (cancelled_) break;
    if (chat_client* c = dir_.find_client(ids[k - 1])) {
      c->stop(disconnect_reason::server_draining, stop_mode::flush);
      ++closed;
    }
    if (quarter_crossed(k, n)) {
      spdlog::info("lame duck: {} of {} connections done ({} closed by the drain), {} left",
                   k, n, closed, dir_.client_count());
    }
  }
  if (cancelled_) {
    spdlog::info("lame duck: drain cut short by shutdown after {} of {} connections", closed, n);
    co_return;
  }
  spdlog::info("lame duck: drain done after {} ms ({} connections closed by it); shutting down",
               std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - started)
                   .count(),
               closed);
  if (done_) std::exchange(done_, {})();
}

}  // namespace chatd
