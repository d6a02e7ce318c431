#include "server/cluster/cluster_node.hpp"

#include <random>
#include <thread>

#include <spdlog/spdlog.h>

#include "server/chat/directory.hpp"

namespace chatd {

namespace {

// The node's name and a number drawn at start: records and nick claims of an earlier run of
// the same node are not taken for this one's.
constexpr int64_t flush_at_exit_ms = 2000;
constexpr std::chrono::seconds start_patience{30};
// Past the nick bucket's duplicate window (2 minutes) with room to spare: marker_purge.hpp.
constexpr std::chrono::minutes nick_marker_min_age{5};

std::string make_instance(const std::string& node) {
  std::random_device device;
  return node + "." + std::to_string((std::uint64_t{device()} << 32 | device()) % 1000000000);
}

}  // namespace

cluster_node::cluster_node(directory& dir, metrics::registry& reg, const config& cfg)
    : dir_(dir),
      cfg_(cfg.cluster),
      instance_(make_instance(cfg.cluster.node)),
      metrics_(reg, [this] { return link_.connected(); }),
      link_(dir.executor(), cfg.cluster, "chatd " + instance_,
            [this](const nats_link::state_change& change) { link_changed(change); }),
      rooms_(link_, dir, metrics_, cfg, instance_),
      nicks_(link_, dir.executor(), metrics_, cfg.cluster, instance_),
      presence_(link_, dir, cfg, instance_),
      purge_(link_, dir.executor(), metrics_,
             {{cfg.cluster.prefix + "_state"},
              {cfg.cluster.prefix + "_nicks", nick_marker_min_age}},
             cfg.cluster.purge_after) {}

cluster_node::~cluster_node() {
  dir_.set_engines(nullptr, nullptr, nullptr);
  // What the clients' quits wrote is still in libnats's buffer: send it, and say this node is
  // leaving, before the link closes.
  presence_.on_shutdown();
  natsConnection_FlushTimeout(link_.connection(), flush_at_exit_ms);
}

void cluster_node::start() {
  // A NATS cluster that is itself starting (electing its JetStream leaders) refuses or times
  // out for a few seconds: wait that out here, as each step can be taken again, rather than
  // exit and leave it to the service manager.
  const auto deadline = std::chrono::steady_clock::now() + start_patience;
  for (int attempt = 1;; ++attempt) {
    try {
      const bool first = link_.connection() == nullptr;
      link_.connect();
      if (first) spdlog::info("cluster: node {} connected to NATS at {}", instance_, link_.server());
      rooms_.start();
      nicks_.start();
      presence_.start();
      break;
    } catch (const engine_refused&) {
      throw;
    } catch (const engine_error& e) {
      if (std::chrono::steady_clock::now() >= deadline) throw;
      spdlog::warn("{} (attempt {}; trying again for up to {} s)", e.what(), attempt,
                   std::chrono::duration_cast<std::chrono::seconds>(start_patience).count());
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  }
  dir_.set_engines(&rooms_, &nicks_, &presence_);
}

void cluster_node::on_tick(std::chrono::steady_clock::time_point now) {
  rooms_.on_tick(now);
  presence_.on_tick(now);
  purge_.on_tick(now);
}

std::string cluster_node::unhealthy_reason() const {
  if (!link_.connected()) return "NATS unreachable (cluster.nats)";
  if (!rooms_.caught_up()) return "reading the room stream";
  return {};
}

void cluster_node::link_changed(const nats_link::state_change& change) {
  if (change.connected) {
    metrics_.reconnects.inc();
    spdlog::warn("cluster: reconnected to NATS at {} (reconnect {})", change.server,
                 link_.reconnects());
    rooms_.on_reconnected();
    presence_.on_reconnected();
  } else {
    spdlog::warn("cluster: lost the link to NATS; messages get `unavailable` until it is back");
  }
}

}  // namespace chatd
