// The set of metric families a process exposes, in registration order. Families are created at
// set-up time; the series they hand out are updated on the hot path without going through the
// registry. Single-threaded by design (the loop's thread): no locks anywhere.
#pragma once

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "metrics/callback_metric.hpp"
#include "metrics/counter.hpp"
#include "metrics/family.hpp"
#include "metrics/gauge.hpp"
#include "metrics/histogram.hpp"
#include "metrics/snapshot.hpp"

namespace chatd::metrics {

class registry {
 public:
  registry() = default;
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;
  // Moving keeps every family and series reference valid (they live on the heap).
  registry(registry&&) noexcept = default;
  registry& operator=(registry&&) noexcept = default;

  // Each returns the new family. Throws std::invalid_argument if a name is invalid, a counter's
  // name does not end in _total, or any sample name it would write is already taken.
  family<counter>& add_counter(std::string name, std::string help,
                               std::vector<std::string> label_names = {}) {
    return add_family<counter>(std::move(name), std::move(help), std::move(label_names));
  }
  family<gauge>& add_gauge(std::string name, std::string help,
                           std::vector<std::string> label_names = {}) {
    return add_family<gauge>(std::move(name), std::move(help), std::move(label_names));
  }
  // Series are added with their bucket bounds: add({}, default_buckets()).
  family<histogram>& add_histogram(std::string name, std::string help,
                                   std::vector<std::string> label_names = {}) {
    return add_family<histogram>(std::move(name), std::move(help), std::move(label_names));
  }
  // Series are added with their function: add({}, [&] { return double(rooms.size()); }).
  family<callback_counter>& add_callback_counter(std::string name, std::string help,
                                                 std::vector<std::string> label_names = {}) {
    return add_family<callback_counter>(std::move(name), std::move(help), std::move(label_names));
  }
  family<callback_gauge>& add_callback_gauge(std::string name, std::string help,
                                             std::vector<std::string> label_names = {}) {
    return add_family<callback_gauge>(std::move(name), std::move(help), std::move(label_names));
  }

  template <class T>
  family<T>& add_family(std::string name, std::string help, std::vector<std::string> label_names) {
    claim_names(name, T::type, label_names);
    auto owned = std::make_unique<family<T>>(std::move(name), std::move(help),
                                             std::move(label_names));
    family<T>& added = *owned;
    families_.push_back(std::move(owned));
    return added;
  }

  std::size_t size() const noexcept { return families_.size(); }

  // Every family's current values, in registration order. Families without series are left
  // out (nothing to say yet). Callback series run here.
  std::vector<family_snapshot> collect() const;

 private:
  // Validates the family and reserves the sample names it will write.
  void claim_names(const std::string& name, metric_type type,
                   const std::vector<std::string>& label_names);

  std::vector<std::unique_ptr<family_base>> families_;
  std::set<std::string, std::less<>> taken_names_;
};

}  // namespace chatd::metrics
