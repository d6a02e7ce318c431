// The cluster's own series (docs/metrics.md, "Cluster"); registered only when cluster: is set,
// so a standalone scrape is unchanged.
#pragma once

#include <array>
#include <cstddef>
#include <functional>

#include "metrics/counter.hpp"
#include "metrics/histogram.hpp"
#include "metrics/registry.hpp"

namespace chatd {

// Why a message did not get into the stream.
enum class publish_failure { disconnected, refused, timeout };
inline constexpr publish_failure all_publish_failures[] = {
    publish_failure::disconnected, publish_failure::refused, publish_failure::timeout};

class cluster_metrics {
 public:
  // `connected`: whether the link is up now (read at scrape time).
  cluster_metrics(metrics::registry& reg, std::function<bool()> connected);

  metrics::counter& reconnects;
  metrics::histogram& publish_seconds;   // a batch, from sending to the engine's answer
  metrics::counter& records_published;   // stream messages (batches) stored
  metrics::counter& conflicts;           // another node wrote the room first: renumbered
  metrics::counter& records_malformed;   // stream messages that were not records
  metrics::counter& records_superseded;  // records whose seqs another record took first
  metrics::counter& nick_claims_failed;  // the engine could not be asked
  metrics::counter& reader_restarts;     // the room stream's reading stalled and started again
  metrics::counter& failures(publish_failure why) {
    return *failures_[static_cast<std::size_t>(why)];
  }
  // Passes of the delete-marker purge, by whether every bucket was purged.
  metrics::counter& marker_purges(bool ok) { return ok ? *purges_ok_ : *purges_failed_; }

 private:
  std::array<metrics::counter*, std::size(all_publish_failures)> failures_{};
  metrics::counter* purges_ok_ = nullptr;
  metrics::counter* purges_failed_ = nullptr;
};

}  // namespace chatd
