// Series whose value is computed when scraped rather than kept up to date: process figures read
// from /proc, or live sizes the server already knows (rooms, queued bytes). The function runs on
// the loop's thread during a scrape; it must be cheap and must not block.
#pragma once

#include <functional>
#include <stdexcept>
#include <utility>

#include "metrics/metric_type.hpp"
#include "metrics/snapshot.hpp"

namespace chatd::metrics {

// A function that returns the current value; NaN when it cannot be known right now.
using value_function = std::function<double()>;

template <metric_type Type>
class callback_metric {
 public:
  static constexpr metric_type type = Type;

  // Throws std::invalid_argument if `read` is empty.
  explicit callback_metric(value_function read) : read_(std::move(read)) {
    if (!read_) throw std::invalid_argument("callback metric needs a function");
  }

  double value() const { return read_(); }

  void collect(series_snapshot& out) const { out.value = read_(); }

 private:
  value_function read_;
};

// Exposed as `# TYPE counter`; the function must return a value that never goes down.
using callback_counter = callback_metric<metric_type::counter>;
using callback_gauge = callback_metric<metric_type::gauge>;

}  // namespace chatd::metrics
