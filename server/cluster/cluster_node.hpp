// This process as one node of a chat cluster (cluster: in the config): the link to NATS, the
// rooms over JetStream and the nick bucket, plugged into the directory's engine seams. Built
// only when cluster.nats is set: standalone, none of this exists.
#pragma once

#include <chrono>
#include <string>

#include <asio/any_io_executor.hpp>

#include "config/config.hpp"
#include "metrics/registry.hpp"
#include "server/cluster/cluster_metrics.hpp"
#include "server/cluster/cluster_nicks.hpp"
#include "server/cluster/cluster_presence.hpp"
#include "server/cluster/marker_purge.hpp"
#include "server/cluster/nats_link.hpp"
#include "server/cluster/stream_rooms.hpp"

namespace chatd {

class directory;

class cluster_node {
 public:
  cluster_node(directory& dir, metrics::registry& reg, const config& cfg);
  ~cluster_node();
  cluster_node(const cluster_node&) = delete;
  cluster_node& operator=(const cluster_node&) = delete;

  // Connects and sets up the stream and bucket, waiting (at start, before the loop runs);
  // throws engine_error saying why not. Then the directory uses the engine.
  void start();
  // The server's sweep.
  void on_tick(std::chrono::steady_clock::time_point now);
  // Whether the room stream has been read up to where it was at start.
  bool caught_up() const noexcept { return rooms_.caught_up(); }
  // Why /healthz should answer 503, or "" while this node can serve.
  std::string unhealthy_reason() const;

  const std::string& instance() const noexcept { return instance_; }

 private:
  void link_changed(const nats_link::state_change& change);

  directory& dir_;
  const cluster_config cfg_;
  const std::string instance_;
  cluster_metrics metrics_;
  // Declared before what uses it: destroyed last, once no subscription or claim is left.
  nats_link link_;
  stream_rooms rooms_;
  cluster_nicks nicks_;
  cluster_presence presence_;
  marker_purge purge_;
};

}  // namespace chatd
