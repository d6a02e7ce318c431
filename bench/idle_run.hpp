// Idle and capacity mode: N registered connections spread over R rooms, held open while the
// server's memory is read; optionally one message per room must then reach every one of them.
#pragma once

#include <asio.hpp>

#include <string>
#include <vector>

#include "fleet.hpp"
#include "histogram.hpp"
#include "options.hpp"
#include "proc_stats.hpp"
#include "results.hpp"

namespace chatbench {

class idle_run final : private connection_handler {
 public:
  explicit idle_run(const options& opts);
  idle_result run();

 private:
  void on_ready(connection& c, std::uint64_t base_seq) override;
  void on_delivery(connection& c, std::string_view payload, std::uint64_t room_seq,
                   std::uint64_t now_ns) override;
  void on_acks(connection&, std::uint64_t) override {}
  void on_read_done(connection&) override {}
  void on_fail(connection& c, const std::string& what) override;

  void all_ready();
  void settled();
  void held();
  void publish_fanout();
  void check_fanout();
  void finish();
  void fail(const std::string& what);
  void after(double secs, void (idle_run::*step)());

  const options& opts_;
  asio::io_context io_;
  fleet fleet_;
  asio::steady_timer phase_timer_;
  asio::steady_timer deadline_;
  std::size_t subscribers_ = 0;
  std::size_t publisher_id_ = SIZE_MAX;
  std::vector<std::uint8_t> got_;  // per subscriber: fan-out messages received
  histogram fanout_latency_;
  std::uint64_t fanout_delivered_ = 0, fanout_expected_ = 0, fanout_end_ns_ = 0;
  std::uint64_t setup_start_ns_ = 0, ready_ns_ = 0, hold_start_ns_ = 0;
  cpu_times cpu_start_;
  idle_result result_;
  bool finished_ = false;
  std::string first_error_;
};

}  // namespace chatbench
