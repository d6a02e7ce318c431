#include "server/cluster/cluster_metrics.hpp"

#include <string>
#include <vector>

namespace chatd {

namespace {

// A store at replicas 3 on one network takes a millisecond or two; seconds mean trouble.
const std::vector<double> publish_buckets{0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                          0.05,    0.1,    0.25,  0.5,    1,     2.5,  5};

metrics::counter& one_counter(metrics::registry& reg, const char* name, const char* help) {
  return reg.add_counter(name, help).add({});
}

const char* label(publish_failure why) {
  switch (why) {
    case publish_failure::disconnected: return "disconnected";
    case publish_failure::refused: return "refused";
    case publish_failure::timeout: return "timeout";
  }
  return "unknown";
}

}  // namespace

cluster_metrics::cluster_metrics(metrics::registry& reg, std::function<bool()> connected)
    : reconnects(one_counter(reg, "chatd_cluster_engine_reconnects_total",
                             "Times the link to NATS came back after it was lost.")),
      publish_seconds(reg.add_histogram("chatd_cluster_publish_seconds",
                                        "Time from sending a batch of room messages to NATS "
                                        "until JetStream confirmed it stored.")
                          .add({}, publish_buckets)),
      records_published(one_counter(reg, "chatd_cluster_records_published_total",
                                    "Stream messages (each a batch of one room's messages) "
                                    "this node stored in JetStream.")),
      conflicts(one_counter(reg, "chatd_cluster_publish_conflicts_total",
                            "Batches JetStream refused because another node wrote the room "
                            "first; they are numbered again and resent.")),
      records_malformed(one_counter(reg, "chatd_cluster_records_malformed_total",
                                    "Stream messages on chatd's room subjects that were not "
                                    "records chatd reads; skipped.")),
      records_superseded(one_counter(reg, "chatd_cluster_records_superseded_total",
                                     "Records every node skipped because a record before them "
                                     "took their seqs (two nodes wrote the room at once); their "
                                     "writer numbers them again.")),
      nick_claims_failed(one_counter(reg, "chatd_cluster_nick_claims_failed_total",
                                     "Nick claims answered unavailable because NATS could not "
                                     "be asked.")),
      reader_restarts(one_counter(reg, "chatd_cluster_stream_reader_restarts_total",
                                  "Times this node started reading the room stream again "
                                  "because its reading stalled behind what JetStream had "
                                  "stored.")) {
  reg.add_callback_gauge("chatd_cluster_engine_connected",
                         "1 while this node is connected to NATS, else 0.")
      .add({}, [connected = std::move(connected)] { return connected() ? 1.0 : 0.0; });
  auto& failures = reg.add_counter("chatd_cluster_publish_failures_total",
                                   "Room messages whose sender got `unavailable`, by reason.",
                                   {"reason"});
  for (const auto why : all_publish_failures)
    failures_[static_cast<std::size_t>(why)] = &failures.add({{"reason", label(why)}});
  auto& purges = reg.add_counter("chatd_cluster_marker_purges_total",
                                 "Passes purging delete markers older than "
                                 "cluster.purge_after from the buckets, by result.",
                                 {"result"});
  purges_ok_ = &purges.add({{"result", "ok"}});
  purges_failed_ = &purges.add({{"result", "failed"}});
}

}  // namespace chatd
