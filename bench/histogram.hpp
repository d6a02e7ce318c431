// Latency histogram: log-linear buckets (HDR style, under 0.4 % relative error), fixed memory,
// one increment per sample. Values are nanoseconds.
#pragma once

#include <cstdint>
#include <vector>

namespace chatbench {

class histogram {
 public:
  histogram();

  void record(std::uint64_t value) {
    counts_[index_of(value)]++;
    ++total_;
    sum_ += value;
    if (value < min_) min_ = value;
    if (value > max_) max_ = value;
  }

  std::uint64_t count() const { return total_; }
  std::uint64_t min() const { return total_ ? min_ : 0; }
  std::uint64_t max() const { return max_; }
  double mean() const { return total_ ? static_cast<double>(sum_) / total_ : 0.0; }
  // Value at quantile q (0..1): the midpoint of the bucket holding that rank, clamped to max.
  std::uint64_t quantile(double q) const;

 private:
  static constexpr int sub_bits = 8;                 // 256 linear, then 128 per power of two
  static constexpr std::uint64_t sub_count = 1u << sub_bits;
  static constexpr int max_shift = 40;               // beyond ~2^47 ns (39 h) values clamp

  static std::size_t index_of(std::uint64_t v) {
    if (v < sub_count) return static_cast<std::size_t>(v);
    const int msb = 63 - __builtin_clzll(v);
    int shift = msb - sub_bits + 1;
    if (shift > max_shift) {
      shift = max_shift;
      v = (sub_count << shift) - 1;
    }
    return static_cast<std::size_t>(sub_count + (shift - 1) * (sub_count / 2) +
                                    ((v >> shift) - sub_count / 2));
  }
  static std::uint64_t lower_bound_of(std::size_t index);
  static std::uint64_t width_of(std::size_t index);

  std::vector<std::uint64_t> counts_;
  std::uint64_t total_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
};

}  // namespace chatbench
