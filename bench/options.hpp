// chatbench command line: what to connect to, the shape of the load, and how long to run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace chatbench {

enum class target { chatd, redis, nats };

const char* target_name(target t);

struct options {
  target server = target::chatd;
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: the target's usual port (7000, 6379, 4222); ports[0]
  // Several nodes of one chat (chatd's cluster mode): connections go round-robin over them.
  std::vector<std::uint16_t> ports;

  // Load shape: `rooms` rooms, each with `subscribers` receivers and `publishers` senders.
  std::size_t rooms = 1;
  std::size_t subscribers = 200;
  std::size_t publishers = 2;
  std::size_t size = 64;          // bytes of message text (the payload)
  double rate = 0;                // messages/s per publisher; 0 = unlimited (window-bound)
  std::size_t window = 128;       // publishes in flight per publisher (not yet acknowledged)

  // Idle / capacity mode: hold `idle` registered connections spread over `rooms`.
  std::size_t idle = 0;
  double hold = 0;                // seconds to hold the idle connections
  bool verify_fanout = false;     // after the hold, one message per room must reach all of them
  double settle = 1.0;            // seconds between "all ready" and the server RSS reading

  // Kept-rooms mode (chatd only): `kept_rooms` rooms created by `kept_conns` connections, each
  // given `messages` texts of `size` bytes, then parted (kept empty) unless `kept_active`.
  std::size_t kept_rooms = 0;
  std::size_t kept_conns = 4;
  std::size_t messages = 0;
  bool kept_active = false;       // stay in every room (one member each) instead of parting
  std::uint16_t metrics_port = 0; // chatd's metrics endpoint: wait on chatd_rooms_kept_empty

  // Time bounds (seconds).
  double warmup = 2;
  double duration = 10;
  double drain = 5;               // after publishing stops, wait this long for stragglers
  double setup_timeout = 120;     // connecting and registering everything

  // Transport.
  std::size_t source_addrs = 1;   // bind sources round-robin over 127.0.0.1 .. 127.0.0.N
  std::size_t connect_parallel = 256;
  std::size_t read_buffer = 0;    // 0: 64 KiB under load, 4 KiB for idle connections
  bool tls = false;               // TLS to chatd's listen.chat_tls (the certificate unchecked)

  // Extras.
  std::string room_prefix = "bench";
  std::string label;
  std::optional<int> server_pid;  // read its VmRSS and CPU time from /proc; server_pids[0]
  std::vector<int> server_pids;   // one per port: each node's CPU and its local deliveries
  std::vector<int> peer_pids;     // others the servers rely on (NATS): their CPU is reported
  std::string ready_file;         // idle mode: written once every connection is ready
  double saturation = 0.90;       // generator CPU share of one core that triggers the warning
};

// Parses argv. Returns nullopt with `exit_code` set when the program should exit now
// (--help, or a usage error already printed).
std::optional<options> parse_options(int argc, char** argv, int& exit_code);

}  // namespace chatbench
