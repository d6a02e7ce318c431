// Delete markers would stay in the key-value buckets for ever: one per room and nick that ever
// had a member leave (PREFIX_state), one per nick ever let go (PREFIX_nicks), so a chat whose
// clients come and go under new names would grow its buckets without bound. Every
// cluster.purge_after, the markers older than that are purged. kvStore_PurgeDeletes reads the
// whole bucket and waits on JetStream, so it runs on a thread of its own. Every node does it;
// two nodes purging at once purge the same markers, which is harmless.
//
// A bucket may ask its markers to be older still: a nick claim's Nats-Msg-Id names the
// revision it follows, 0 once the key's marker is gone, which the key's first claim used too;
// JetStream must have forgotten that id (its duplicate window, 2 minutes) before the marker
// may go, or a new claim would be taken for the old one.
#pragma once

#include <nats/nats.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/thread_pool.hpp>

#include "server/cluster/cluster_metrics.hpp"

namespace chatd {

class nats_link;

class marker_purge {
 public:
  using clock = std::chrono::steady_clock;

  struct bucket {
    std::string name;
    std::chrono::milliseconds min_age{0};  // markers younger than this stay in any case
  };

  marker_purge(nats_link& link, asio::any_io_executor loop, cluster_metrics& metrics,
               std::vector<bucket> buckets, std::chrono::milliseconds older_than);
  ~marker_purge();  // waits for a purge under way
  marker_purge(const marker_purge&) = delete;
  marker_purge& operator=(const marker_purge&) = delete;

  // The sweep: starts a purge when one is due, none is under way and NATS is reachable.
  void on_tick(clock::time_point now);

 private:
  bool purge_now();  // on the pool's thread; false if a bucket could not be purged

  nats_link& link_;
  asio::any_io_executor loop_;
  cluster_metrics& metrics_;
  const std::vector<bucket> buckets_;
  const std::chrono::milliseconds older_than_;
  clock::time_point next_;
  std::atomic<bool> running_{false};
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  asio::thread_pool pool_{1};  // last: joined first
};

}  // namespace chatd
