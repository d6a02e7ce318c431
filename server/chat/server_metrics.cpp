#include "server/chat/server_metrics.hpp"

#include <string>

namespace chatd {

namespace {

using protocol::command_kind;

constexpr command_kind all_command_kinds[] = {
    command_kind::text,  command_kind::nick,    command_kind::join,   command_kind::part,
    command_kind::say,   command_kind::me,      command_kind::msg,    command_kind::topic,
    command_kind::history, command_kind::rooms, command_kind::who,    command_kind::format,
    command_kind::ping,  command_kind::help,    command_kind::quit,
};

// Loop lag is sampled every 250 ms; a healthy loop answers within a millisecond.
const std::vector<double> lag_buckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                      0.05,   0.1,   0.25,   0.5,   1,    2.5};
// Fan-out of one message to a room: microseconds for small rooms, milliseconds for thousands.
const std::vector<double> fanout_buckets{0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005,
                                         0.001,   0.0025,   0.005,   0.01,   0.025,   0.05,
                                         0.1,     0.25,     1};

metrics::counter& one_counter(metrics::registry& reg, const char* name, const char* help) {
  return reg.add_counter(name, help).add({});
}

}  // namespace

std::string_view command_label(command_kind kind) noexcept {
  if (kind == command_kind::text) return "text";
  if (kind == command_kind::me) return "me";
  return protocol::command_name(kind);
}

server_metrics::server_metrics(metrics::registry& reg)
    : connections_accepted(one_counter(reg, "chatd_connections_accepted_total",
                                       "Connections accepted and served (rejected ones are "
                                       "counted in chatd_connections_rejected_total).")),
      accept_errors(one_counter(reg, "chatd_accept_errors_total",
                                "Failed accept calls (e.g. out of file descriptors); each is "
                                "followed by a 100 ms back-off.")),
      messages_received(one_counter(reg, "chatd_messages_received_total",
                                    "Room messages received from clients (chat lines, /say, /me).")),
      messages_delivered(one_counter(reg, "chatd_messages_delivered_total",
                                     "Room messages handed to members' outbound queues.")),
      private_messages(one_counter(reg, "chatd_private_messages_total",
                                   "Private messages (/msg) delivered.")),
      bytes_received(one_counter(reg, "chatd_bytes_received_total",
                                 "Bytes read from chat clients.")),
      bytes_sent(one_counter(reg, "chatd_bytes_sent_total", "Bytes written to chat clients.")),
      slow_consumers(one_counter(reg, "chatd_slow_consumers_total",
                                 "Clients disconnected because their unsent output passed "
                                 "limits.max_outbound_bytes.")),
      flood_delays(one_counter(reg, "chatd_flood_delays_total",
                               "Times a client's input was paused by flood control "
                               "(limits.rate/limits.burst).")),
      session_failures(one_counter(reg, "chatd_session_failures_total",
                                   "Unexpected exceptions in a connection or room task (logged; "
                                   "only that connection is closed).")),
      event_loop_lag(reg.add_histogram("chatd_event_loop_lag_seconds",
                                       "How late the loop's periodic 250 ms timer fired: the "
                                       "event loop's responsiveness.")
                         .add({}, lag_buckets)),
      fanout_seconds(reg.add_histogram("chatd_fanout_seconds",
                                       "Time from a message's arrival to the start of the "
                                       "fan-out batch that hands it to every member's "
                                       "outbound queue.")
                         .add({}, fanout_buckets)) {
  auto& rejected = reg.add_counter("chatd_connections_rejected_total",
                                   "Connections turned away at accept, by reason.", {"reason"});
  rejected_[static_cast<std::size_t>(reject_reason::server_full)] =
      &rejected.add({{"reason", "server-full"}});
  rejected_[static_cast<std::size_t>(reject_reason::too_many_connections)] =
      &rejected.add({{"reason", "too-many-connections"}});
  rejected_[static_cast<std::size_t>(reject_reason::bad_proxy_header)] =
      &rejected.add({{"reason", "bad-proxy-header"}});

  auto& disconnects = reg.add_counter("chatd_disconnects_total",
                                      "Connections ended, by reason (as in the log and the bye).",
                                      {"reason"});
  for (const auto reason : all_disconnect_reasons) {
    disconnects_[static_cast<std::size_t>(reason)] =
        &disconnects.add({{"reason", std::string(to_string(reason))}});
  }

  auto& commands = reg.add_counter("chatd_commands_total",
                                   "Commands received, by command (text = a plain chat line).",
                                   {"command"});
  for (const auto kind : all_command_kinds) {
    commands_[static_cast<std::size_t>(kind)] =
        &commands.add({{"command", std::string(command_label(kind))}});
  }

  auto& errors = reg.add_counter("chatd_errors_total", "Errors sent to clients, by code.",
                                 {"code"});
  for (const auto code : protocol::all_error_codes) {
    errors_[static_cast<std::size_t>(code)] =
        &errors.add({{"code", std::string(protocol::to_string(code))}});
  }

  auto& reloads = reg.add_counter("chatd_config_reloads_total",
                                  "Configuration reloads (SIGHUP), by result.", {"result"});
  reloads_[0] = &reloads.add({{"result", "ok"}});
  reloads_[1] = &reloads.add({{"result", "failed"}});

  auto& slow = reg.add_counter("chatd_slow_loop_total",
                               "Times the event loop was held longer than log.slow_loop, by a "
                               "task that timed itself or as seen in a lag sample.",
                               {"source"});
  slow_loop_[0] = &slow.add({{"source", "task"}});
  slow_loop_[1] = &slow.add({{"source", "lag"}});

  auto& recoveries = reg.add_counter(
      "chatd_recoveries_total",
      "Joins with since SEQ, by whether every message after SEQ was replayed.", {"complete"});
  recoveries_[0] = &recoveries.add({{"complete", "false"}});
  recoveries_[1] = &recoveries.add({{"complete", "true"}});

  auto& suppressed = reg.add_counter(
      "chatd_presence_suppressed_total",
      "Joins, parts and quits a room did not announce because it had more than "
      "rooms.presence_max_members members (one per room and event, not per member).",
      {"event"});
  for (const auto kind : all_presence_kinds) {
    presence_suppressed_[static_cast<std::size_t>(kind)] =
        &suppressed.add({{"event", std::string(to_string(kind))}});
  }
}

}  // namespace chatd
