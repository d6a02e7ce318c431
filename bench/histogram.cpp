#include "histogram.hpp"

#include <cmath>

namespace chatbench {

histogram::histogram() : counts_(sub_count + max_shift * (sub_count / 2), 0) {}

std::uint64_t histogram::lower_bound_of(std::size_t index) {
  if (index < sub_count) return index;
  const std::size_t octave = (index - sub_count) / (sub_count / 2);  // shift - 1
  const std::size_t sub = (index - sub_count) % (sub_count / 2) + sub_count / 2;
  return static_cast<std::uint64_t>(sub) << (octave + 1);
}

std::uint64_t histogram::width_of(std::size_t index) {
  if (index < sub_count) return 1;
  const std::size_t octave = (index - sub_count) / (sub_count / 2);
  return std::uint64_t{1} << (octave + 1);
}

std::uint64_t histogram::quantile(double q) const {
  if (total_ == 0) return 0;
  if (q <= 0) return min();
  if (q >= 1) return max_;
  auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(total_)));
  if (rank == 0) rank = 1;
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const std::uint64_t mid = lower_bound_of(i) + width_of(i) / 2;
      if (mid > max_) return max_;
      if (mid < min_) return min_;
      return mid;
    }
  }
  return max_;
}

}  // namespace chatbench
