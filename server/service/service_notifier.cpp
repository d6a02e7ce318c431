#include "server/service/service_notifier.hpp"

#include <systemd/sd-daemon.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "server/loop/guard.hpp"

namespace chatd {

namespace {

// How often STATUS= is refreshed: often enough for `systemctl status`, rare enough to cost
// nothing.
constexpr std::chrono::seconds status_period{5};

std::uint64_t monotonic_usec() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000u +
         static_cast<std::uint64_t>(ts.tv_nsec) / 1000u;
}

}  // namespace

service_notifier::service_notifier(asio::io_context& io, std::function<figures()> read_figures)
    : io_(io),
      read_figures_(std::move(read_figures)),
      active_(std::getenv("NOTIFY_SOCKET") != nullptr),
      status_timer_(io),
      watchdog_timer_(io) {
  std::uint64_t usec = 0;
  // Only when WATCHDOG_PID (if set) names this process, as sd_watchdog_enabled checks.
  if (active_ && sd_watchdog_enabled(0, &usec) > 0) watchdog_ = std::chrono::microseconds(usec);
}

void service_notifier::send(const std::string& state) {
  if (!active_) return;
  const int rc = sd_notify(0, state.c_str());
  if (rc < 0) spdlog::warn("sd_notify failed: {}", std::strerror(-rc));
}

std::string service_notifier::status_line() {
  const figures now = read_figures_();
  const auto at = std::chrono::steady_clock::now();
  double rate = 0;
  if (last_status_ != std::chrono::steady_clock::time_point{}) {
    const std::chrono::duration<double> elapsed = at - last_status_;
    if (elapsed.count() > 0) rate = (now.messages_received - last_messages_) / elapsed.count();
  }
  last_status_ = at;
  last_messages_ = now.messages_received;
  return fmt::format("{} connections, {} rooms, {:.0f} messages/s", now.connections, now.rooms,
                     rate);
}

void service_notifier::ready() {
  if (!active_) return;
  send("READY=1\nSTATUS=" + status_line());
  spdlog::info("told systemd we are ready{}",
               watchdog_.count() > 0
                   ? fmt::format("; watchdog ping every {} ms", watchdog_.count() / 2000)
                   : std::string());
  spawn_guarded(io_.get_executor(), status_loop(), "systemd status");
  if (watchdog_.count() > 0) spawn_guarded(io_.get_executor(), watchdog_loop(), "systemd watchdog");
}

void service_notifier::reloading() {
  send(fmt::format("RELOADING=1\nMONOTONIC_USEC={}\nSTATUS=reloading configuration",
                   monotonic_usec()));
}

void service_notifier::reloaded(std::string_view status) {
  send("READY=1\nSTATUS=" + std::string(status));
}

void service_notifier::stopping(std::string_view status) {
  send("STOPPING=1\nSTATUS=" + std::string(status));
}

void service_notifier::stop() {
  stopped_ = true;
  status_timer_.cancel();
  watchdog_timer_.cancel();
}

asio::awaitable<void> service_notifier::status_loop() {
  while (!stopped_) {
    status_timer_.expires_after(status_period);
    asio::error_code ec;
    co_await status_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (stopped_) break;
    send("STATUS=" + status_line());
  }
}

asio::awaitable<void> service_notifier::watchdog_loop() {
  // Half the interval, as sd_watchdog_enabled(3) advises, so one late tick is not fatal. The
  // ping runs on the loop: if the loop hangs, the pings stop and systemd restarts us.
  const auto period = watchdog_ / 2;
  while (!stopped_) {
    send("WATCHDOG=1");
    watchdog_timer_.expires_after(period);
    asio::error_code ec;
    co_await watchdog_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

}  // namespace chatd
