// A metric family: one name, help text, type and set of label names, holding one series per
// distinct combination of label values. Shaped like prometheus-cpp's Family<T>.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "metrics/metric_type.hpp"
#include "metrics/snapshot.hpp"

namespace chatd::metrics {

// Label name -> value, as given to family::add: add({{"reason", "quit"}}).
using labels = std::map<std::string, std::string>;

// What the registry holds: everything but the series type.
class family_base {
 public:
  virtual ~family_base() = default;
  family_base(const family_base&) = delete;
  family_base& operator=(const family_base&) = delete;

  const std::string& name() const noexcept { return name_; }
  const std::string& help() const noexcept { return help_; }
  metric_type type() const noexcept { return type_; }
  const std::vector<std::string>& label_names() const noexcept { return label_names_; }

  // Copies every series' current value (callback series are evaluated now), in label-value order.
  virtual family_snapshot collect() const = 0;

 protected:
  family_base(std::string name, std::string help, metric_type type,
              std::vector<std::string> label_names)
      : name_(std::move(name)),
        help_(std::move(help)),
        type_(type),
        label_names_(std::move(label_names)) {}

  // The values of `given` in label-name order. Throws std::invalid_argument unless `given` names
  // exactly this family's labels.
  std::vector<std::string> label_values(const labels& given) const {
    if (given.size() != label_names_.size()) throw_label_mismatch();
    std::vector<std::string> values;
    values.reserve(label_names_.size());
    for (const std::string& label : label_names_) {
      const auto it = given.find(label);
      if (it == given.end()) throw_label_mismatch();
      values.push_back(it->second);
    }
    return values;
  }

  label_pairs pairs(const std::vector<std::string>& values) const {
    label_pairs out;
    out.reserve(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) out.push_back({label_names_[i], values[i]});
    return out;
  }

 private:
  [[noreturn]] void throw_label_mismatch() const {
    std::string expected;
    for (const std::string& label : label_names_) expected += (expected.empty() ? "" : ",") + label;
    throw std::invalid_argument("metric family '" + name_ + "' takes exactly the labels {" +
                                expected + "}");
  }

  std::string name_;
  std::string help_;
  metric_type type_;
  std::vector<std::string> label_names_;
};

// T is counter, gauge, histogram, callback_counter or callback_gauge.
template <class T>
class family final : public family_base {
 public:
  // Use registry::add_counter and friends; the registry checks the names.
  family(std::string name, std::string help, std::vector<std::string> label_names)
      : family_base(std::move(name), std::move(help), T::type, std::move(label_names)) {}

  // The series for `given` label values, created from `args` (bucket bounds for a histogram, a
  // function for a callback metric) on first use; a later call with the same values returns the
  // same series and ignores `args`. The reference stays valid for the registry's lifetime, so do
  // the look-up once at set-up and keep the reference for the hot path.
  // Throws std::invalid_argument if the label names do not match the family's.
  template <class... Args>
  T& add(const labels& given, Args&&... args) {
    auto values = label_values(given);
    const auto it = series_.find(values);
    if (it != series_.end()) return it->second;
    return series_.try_emplace(std::move(values), std::forward<Args>(args)...).first->second;
  }

  std::size_t size() const noexcept { return series_.size(); }

  family_snapshot collect() const override {
    family_snapshot out{name(), help(), type(), {}};
    out.series.reserve(series_.size());
    for (const auto& [values, series] : series_) {
      series_snapshot& s = out.series.emplace_back();
      s.labels = pairs(values);
      series.collect(s);
    }
    return out;
  }

 private:
  // std::map nodes never move, which is what makes add's references stable.
  std::map<std::vector<std::string>, T> series_;
};

}  // namespace chatd::metrics
