// A monotonic count. Updated from the loop's one thread, so a plain double: no atomics.
#pragma once

#include "metrics/metric_type.hpp"
#include "metrics/snapshot.hpp"

namespace chatd::metrics {

class counter {
 public:
  static constexpr metric_type type = metric_type::counter;

  // A negative amount is ignored: a counter only goes up (as in prometheus-cpp).
  void inc(double amount = 1) noexcept {
    if (amount > 0) value_ += amount;
  }
  double value() const noexcept { return value_; }

  void collect(series_snapshot& out) const { out.value = value_; }

 private:
  double value_ = 0;
};

}  // namespace chatd::metrics
