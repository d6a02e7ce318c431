// What a run measured, before it is printed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "histogram.hpp"

namespace chatbench {

struct latency_summary {
  std::uint64_t count = 0;
  std::uint64_t min_ns = 0, p50_ns = 0, p99_ns = 0, p999_ns = 0, max_ns = 0;
  double mean_ns = 0;
};

latency_summary summarize(const histogram& h);

// The generator's own CPU use over a span of wall time, and the server's if its PID is known.
struct cpu_usage {
  double wall_s = 0;
  double cpu_s = 0;
  double share = 0;  // cpu_s / wall_s: 1.0 is one core busy
  bool saturated = false;
  std::optional<double> server_share;
  // Share of the wall time spent waiting for a CPU (runnable, not running).
  std::optional<double> wait_share;
  std::optional<double> server_wait_share;
};

// How the publishers kept their pipelines full during the measured window.
struct pipeline_stats {
  std::uint64_t publishes = 0;           // publishes written
  std::uint64_t writes = 0;              // socket writes started by publishers
  std::uint64_t reads = 0;               // reads on publishers (acks arrive in them)
  std::uint64_t refills = 0;             // refills of a window that sent something
  std::uint64_t refilled = 0;            // publishes those refills sent
  std::uint64_t inflight_at_refill = 0;  // sum over refills of the publishes still in flight
  double mean_in_flight = 0;             // per publisher, averaged over the window's time
};

// One node of a chatd cluster (or the one server) over the measured window: what its own
// subscribers received, and its CPU when its PID is known.
struct node_usage {
  std::uint16_t port = 0;
  std::optional<int> pid;
  std::size_t subscribers = 0, publishers = 0;
  std::uint64_t delivered = 0;            // to subscribers connected to this node
  std::optional<double> cpu_s;            // utime + stime over the window
  std::optional<double> cpu_share, wait_share;
};

// A process the servers depend on (a NATS server of the cluster) over the measured window.
struct peer_usage {
  int pid = 0;
  std::optional<double> cpu_s;
  std::optional<double> cpu_share, wait_share;
};

struct load_result {
  bool ok = true;
  std::string error;
  std::size_t connections = 0;
  double setup_s = 0;
  double measured_s = 0;
  // Inside the measured window.
  std::uint64_t delivered = 0;        // messages received by subscribers
  std::uint64_t published = 0;        // publishes acknowledged by the server
  double deliveries_per_s = 0;
  double published_per_s = 0;
  std::uint64_t subscriber_bytes = 0;  // bytes subscribers read
  std::optional<double> bytes_per_delivery;  // subscriber_bytes / delivered
  pipeline_stats pipeline;
  latency_summary latency;
  cpu_usage usage;
  // Whole run (warmup, window and drain).
  std::uint64_t total_sent = 0;
  std::uint64_t total_acked = 0;
  std::uint64_t total_delivered = 0;
  std::uint64_t expected_deliveries = 0;  // total_sent x subscribers of the room
  std::uint64_t lost = 0;                 // expected but not received by the end of the drain
  std::uint64_t publisher_deliveries = 0; // chatd: other publishers' messages a publisher got
  std::uint64_t gaps = 0, reorders = 0;   // chatd: room seq; redis/nats: payload seq
  std::uint64_t payload_gaps = 0, payload_reorders = 0;
  std::uint64_t foreign = 0;              // room messages that were not benchmark payloads
  std::uint64_t errors = 0;
  std::uint64_t subscriber_reads = 0;     // read calls that returned data, on subscribers
  std::optional<std::uint64_t> server_rss_kib;
  std::vector<node_usage> nodes;  // one per --port
  std::vector<peer_usage> peers;  // one per --peer-pid
};

struct idle_result {
  bool ok = true;
  std::string error;
  std::size_t connections = 0;
  std::size_t ready = 0;
  double setup_s = 0;
  double held_s = 0;
  std::uint64_t nofile_limit = 0;
  std::optional<std::uint64_t> rss_before_kib, rss_ready_kib, rss_end_kib;
  std::optional<double> bytes_per_connection;      // (rss_ready - rss_before) / connections
  std::optional<double> bytes_per_connection_end;  // (rss_end - rss_before) / connections
  bool fanout_checked = false;
  std::uint64_t fanout_expected = 0;
  std::uint64_t fanout_delivered = 0;
  latency_summary fanout_latency;
  cpu_usage setup_usage;
};

// Kept-rooms mode: server RSS per room, kept empty after its last member left (or, with
// --kept-active, held by one member).
struct kept_result {
  bool ok = true;
  std::string error;
  std::size_t rooms = 0;
  std::size_t connections = 0;
  std::size_t messages = 0;     // texts said in each room
  std::size_t text_bytes = 0;   // bytes of each text
  bool parted = true;           // false: every room keeps its one member
  double connect_s = 0;         // connecting and registering the connections
  double create_s = 0;          // from the first /join to the last answer
  double wait_s = 0;            // then until chatd showed every room (kept)
  std::uint64_t lines = 0;      // lines answered while creating
  std::uint64_t nofile_limit = 0;
  std::optional<std::uint64_t> rss_before_kib;   // connections registered and idle
  std::optional<std::uint64_t> rss_created_kib;  // right after the last answer
  std::optional<std::uint64_t> rss_after_kib;    // every room shown, then --settle seconds
  std::optional<double> bytes_per_room;          // (rss_after - rss_before) / rooms
  std::optional<std::uint64_t> rooms_total;      // the last /rooms total
  std::optional<double> kept_empty;              // the last chatd_rooms_kept_empty scraped
};

}  // namespace chatbench
