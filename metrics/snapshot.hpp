// A registry's values copied out at scrape time: plain data, so the text renderer is a pure
// function and tests can build the input by hand.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "metrics/metric_type.hpp"

namespace chatd::metrics {

struct label_pair {
  std::string name;
  std::string value;
  friend bool operator==(const label_pair&, const label_pair&) = default;
};

// In the family's label-name order.
using label_pairs = std::vector<label_pair>;

struct bucket_snapshot {
  double upper_bound;                 // the `le` value; the last bucket is +Inf
  std::uint64_t cumulative_count;     // observations <= upper_bound
};

struct series_snapshot {
  label_pairs labels;
  double value = 0;                       // counter and gauge
  std::vector<bucket_snapshot> buckets;   // histogram only: ascending, ends with +Inf
  double sum = 0;                         // histogram only
  std::uint64_t count = 0;                // histogram only (equals the +Inf bucket)
};

struct family_snapshot {
  std::string name;
  std::string help;
  metric_type type = metric_type::gauge;
  std::vector<series_snapshot> series;
};

}  // namespace chatd::metrics
