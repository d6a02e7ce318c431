// Tells the service manager how chatd is doing (sd_notify): READY once it listens, a STATUS line
// with live figures every few seconds, WATCHDOG pings from the event loop itself (a stuck loop
// stops pinging and systemd restarts it), RELOADING around a reload and STOPPING on shutdown.
// Outside systemd (no NOTIFY_SOCKET) every call is a no-op and no timer runs.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

namespace chatd {

class service_notifier {
 public:
  struct figures {
    std::size_t connections = 0;
    std::size_t rooms = 0;
    double messages_received = 0;  // a running total; the notifier turns it into a rate
  };

  service_notifier(asio::io_context& io, std::function<figures()> read_figures);
  service_notifier(const service_notifier&) = delete;
  service_notifier& operator=(const service_notifier&) = delete;

  // Sends READY=1 with a first STATUS, then starts the status and watchdog timers.
  void ready();
  void reloading();
  void reloaded(std::string_view status);  // READY=1 again, after a reload
  void stopping(std::string_view status);
  // Cancels the timers so the loop can end.
  void stop();

  bool active() const noexcept { return active_; }
  std::chrono::microseconds watchdog_interval() const noexcept { return watchdog_; }

 private:
  asio::awaitable<void> status_loop();
  asio::awaitable<void> watchdog_loop();
  std::string status_line();
  void send(const std::string& state);

  asio::io_context& io_;
  std::function<figures()> read_figures_;
  bool active_;                             // NOTIFY_SOCKET is set
  std::chrono::microseconds watchdog_{0};   // 0: no watchdog asked for
  asio::steady_timer status_timer_;
  asio::steady_timer watchdog_timer_;
  bool stopped_ = false;
  double last_messages_ = 0;
  std::chrono::steady_clock::time_point last_status_{};
};

}  // namespace chatd
