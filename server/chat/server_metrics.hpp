// The server's metrics: every series is created once here, and the hot paths hold plain
// references (an add on a double, no look-up, no lock: everything runs on the loop thread).
#pragma once

#include <array>
#include <cstddef>

#include "metrics/counter.hpp"
#include "metrics/gauge.hpp"
#include "metrics/histogram.hpp"
#include "metrics/registry.hpp"
#include "protocol/command.hpp"
#include "protocol/error_code.hpp"
#include "server/chat/presence.hpp"
#include "server/transport/disconnect_reason.hpp"

namespace chatd {

// Why a connection was turned away at accept. bad_proxy_header: a peer listed in
// listen.proxy_protocol sent a malformed PROXY header, or none in time.
enum class reject_reason { server_full, too_many_connections, bad_proxy_header };

class server_metrics {
 public:
  // Registers every family in `reg` (see docs/metrics.md). Series with labels are all created
  // up front, so a scrape shows zeros rather than missing series.
  explicit server_metrics(metrics::registry& reg);

  metrics::counter& connections_accepted;
  metrics::counter& accept_errors;
  metrics::counter& messages_received;
  metrics::counter& messages_delivered;
  metrics::counter& private_messages;
  metrics::counter& bytes_received;
  metrics::counter& bytes_sent;
  metrics::counter& slow_consumers;
  metrics::counter& flood_delays;
  metrics::counter& session_failures;
  metrics::histogram& event_loop_lag;
  metrics::histogram& fanout_seconds;

  metrics::counter& rejected(reject_reason reason) {
    return *rejected_[static_cast<std::size_t>(reason)];
  }
  metrics::counter& disconnects(disconnect_reason reason) {
    return *disconnects_[static_cast<std::size_t>(reason)];
  }
  metrics::counter& commands(protocol::command_kind kind) {
    return *commands_[static_cast<std::size_t>(kind)];
  }
  metrics::counter& errors(protocol::error_code code) {
    return *errors_[static_cast<std::size_t>(code)];
  }
  // "/join ROOM since SEQ", by whether it replayed every message after SEQ.
  metrics::counter& recoveries(bool complete) { return *recoveries_[complete ? 1 : 0]; }
  metrics::counter& config_reloads(bool ok) { return *reloads_[ok ? 0 : 1]; }
  // Times the loop was held past log.slow_loop: by a task that timed itself, or seen as lag.
  metrics::counter& slow_loop(bool lag) { return *slow_loop_[lag ? 1 : 0]; }
  // Joins, parts and quits a room did not announce because it was above
  // rooms.presence_max_members: one per room and event, however many members it has.
  metrics::counter& presence_suppressed(presence_kind kind) {
    return *presence_suppressed_[static_cast<std::size_t>(kind)];
  }

 private:
  std::array<metrics::counter*, 3> rejected_{};
  std::array<metrics::counter*, std::size(all_disconnect_reasons)> disconnects_{};
  std::array<metrics::counter*, 15> commands_{};
  std::array<metrics::counter*, std::size(protocol::all_error_codes)> errors_{};
  std::array<metrics::counter*, 2> reloads_{};  // ok, failed
  std::array<metrics::counter*, 2> recoveries_{};  // incomplete, complete
  std::array<metrics::counter*, 2> slow_loop_{};  // task, lag
  std::array<metrics::counter*, std::size(all_presence_kinds)> presence_suppressed_{};
};

// The label value for a command: its name, with "text" for a plain chat line.
std::string_view command_label(protocol::command_kind kind) noexcept;

}  // namespace chatd
