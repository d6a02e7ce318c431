#include "server/cluster/cluster_node.hpp"

#include <random>

#include <spdlog/spdlog.h>

#include "server/chat/directory.hpp"

namespace chatd {

namespace {

// The node's name and a number drawn at start: records and nick claims of an earlier run of
// the same node are not taken for this one's.
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
      nicks_(link_, dir.executor(), metrics_, cfg.cluster, instance_) {}

cluster_node::~cluster_node() { dir_.set_engines(nullptr, nullptr); }

void cluster_node::start() {
  link_.connect();
  spdlog::info("cluster: node {} connected to NATS at {}", instance_, link_.server());
  rooms_.start();
  nicks_.start();
  dir_.set_engines(&rooms_, &nicks_);
}

void cluster_node::on_tick(std::chrono::steady_clock::time_point now) { rooms_.on_tick(now); }

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
  } else {
    spdlog::warn("cluster: lost the link to NATS; messages get `unavailable` until it is back");
  }
}

}  // namespace chatd
