#include "metrics/registry.hpp"

#include <stdexcept>

#include "metrics/metric_names.hpp"

namespace chatd::metrics {

void registry::claim_names(const std::string& name, metric_type type,
                           const std::vector<std::string>& label_names) {
  check_family_names(name, type, label_names);
  // A gauge called x_count next to a histogram x would write the same sample name twice.
  const auto names = exposed_names(name, type);
  for (const std::string& exposed : names) {
    if (taken_names_.contains(exposed))
      throw std::invalid_argument("metric family '" + name + "': sample name '" + exposed +
                                  "' is already registered");
  }
  taken_names_.insert(names.begin(), names.end());
}

std::vector<family_snapshot> registry::collect() const {
  std::vector<family_snapshot> out;
  out.reserve(families_.size());
  for (const auto& f : families_) {
    family_snapshot snapshot = f->collect();
    if (!snapshot.series.empty()) out.push_back(std::move(snapshot));
  }
  return out;
}

}  // namespace chatd::metrics
