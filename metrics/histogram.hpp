// A distribution of observations in fixed buckets, with their sum and count. Updated from the
// loop's one thread: plain counters, no atomics.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "metrics/metric_type.hpp"
#include "metrics/snapshot.hpp"

namespace chatd::metrics {

class histogram {
 public:
  static constexpr metric_type type = metric_type::histogram;

  // `upper_bounds` are the finite bucket limits, strictly increasing; a trailing +Inf is
  // accepted and dropped (the +Inf bucket always exists). Throws std::invalid_argument otherwise.
  explicit histogram(std::vector<double> upper_bounds);

  // O(log buckets), no allocation. NaN lands in the +Inf bucket (and makes the sum NaN), as in
  // the Go client.
  void observe(double value) noexcept {
    const auto it = std::partition_point(bounds_.begin(), bounds_.end(),
                                         [value](double bound) { return !(value <= bound); });
    ++counts_[static_cast<std::size_t>(it - bounds_.begin())];
    sum_ += value;
    ++count_;
  }

  const std::vector<double>& upper_bounds() const noexcept { return bounds_; }
  double sum() const noexcept { return sum_; }
  std::uint64_t count() const noexcept { return count_; }

  // Buckets are kept per-bucket so observe touches one slot; they are made cumulative here.
  void collect(series_snapshot& out) const;

 private:
  std::vector<double> bounds_;          // finite, strictly increasing
  std::vector<std::uint64_t> counts_;   // bounds_.size() + 1; the last one is (bounds.back, +Inf]
  double sum_ = 0;
  std::uint64_t count_ = 0;
};

// Prometheus' usual latency buckets in seconds: 5 ms .. 10 s.
std::vector<double> default_buckets();
// `count` bounds: start, start*factor, start*factor^2, ... (start > 0, factor > 1).
std::vector<double> exponential_buckets(double start, double factor, std::size_t count);
// `count` bounds: start, start+width, ... (width > 0).
std::vector<double> linear_buckets(double start, double width, std::size_t count);

}  // namespace chatd::metrics
