#include "metrics/histogram.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <utility>

namespace chatd::metrics {

histogram::histogram(std::vector<double> upper_bounds) : bounds_(std::move(upper_bounds)) {
  if (!bounds_.empty() && bounds_.back() == std::numeric_limits<double>::infinity())
    bounds_.pop_back();
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    if (!std::isfinite(bounds_[i]))
      throw std::invalid_argument("histogram bucket bounds must be finite (+Inf is implicit)");
    if (i > 0 && !(bounds_[i - 1] < bounds_[i]))
      throw std::invalid_argument("histogram bucket bounds must be strictly increasing");
  }
  counts_.assign(bounds_.size() + 1, 0);
}

void histogram::collect(series_snapshot& out) const {
  out.buckets.clear();
  out.buckets.reserve(counts_.size());
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i];
    out.buckets.push_back({bounds_[i], cumulative});
  }
  out.buckets.push_back({std::numeric_limits<double>::infinity(), count_});
  out.sum = sum_;
  out.count = count_;
}

std::vector<double> default_buckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::vector<double> exponential_buckets(double start, double factor, std::size_t count) {
  if (!(start > 0) || !(factor > 1))
    throw std::invalid_argument("exponential_buckets needs start > 0 and factor > 1");
  std::vector<double> bounds;
  bounds.reserve(count);
  double bound = start;
  for (std::size_t i = 0; i < count; ++i, bound *= factor) bounds.push_back(bound);
  return bounds;
}

std::vector<double> linear_buckets(double start, double width, std::size_t count) {
  if (!(width > 0)) throw std::invalid_argument("linear_buckets needs width > 0");
  std::vector<double> bounds;
  bounds.reserve(count);
  // start + i*width rather than repeated addition, so 0.1-steps do not drift.
  for (std::size_t i = 0; i < count; ++i) bounds.push_back(start + static_cast<double>(i) * width);
  return bounds;
}

}  // namespace chatd::metrics
