// The fan-out load: R rooms x (S subscribers + P publishers). Publishers send timestamped
// payloads at a fixed rate or as fast as their window of unacknowledged publishes allows;
// subscribers check order and record latency. Warmup, measured window, then a bounded drain.
#pragma once

#include <asio.hpp>

#include <memory>
#include <string>
#include <vector>

#include "fleet.hpp"
#include "histogram.hpp"
#include "options.hpp"
#include "payload.hpp"
#include "proc_stats.hpp"
#include "results.hpp"

namespace chatbench {

class load_run final : private connection_handler {
 public:
  explicit load_run(const options& opts);
  ~load_run();
  load_result run();

 private:
  struct member {
    bool publisher = false;
    std::size_t room = 0;
    std::uint64_t last_room_seq = 0;              // subscribers (chatd)
    std::vector<std::uint64_t> last_payload_seq;  // subscribers, per publisher of the room
    // Publishers.
    std::uint32_t pub_id = 0;
    std::uint64_t sent = 0;
    std::uint64_t acked = 0;
    std::uint64_t start_ns = 0;
    std::unique_ptr<asio::steady_timer> timer;
  };
  struct snapshot {
    std::uint64_t t_ns = 0;
    std::uint64_t delivered = 0;
    std::uint64_t acked = 0;
    std::uint64_t sent = 0;
    std::uint64_t subscriber_bytes = 0;  // bytes read by subscribers
    std::uint64_t publisher_writes = 0;  // writes started by publishers
    std::uint64_t publisher_reads = 0;
    cpu_times cpu;
    std::optional<double> server_cpu;
    std::optional<double> wait;
    std::optional<double> server_wait;
    std::vector<std::uint64_t> node_delivered;
    std::vector<std::optional<double>> node_cpu, node_wait;  // per --server-pid
    std::vector<std::optional<double>> peer_cpu, peer_wait;  // per --peer-pid
  };

  void on_ready(connection& c, std::uint64_t base_seq) override;
  void on_delivery(connection& c, std::string_view payload, std::uint64_t room_seq,
                   std::uint64_t now_ns) override;
  void on_acks(connection& c, std::uint64_t n) override;
  void on_read_done(connection& c) override;
  void on_fail(connection& c, const std::string& what) override;

  void begin_load();
  void begin_measure();
  void end_measure();
  void check_drained();
  void finish();
  void fail(const std::string& what);
  void pump(std::size_t id);
  void inflight_changed(std::uint64_t now_ns, std::int64_t delta);
  void arm_rate_timer(std::size_t id, std::uint64_t at_ns);
  snapshot take_snapshot() const;
  void after(double secs, void (load_run::*step)());

  const options& opts_;
  asio::io_context io_;
  fleet fleet_;
  std::vector<member> members_;
  std::vector<std::size_t> publishers_;  // connection ids
  payload_writer writer_;
  histogram latency_;
  asio::steady_timer phase_timer_;
  asio::steady_timer deadline_;
  bool publishing_ = false;
  bool measuring_ = false;
  bool finished_ = false;
  std::uint64_t setup_start_ns_ = 0, load_start_ns_ = 0, drain_end_ns_ = 0;
  snapshot m_start_, m_end_;
  std::vector<std::uint64_t> node_delivered_;  // subscriber deliveries per node
  std::uint64_t delivered_ = 0, sent_ = 0, acked_ = 0, pub_deliveries_ = 0;
  std::uint64_t gaps_ = 0, reorders_ = 0, payload_gaps_ = 0, payload_reorders_ = 0;
  std::uint64_t foreign_ = 0, errors_ = 0;
  // Measured window, in pump(): refills that sent something, their publishes, and the
  // publishes still in flight when each refill began.
  std::uint64_t refills_ = 0, refilled_ = 0, inflight_at_refill_ = 0;
  // Publishes in flight over all publishers, integrated over the measured window (ns).
  std::uint64_t inflight_ = 0, inflight_since_ns_ = 0;
  double inflight_ns_ = 0;
  std::string first_error_;
};

}  // namespace chatbench
