#include "options.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <map>

namespace chatbench {

const char* target_name(target t) {
  switch (t) {
    case target::chatd: return "chatd";
    case target::redis: return "redis";
    case target::nats: return "nats";
  }
  return "?";
}

namespace {

std::uint16_t default_port(target t) {
  switch (t) {
    case target::chatd: return 7000;
    case target::redis: return 6379;
    case target::nats: return 4222;
  }
  return 0;
}

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

}  // namespace

std::optional<options> parse_options(int argc, char** argv, int& exit_code) {
  options o;
  CLI::App app{
      "chatbench: fan-out load generator for chatd (JSON mode), Redis pub/sub and NATS.\n"
      "Prints one JSON line on stdout and a human summary on stderr."};
  app.option_defaults()->always_capture_default();
  app.footer(
      "Load mode (default): --rooms x (--subscribers + --publishers); chatd publishers are room\n"
      "members, Redis/NATS publishers subscribe to nothing. Idle mode: --idle N [--verify-fanout].\n"
      "Kept-rooms mode (chatd): --kept-rooms N [--messages M --size S] [--kept-active].\n"
      "Exit status: 0 done, 1 usage, 2 the run failed (error from the server, refused, timeout),\n"
      "3 --verify-fanout did not reach every connection.");

  const std::map<std::string, target> targets{
      {"chatd", target::chatd}, {"redis", target::redis}, {"nats", target::nats}};
  app.add_option("--target", o.server, "chatd, redis or nats")
      ->transform(CLI::CheckedTransformer(targets, CLI::ignore_case))
      ->option_text("chatd|redis|nats (default chatd)");
  app.add_option("--host", o.host, "server address (loopback only)");
  app.add_option("--port", o.ports,
                 "server port (default 7000 / 6379 / 4222); several, comma-separated: nodes of "
                 "one chatd cluster, each room's subscribers and publishers split over them")
      ->delimiter(',')
      ->expected(1, 64);

  app.add_option("--rooms", o.rooms, "rooms (channels, subjects)")->check(CLI::Range(1, 100000));
  app.add_option("--subscribers", o.subscribers, "subscribers per room")
      ->check(CLI::Range(0, 1000000));
  app.add_option("--publishers", o.publishers, "publishers per room")
      ->check(CLI::Range(0, 10000));
  app.add_option("--size", o.size, "message text bytes, carries the timestamp")
      ->check(CLI::Range(40, 3000));
  app.add_option("--rate", o.rate, "messages/s per publisher; 0 = unlimited, bounded by --window")
      ->check(CLI::Range(0.0, 1e7));
  app.add_option("--window", o.window, "unacknowledged publishes per publisher")
      ->check(CLI::Range(1, 100000));

  app.add_option("--idle", o.idle, "idle mode: hold N registered connections over --rooms")
      ->check(CLI::Range(0, 1000000));
  app.add_option("--hold", o.hold, "idle mode: seconds to hold them")->check(CLI::Range(0.0, 3600.0));
  app.add_flag("--verify-fanout", o.verify_fanout,
               "idle mode: then publish one message per room and check all N receive it");
  app.add_option("--settle", o.settle, "idle mode: seconds after all ready before reading RSS")
      ->check(CLI::Range(0.0, 60.0));

  app.add_option("--kept-rooms", o.kept_rooms,
                 "kept-rooms mode (chatd): create N rooms, fill their history, part them all and "
                 "measure the server RSS per room kept empty")
      ->check(CLI::Range(0, 1000000));
  app.add_option("--kept-conns", o.kept_conns, "kept-rooms mode: connections creating the rooms")
      ->check(CLI::Range(1, 1000));
  app.add_option("--messages", o.messages, "kept-rooms mode: texts of --size bytes said in each room")
      ->check(CLI::Range(0, 100000));
  app.add_flag("--kept-active", o.kept_active,
               "kept-rooms mode: stay in every room (one member each) instead of parting");
  app.add_option("--metrics-port", o.metrics_port,
                 "kept-rooms mode: chatd's metrics port on --host; wait until "
                 "chatd_rooms_kept_empty shows every room");

  app.add_option("--warmup", o.warmup, "seconds of load before measuring")
      ->check(CLI::Range(0.0, 600.0));
  app.add_option("--duration", o.duration, "seconds measured")->check(CLI::Range(0.1, 3600.0));
  app.add_option("--drain", o.drain, "seconds to wait for in-flight messages at the end")
      ->check(CLI::Range(0.0, 120.0));
  app.add_option("--timeout", o.setup_timeout, "seconds allowed to connect and register")
      ->check(CLI::Range(1.0, 3600.0));

  app.add_option("--source-addrs", o.source_addrs,
                 "bind client sockets round-robin to 127.0.0.1 .. 127.0.0.N")
      ->check(CLI::Range(1, 250));
  app.add_option("--connect-parallel", o.connect_parallel,
                 "connections being set up at once")
      ->check(CLI::Range(1, 10000));
  app.add_option("--read-buffer", o.read_buffer, "initial read buffer per connection (bytes)")
      ->check(CLI::Range(0, 16 << 20));
  app.add_flag("--tls", o.tls,
               "connect over TLS (chatd's listen.chat_tls as --port); the server's certificate "
               "is not verified");

  app.add_option("--room-prefix", o.room_prefix, "room / channel / subject name prefix");
  app.add_option("--label", o.label, "free text copied into the JSON result");
  app.add_option("--server-pid", o.server_pids,
                 "server PID: report its RSS and CPU from /proc; with several --port, one per "
                 "port in the same order (comma-separated)")
      ->delimiter(',')
      ->expected(1, 64);
  app.add_option("--peer-pid", o.peer_pids,
                 "load mode: processes the servers depend on (NATS of a chatd cluster), "
                 "comma-separated: their CPU over the measured window is reported")
      ->delimiter(',')
      ->expected(1, 64);
  app.add_option("--ready-file", o.ready_file, "idle mode: file written when all are ready");
  app.add_option("--saturation", o.saturation,
                 "generator CPU share (of one core) from which it warns it may be the bottleneck")
      ->check(CLI::Range(0.1, 1.0));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    exit_code = app.exit(e);
    return std::nullopt;
  }
  if (!is_loopback(o.host)) {
    std::fprintf(stderr, "chatbench: --host %s: only loopback addresses are allowed\n",
                 o.host.c_str());
    exit_code = 1;
    return std::nullopt;
  }
  if (o.host == "localhost") o.host = "127.0.0.1";
  if (o.ports.empty()) o.ports.push_back(0);
  for (auto& p : o.ports)
    if (p == 0) p = default_port(o.server);
  o.port = o.ports.front();
  if (!o.server_pids.empty()) o.server_pid = o.server_pids.front();
  if (o.ports.size() > 1 && (o.server != target::chatd || o.idle > 0 || o.kept_rooms > 0)) {
    std::fprintf(stderr, "chatbench: several --port are for chatd's cluster mode, in load mode\n");
    exit_code = 1;
    return std::nullopt;
  }
  // One PID for several nodes would pass one node's CPU off as the cluster's.
  if (!o.server_pids.empty() && o.server_pids.size() != o.ports.size()) {
    std::fprintf(stderr, "chatbench: --server-pid: one PID per --port\n");
    exit_code = 1;
    return std::nullopt;
  }
  for (char c : o.room_prefix) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok || o.room_prefix.size() > 24) {
      std::fprintf(stderr, "chatbench: --room-prefix: use 1..24 of a-z 0-9 _ -\n");
      exit_code = 1;
      return std::nullopt;
    }
  }
  if (o.room_prefix.empty() || !(o.room_prefix[0] >= 'a' && o.room_prefix[0] <= 'z')) {
    std::fprintf(stderr, "chatbench: --room-prefix must start with a-z\n");
    exit_code = 1;
    return std::nullopt;
  }
  if (o.kept_rooms > 0 && (o.server != target::chatd || o.idle > 0)) {
    std::fprintf(stderr, "chatbench: --kept-rooms is chatd only and does not go with --idle\n");
    exit_code = 1;
    return std::nullopt;
  }
  if (o.idle == 0 && o.kept_rooms == 0 && o.subscribers == 0 && o.publishers == 0) {
    std::fprintf(stderr, "chatbench: nothing to do (no subscribers, publishers or --idle)\n");
    exit_code = 1;
    return std::nullopt;
  }
  if (o.read_buffer == 0) o.read_buffer = o.idle > 0 ? 4096 : 65536;
  if (o.read_buffer < 1024) o.read_buffer = 1024;
  return o;
}

}  // namespace chatbench
