// The three kinds of series the text format knows about, and how each is named in `# TYPE`.
#pragma once

#include <string_view>

namespace chatd::metrics {

enum class metric_type { counter, gauge, histogram };

constexpr std::string_view to_string(metric_type type) noexcept {
  switch (type) {
    case metric_type::counter: return "counter";
    case metric_type::gauge: return "gauge";
    case metric_type::histogram: return "histogram";
  }
  return "untyped";
}

}  // namespace chatd::metrics
