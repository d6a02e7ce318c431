// A value that goes up and down. Updated from the loop's one thread, so a plain double.
#pragma once

#include "metrics/metric_type.hpp"
#include "metrics/snapshot.hpp"

namespace chatd::metrics {

class gauge {
 public:
  static constexpr metric_type type = metric_type::gauge;

  gauge() = default;
  explicit gauge(double initial) noexcept : value_(initial) {}

  void set(double value) noexcept { value_ = value; }
  void inc(double amount = 1) noexcept { value_ += amount; }
  void dec(double amount = 1) noexcept { value_ -= amount; }
  double value() const noexcept { return value_; }

  void collect(series_snapshot& out) const { out.value = value_; }

 private:
  double value_ = 0;
};

}  // namespace chatd::metrics
