// chatd's configuration: built-in defaults, overridden by the YAML file, overridden by flags.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "config/ip_range.hpp"

namespace chatd {

// A listening address as written in the config: "0.0.0.0:7000", "[::]:7000", "127.0.0.1:9102".
struct listen_address {
  std::string host;    // numeric IPv4 or IPv6 address, without brackets
  std::uint16_t port;  // 0 = an ephemeral port (tests use it)
  std::string to_string() const;  // "host:port", IPv6 in brackets
};

struct listen_config {
  listen_address chat{"0.0.0.0", 7000};
  bool metrics_enabled = true;  // false when listen.metrics is "" (disabled)
  listen_address metrics{"127.0.0.1", 9102};
  // Peers whose chat connections start with a PROXY protocol header (a balancer in front);
  // empty = none: no header is ever read.
  std::vector<ip_range> proxy_protocol;
  bool chat_tls_enabled = false;  // true when listen.chat_tls is set (off by default)
  listen_address chat_tls{"0.0.0.0", 7443};
};

// The TLS listener's certificate (docs/operations.md, "TLS"). Read at start and on SIGHUP.
struct tls_config {
  std::string cert;  // PEM certificate, followed by its chain
  std::string key;   // PEM private key of that certificate
  std::string min_version = "1.2";  // 1.2 | 1.3
  // A handshake not finished this long after accept ends the connection (counted).
  std::chrono::milliseconds handshake_timeout{10'000};
};

struct log_config {
  std::string level = "info";  // trace, debug, info, warn, error, critical, off
  std::string pattern = "%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v";  // spdlog pattern (text format)
  std::string format = "text";  // text | json
  // A loop turn or lag sample longer than this is logged as a warning; 0 = never.
  std::chrono::milliseconds slow_loop{100};
};

struct limits_config {
  std::size_t max_line_bytes = 4096;
  std::size_t max_connections = 10000;
  std::size_t max_connections_per_ip = 64;
  std::chrono::milliseconds register_timeout{60'000};
  std::chrono::milliseconds idle_timeout{600'000};  // 0 = off
  double rate = 10.0;          // messages per second, sustained
  std::size_t burst = 20;      // messages allowed at once
  std::size_t max_outbound_bytes = 1 << 20;
  std::size_t max_rooms = 10000;
  std::size_t max_rooms_per_client = 32;
  std::size_t nick_max = 24;
  std::chrono::milliseconds shutdown_grace{5'000};
  // Lame duck (SIGUSR2): the time over which the clients are closed, one by one.
  std::chrono::milliseconds drain_period{30'000};
};

struct rooms_config {
  std::string default_room = "lobby";  // canonical room name; empty = no automatic join
  std::size_t history = 50;            // messages kept per room
  std::size_t history_replay = 20;     // messages replayed on join (<= history)
  // How long a member's join/part/quit notices may wait to go out with the next ones.
  std::chrono::milliseconds presence_delay{100};
  // A room announces joins, parts and quits while it has at most this many members, the user
  // the announcement is about included; 0 = no limit. See docs/protocol.md 8.1.
  std::size_t presence_max_members = 1000;
  // How long a room its last member left keeps its seq, epoch, topic and history, so that a
  // client coming back can resume where it was; 0 = it goes at once.
  std::chrono::milliseconds keep_empty{10 * 60'000};
};

// This host's name as a cluster node name: gethostname(2) with every character other than
// [A-Za-z0-9_-] replaced by '-' and cut to 64, or "chatd" if the host has no name.
std::string default_node_name();

struct cluster_tls_config {
  std::string ca;    // PEM CA file that verifies the NATS servers
  std::string cert;  // client certificate for mutual TLS; needs key, and key needs it
  std::string key;
};

// Cluster mode over NATS JetStream (docs/cluster.md). Read once at start: a reload that changes
// it is logged and waits for a restart, since the node has joined the cluster with it.
struct cluster_config {
  std::vector<std::string> nats;  // engine URLs; empty = standalone, nothing of the cluster runs
  std::string node = default_node_name();  // unique in the cluster
  // JetStream replicas of chatd's stream and buckets. 3 by default, so that losing one NATS
  // server loses no message; a single NATS server needs 1.
  std::size_t replicas = 3;
  std::string prefix = "chatd";  // names chatd's subjects, stream and buckets in NATS, so that
                                 // two chats can share one NATS
  std::string credentials;       // NATS .creds file; not with user/password
  std::string user;
  std::string password;
  cluster_tls_config tls;
  // How long a message may wait for the engine to store it before its sender gets `unavailable`.
  std::chrono::milliseconds publish_timeout{2'000};
  // A node silent this long is taken as gone: its clients quit and its nicks are freed.
  std::chrono::milliseconds node_timeout{15'000};
  // Delete markers (a member gone, a nick let go) older than this are purged from the
  // buckets, checked as often.
  std::chrono::milliseconds purge_after{30 * 60'000};

  bool enabled() const noexcept { return !nats.empty(); }
};

struct config {
  listen_config listen;
  log_config log;
  limits_config limits;
  rooms_config rooms;
  cluster_config cluster;
  tls_config tls;
};

}  // namespace chatd
