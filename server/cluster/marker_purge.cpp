#include "server/cluster/marker_purge.hpp"

#include <algorithm>

#include <asio/post.hpp>
#include <spdlog/spdlog.h>

#include "server/cluster/nats_link.hpp"

namespace chatd {

namespace {

constexpr std::int64_t purge_wait_ms = 10'000;

}  // namespace

marker_purge::marker_purge(nats_link& link, asio::any_io_executor loop,
                           cluster_metrics& metrics, std::vector<bucket> buckets,
                           std::chrono::milliseconds older_than)
    : link_(link),
      loop_(std::move(loop)),
      metrics_(metrics),
      buckets_(std::move(buckets)),
      older_than_(older_than),
      next_(clock::now() + older_than) {}

marker_purge::~marker_purge() {
  *alive_ = false;
  pool_.join();
}

void marker_purge::on_tick(clock::time_point now) {
  if (now < next_ || running_.load() || !link_.connected_now()) return;
  next_ = now + older_than_;
  running_ = true;
  asio::post(pool_, [this, alive = alive_] {
    const bool ok = purge_now();
    running_ = false;
    asio::post(loop_, [this, alive, ok] {
      if (*alive) metrics_.marker_purges(ok).inc();
    });
  });
}

bool marker_purge::purge_now() {
  bool ok = true;
  for (const bucket& b : buckets_) {
    const auto age = std::max(older_than_, b.min_age);
    kvStore* kv = nullptr;
    natsStatus s = js_KeyValue(&kv, link_.jetstream(), b.name.c_str());
    if (s == NATS_OK) {
      kvPurgeOptions opts;
      kvPurgeOptions_Init(&opts);
      opts.Timeout = purge_wait_ms;
      opts.DeleteMarkersOlderThan =
          std::chrono::duration_cast<std::chrono::nanoseconds>(age).count();
      s = kvStore_PurgeDeletes(kv, &opts);
      kvStore_Destroy(kv);
    }
    if (s != NATS_OK) {
      ok = false;
      spdlog::warn("cluster: purging old delete markers from {}: {}", b.name, nats_error_text(s));
    } else {
      spdlog::debug("cluster: purged delete markers older than {} s from {}",
                    std::chrono::duration_cast<std::chrono::seconds>(age).count(), b.name);
    }
  }
  return ok;
}

}  // namespace chatd
