#include "metrics/metric_names.hpp"

#include <algorithm>
#include <stdexcept>

namespace chatd::metrics {

namespace {

bool is_letter_or_underscore(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

[[noreturn]] void reject(std::string_view family, std::string_view problem) {
  throw std::invalid_argument("metric family '" + std::string(family) + "': " +
                              std::string(problem));
}

}  // namespace

bool is_valid_metric_name(std::string_view name) noexcept {
  if (name.empty()) return false;
  if (!is_letter_or_underscore(name[0]) && name[0] != ':') return false;
  return std::all_of(name.begin() + 1, name.end(), [](char c) {
    return is_letter_or_underscore(c) || is_digit(c) || c == ':';
  });
}

bool is_valid_label_name(std::string_view name) noexcept {
  if (name.empty() || !is_letter_or_underscore(name[0]) || name.starts_with("__")) return false;
  return std::all_of(name.begin() + 1, name.end(),
                     [](char c) { return is_letter_or_underscore(c) || is_digit(c); });
}

void check_family_names(std::string_view name, metric_type type,
                        const std::vector<std::string>& label_names) {
  if (!is_valid_metric_name(name)) reject(name, "invalid metric name");
  if (type == metric_type::counter && !name.ends_with("_total"))
    reject(name, "a counter's name must end in _total");
  for (std::size_t i = 0; i < label_names.size(); ++i) {
    const std::string& label = label_names[i];
    if (!is_valid_label_name(label)) reject(name, "invalid label name '" + label + "'");
    if (type == metric_type::histogram && label == "le")
      reject(name, "'le' is reserved for histogram buckets");
    if (std::find(label_names.begin(), label_names.begin() + static_cast<std::ptrdiff_t>(i),
                  label) != label_names.begin() + static_cast<std::ptrdiff_t>(i))
      reject(name, "label '" + label + "' given twice");
  }
}

std::vector<std::string> exposed_names(std::string_view name, metric_type type) {
  std::vector<std::string> names{std::string(name)};
  if (type == metric_type::histogram) {
    for (const char* suffix : {"_bucket", "_sum", "_count"})
      names.push_back(std::string(name) + suffix);
  }
  return names;
}

}  // namespace chatd::metrics
