// What Prometheus accepts as metric and label names, checked once when a family is registered.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "metrics/metric_type.hpp"

namespace chatd::metrics {

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool is_valid_metric_name(std::string_view name) noexcept;
// [a-zA-Z_][a-zA-Z0-9_]*, and not starting with "__" (reserved for Prometheus itself).
bool is_valid_label_name(std::string_view name) noexcept;

// Throws std::invalid_argument naming the problem unless the family is well formed: valid
// names, no repeated label name, a counter's name ends in "_total" (promtool's lint rejects
// anything else), a histogram has no "le" label.
void check_family_names(std::string_view name, metric_type type,
                        const std::vector<std::string>& label_names);

// The sample names a family writes: its name, plus _bucket, _sum and _count for a histogram.
std::vector<std::string> exposed_names(std::string_view name, metric_type type);

}  // namespace chatd::metrics
