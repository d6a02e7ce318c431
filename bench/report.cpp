#include "report.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <iostream>

#include "protocol.hpp"

namespace chatbench {

namespace {

using json = nlohmann::ordered_json;

double us(std::uint64_t ns) { return static_cast<double>(ns) / 1000.0; }
double round2(double v) { return static_cast<double>(static_cast<long long>(v * 100 + (v >= 0 ? 0.5 : -0.5))) / 100; }

json latency_json(const latency_summary& l) {
  return json{{"count", l.count},          {"min_us", round2(us(l.min_ns))},
              {"p50_us", round2(us(l.p50_ns))}, {"p99_us", round2(us(l.p99_ns))},
              {"p999_us", round2(us(l.p999_ns))}, {"max_us", round2(us(l.max_ns))},
              {"mean_us", round2(l.mean_ns / 1000.0)}};
}

json usage_json(const cpu_usage& u, double saturation) {
  json j{{"wall_s", round2(u.wall_s)},
         {"cpu_s", round2(u.cpu_s)},
         {"cpu_share", round2(u.share)},
         {"saturated", u.saturated},
         {"saturation_threshold", saturation}};
  if (u.wait_share) j["cpu_wait_share"] = round2(*u.wait_share);
  if (u.server_share) j["server_cpu_share"] = round2(*u.server_share);
  if (u.server_wait_share) j["server_cpu_wait_share"] = round2(*u.server_wait_share);
  return j;
}

double per(std::uint64_t a, std::uint64_t b) {
  return b ? round2(static_cast<double>(a) / static_cast<double>(b)) : 0.0;
}

// Whether the publishers pipeline: publishes per socket write, acks per read and how full the
// window still was when it was refilled (all over the measured window, all publishers).
json pipeline_json(const pipeline_stats& p, std::uint64_t acked) {
  return json{{"publishes", p.publishes},
              {"writes", p.writes},
              {"publishes_per_write", per(p.publishes, p.writes)},
              {"reads", p.reads},
              {"acks_per_read", per(acked, p.reads)},
              {"refills", p.refills},
              {"publishes_per_refill", per(p.refilled, p.refills)},
              {"mean_in_flight_at_refill", per(p.inflight_at_refill, p.refills)},
              {"mean_in_flight", round2(p.mean_in_flight)}};
}

template <class T>
json opt(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

json opt_round(const std::optional<double>& v) { return v ? json(round2(*v)) : json(nullptr); }

// CPU µs per delivery, to 3 decimals: a node's cost per delivery to its own subscribers.
json us_per(const std::optional<double>& cpu_s, std::uint64_t n) {
  if (!cpu_s || n == 0) return nullptr;
  return std::round(*cpu_s * 1e6 / static_cast<double>(n) * 1000) / 1000;
}

json nodes_json(const load_result& r) {
  json a = json::array();
  for (const auto& n : r.nodes) {
    a.push_back(json{{"port", n.port},
                     {"pid", opt(n.pid)},
                     {"subscribers", n.subscribers},
                     {"publishers", n.publishers},
                     {"delivered", n.delivered},
                     {"deliveries_per_s",
                      r.measured_s > 0 ? std::llround(n.delivered / r.measured_s) : 0},
                     {"cpu_share", opt_round(n.cpu_share)},
                     {"cpu_wait_share", opt_round(n.wait_share)},
                     {"cpu_us_per_delivery", us_per(n.cpu_s, n.delivered)}});
  }
  return a;
}

json peers_json(const load_result& r) {
  json a = json::array();
  for (const auto& p : r.peers) {
    a.push_back(json{{"pid", p.pid},
                     {"cpu_share", opt_round(p.cpu_share)},
                     {"cpu_wait_share", opt_round(p.wait_share)},
                     {"cpu_us_per_delivery", us_per(p.cpu_s, r.delivered)}});
  }
  return a;
}

json common(const options& o, const char* mode) {
  json j{{"tool", "chatbench"}, {"mode", mode}, {"target", target_name(o.server)},
         {"host", o.host},      {"port", o.port}};
  if (!o.label.empty()) j["label"] = o.label;
  if (o.tls) j["tls"] = true;
  return j;
}

void print_json(const json& j) {
  std::cout << j.dump() << std::endl;
}

const char* warn_line = "generator may be the bottleneck";
// Waiting for a CPU this share of the time means other work on the machine took the cores.
constexpr double busy_wait = 0.10;
const char* busy_line = "the machine is busy: processes waited for a CPU, figures are low";

std::string rate_text(double rate) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", rate);
  return buf;
}

}  // namespace

void report_load(const options& o, const load_result& r) {
  json j = common(o, "load");
  j["ok"] = r.ok;
  if (!r.ok) j["error"] = r.error;
  j["rooms"] = o.rooms;
  j["subscribers_per_room"] = o.subscribers;
  j["publishers_per_room"] = o.publishers;
  j["connections"] = r.connections;
  j["size"] = o.size;
  j["rate_per_publisher"] = o.rate;
  j["window"] = o.window;
  j["ack"] = ack_method(o.server);
  j["setup_s"] = round2(r.setup_s);
  j["warmup_s"] = o.warmup;
  j["measured_s"] = round2(r.measured_s);
  j["deliveries_per_s"] = std::llround(r.deliveries_per_s);
  j["published_per_s"] = std::llround(r.published_per_s);
  // Deliveries per second of server CPU time: the throughput one fully available core would give,
  // steadier than deliveries/s when the server had to wait for its core.
  if (r.usage.server_share && *r.usage.server_share > 0)
    j["deliveries_per_server_cpu_s"] = std::llround(r.deliveries_per_s / *r.usage.server_share);
  j["delivered"] = r.delivered;
  j["published"] = r.published;
  // Bytes on the wire per delivered line, as the subscribers read them (framing included).
  j["subscriber_bytes"] = r.subscriber_bytes;
  j["bytes_per_delivery"] = r.bytes_per_delivery ? json(round2(*r.bytes_per_delivery)) : json(nullptr);
  j["pipeline"] = pipeline_json(r.pipeline, r.published);
  j["latency"] = latency_json(r.latency);
  j["total_sent"] = r.total_sent;
  j["total_acked"] = r.total_acked;
  j["total_delivered"] = r.total_delivered;
  j["expected_deliveries"] = r.expected_deliveries;
  j["lost"] = r.lost;
  j["publisher_deliveries"] = r.publisher_deliveries;
  j["seq_source"] = o.server == target::chatd ? "room seq" : "payload seq";
  j["gaps"] = r.gaps;
  j["reorders"] = r.reorders;
  j["payload_gaps"] = r.payload_gaps;
  j["payload_reorders"] = r.payload_reorders;
  j["foreign"] = r.foreign;
  j["errors"] = r.errors;
  j["subscriber_reads"] = r.subscriber_reads;
  j["deliveries_per_read"] =
      r.subscriber_reads ? round2(static_cast<double>(r.total_delivered) / r.subscriber_reads) : 0.0;
  j["generator"] = usage_json(r.usage, o.saturation);
  if (r.usage.saturated) {
    j["warning"] = warn_line;
  } else if (r.usage.server_wait_share.value_or(0) >= busy_wait ||
             r.usage.wait_share.value_or(0) >= busy_wait) {
    j["warning"] = busy_line;
  }
  j["server_rss_kib"] = opt(r.server_rss_kib);
  j["ports"] = o.ports;
  j["nodes"] = nodes_json(r);
  if (!r.peers.empty()) j["peers"] = peers_json(r);
  // chatd's flood control delays lines instead of refusing them, so it shows only as a rate.
  const std::size_t pubs = o.rooms * o.publishers;
  const bool flood_limited = o.server == target::chatd && o.rate == 0 && pubs > 0 && r.ok &&
                             r.measured_s > 0 && r.published_per_s / pubs <= 25;
  if (flood_limited) j["flood_control_suspected"] = true;
  print_json(j);

  std::fprintf(stderr,
               "chatbench %s: %zu rooms x (%zu subscribers + %zu publishers), %zu-byte text, %s\n",
               target_name(o.server), o.rooms, o.subscribers, o.publishers, o.size,
               o.rate > 0 ? (rate_text(o.rate) + " msg/s per publisher").c_str()
                          : ("unlimited, window " + std::to_string(o.window)).c_str());
  if (!r.ok) std::fprintf(stderr, "  FAILED: %s\n", r.error.c_str());
  std::fprintf(stderr, "  deliveries/s %.0f   published/s %.0f   (%.2f s measured, setup %.2f s)\n",
               r.deliveries_per_s, r.published_per_s, r.measured_s, r.setup_s);
  if (r.usage.server_share && *r.usage.server_share > 0)
    std::fprintf(stderr, "  deliveries per server CPU-second %.0f\n",
                 r.deliveries_per_s / *r.usage.server_share);
  if (r.bytes_per_delivery)
    std::fprintf(stderr, "  subscribers read %.1f bytes per delivery\n", *r.bytes_per_delivery);
  if (r.pipeline.refills > 0)
    std::fprintf(stderr,
                 "  publishers: %.1f publishes per write, %.1f acks per read; in flight of %zu: "
                 "%.1f on average, %.1f at each refill\n",
                 per(r.pipeline.publishes, r.pipeline.writes), per(r.published, r.pipeline.reads),
                 o.window, r.pipeline.mean_in_flight,
                 per(r.pipeline.inflight_at_refill, r.pipeline.refills));
  std::fprintf(stderr, "  latency us: p50 %.1f  p99 %.1f  p99.9 %.1f  max %.1f  (%llu samples)\n",
               us(r.latency.p50_ns), us(r.latency.p99_ns), us(r.latency.p999_ns),
               us(r.latency.max_ns), static_cast<unsigned long long>(r.latency.count));
  std::fprintf(stderr, "  order: gaps %llu reorders %llu (%s), lost %llu of %llu, errors %llu\n",
               static_cast<unsigned long long>(r.gaps), static_cast<unsigned long long>(r.reorders),
               o.server == target::chatd ? "room seq" : "payload seq",
               static_cast<unsigned long long>(r.lost),
               static_cast<unsigned long long>(r.expected_deliveries),
               static_cast<unsigned long long>(r.errors));
  std::fprintf(stderr, "  generator CPU %.2f s over %.2f s wall = %.0f%% of one core",
               r.usage.cpu_s, r.usage.wall_s, r.usage.share * 100);
  if (r.usage.server_share) std::fprintf(stderr, "; server %.0f%%", *r.usage.server_share * 100);
  std::fprintf(stderr, "\n");
  if (r.nodes.size() > 1 || !r.peers.empty()) {
    for (std::size_t k = 0; k < r.nodes.size(); ++k) {
      const auto& n = r.nodes[k];
      std::fprintf(stderr, "  node %zu (port %u): %zu subscribers + %zu publishers, %.0f deliveries/s",
                   k + 1, static_cast<unsigned>(n.port), n.subscribers, n.publishers,
                   r.measured_s > 0 ? n.delivered / r.measured_s : 0.0);
      if (n.cpu_share && n.delivered > 0)
        std::fprintf(stderr, ", CPU %.0f%% = %.3f us per local delivery", *n.cpu_share * 100,
                     *n.cpu_s * 1e6 / static_cast<double>(n.delivered));
      std::fprintf(stderr, "\n");
    }
    for (const auto& p : r.peers)
      if (p.cpu_share)
        std::fprintf(stderr, "  peer PID %d: CPU %.0f%% of one core (waited %.0f%%)\n", p.pid,
                     *p.cpu_share * 100, p.wait_share.value_or(0) * 100);
  }
  if (r.usage.wait_share || r.usage.server_wait_share) {
    std::fprintf(stderr, "  waiting for a CPU (runnable, not running): generator %.0f%%, server %.0f%% of wall time\n",
                 r.usage.wait_share.value_or(0) * 100, r.usage.server_wait_share.value_or(0) * 100);
  }
  if (r.usage.server_wait_share.value_or(0) >= busy_wait || r.usage.wait_share.value_or(0) >= busy_wait)
    std::fprintf(stderr, "  WARNING: %s\n", busy_line);
  if (r.usage.saturated)
    std::fprintf(stderr, "  WARNING: %s (CPU >= %.0f%% of one core)\n", warn_line,
                 o.saturation * 100);
  if (flood_limited)
    std::fprintf(stderr,
                 "  WARNING: about %.0f publishes/s per publisher: chatd's flood control (limits.rate,\n"
                 "  limits.burst) is probably pacing them; raise both in the server's config\n",
                 r.published_per_s / pubs);
}

void report_idle(const options& o, const idle_result& r) {
  json j = common(o, o.verify_fanout ? "capacity" : "idle");
  j["ok"] = r.ok;
  if (!r.ok) j["error"] = r.error;
  j["connections"] = r.connections;
  j["ready"] = r.ready;
  j["rooms"] = o.rooms;
  j["setup_s"] = round2(r.setup_s);
  j["held_s"] = round2(r.held_s);
  j["nofile_limit"] = r.nofile_limit;
  j["server_rss_before_kib"] = opt(r.rss_before_kib);
  j["server_rss_ready_kib"] = opt(r.rss_ready_kib);
  j["server_rss_end_kib"] = opt(r.rss_end_kib);
  j["bytes_per_connection"] =
      r.bytes_per_connection ? json(round2(*r.bytes_per_connection)) : json(nullptr);
  j["bytes_per_connection_end"] =
      r.bytes_per_connection_end ? json(round2(*r.bytes_per_connection_end)) : json(nullptr);
  if (r.fanout_checked) {
    j["fanout"] = json{{"expected", r.fanout_expected},
                       {"delivered", r.fanout_delivered},
                       {"all", r.fanout_delivered == r.fanout_expected},
                       {"latency", latency_json(r.fanout_latency)}};
  }
  j["generator_setup"] = usage_json(r.setup_usage, o.saturation);
  print_json(j);

  std::fprintf(stderr, "chatbench %s %s: %zu connections over %zu rooms\n", target_name(o.server),
               o.verify_fanout ? "capacity" : "idle", r.connections, o.rooms);
  if (!r.ok) std::fprintf(stderr, "  FAILED: %s\n", r.error.c_str());
  std::fprintf(stderr, "  ready %zu of %zu in %.2f s, held %.1f s (fd limit %llu)\n", r.ready,
               r.connections, r.setup_s, r.held_s, static_cast<unsigned long long>(r.nofile_limit));
  if (r.rss_before_kib && r.rss_ready_kib) {
    std::fprintf(stderr, "  server RSS %llu KiB -> %llu KiB", static_cast<unsigned long long>(*r.rss_before_kib),
                 static_cast<unsigned long long>(*r.rss_ready_kib));
    if (r.bytes_per_connection)
      std::fprintf(stderr, " = %.0f bytes (%.2f KiB) per connection", *r.bytes_per_connection,
                   *r.bytes_per_connection / 1024);
    std::fprintf(stderr, "\n");
  }
  if (r.rss_end_kib && r.bytes_per_connection_end) {
    std::fprintf(stderr, "  after the hold: server RSS %llu KiB = %.0f bytes (%.2f KiB) per connection\n",
                 static_cast<unsigned long long>(*r.rss_end_kib), *r.bytes_per_connection_end,
                 *r.bytes_per_connection_end / 1024);
  }
  if (r.fanout_checked) {
    std::fprintf(stderr, "  fan-out: %llu of %llu received it (%s), last after %.1f ms\n",
                 static_cast<unsigned long long>(r.fanout_delivered),
                 static_cast<unsigned long long>(r.fanout_expected),
                 r.fanout_delivered == r.fanout_expected ? "all" : "MISSING SOME",
                 r.fanout_latency.max_ns / 1e6);
  }
}

void report_kept(const options& o, const kept_result& r) {
  json j = common(o, "kept-rooms");
  j["ok"] = r.ok;
  if (!r.ok) j["error"] = r.error;
  j["rooms"] = r.rooms;
  j["parted"] = r.parted;
  j["messages_per_room"] = r.messages;
  j["text_bytes"] = r.text_bytes;
  j["payload_bytes_per_room"] = r.messages * r.text_bytes;
  j["connections"] = r.connections;
  j["window"] = o.window;
  j["connect_s"] = round2(r.connect_s);
  j["create_s"] = round2(r.create_s);
  j["wait_s"] = round2(r.wait_s);
  j["settle_s"] = o.settle;
  j["lines_answered"] = r.lines;
  j["nofile_limit"] = r.nofile_limit;
  j["rooms_total"] = opt(r.rooms_total);
  j["rooms_kept_empty"] = r.kept_empty ? json(static_cast<std::uint64_t>(*r.kept_empty)) : json(nullptr);
  j["server_rss_before_kib"] = opt(r.rss_before_kib);
  j["server_rss_created_kib"] = opt(r.rss_created_kib);
  j["server_rss_after_kib"] = opt(r.rss_after_kib);
  j["bytes_per_room"] = r.bytes_per_room ? json(round2(*r.bytes_per_room)) : json(nullptr);
  print_json(j);

  const std::string texts = r.messages == 0 ? std::string("no texts")
                                            : std::to_string(r.messages) + " x " +
                                                  std::to_string(r.text_bytes) + "-byte texts each";
  std::fprintf(stderr, "chatbench chatd kept-rooms: %zu rooms, %s, %s, %zu connections\n", r.rooms,
               texts.c_str(), r.parted ? "parted (kept empty)" : "one member each", r.connections);
  if (!r.ok) std::fprintf(stderr, "  FAILED: %s\n", r.error.c_str());
  std::fprintf(stderr, "  registered in %.2f s, created in %.2f s, all shown after %.2f s more\n",
               r.connect_s, r.create_s, r.wait_s);
  if (r.rss_before_kib && r.rss_after_kib) {
    std::fprintf(stderr, "  server RSS %llu KiB -> %llu KiB", static_cast<unsigned long long>(*r.rss_before_kib),
                 static_cast<unsigned long long>(*r.rss_after_kib));
    if (r.bytes_per_room)
      std::fprintf(stderr, " = %.0f bytes (%.2f KiB) per room (payload %zu bytes)", *r.bytes_per_room,
                   *r.bytes_per_room / 1024, r.messages * r.text_bytes);
    std::fprintf(stderr, "\n");
  }
}

}  // namespace chatbench
