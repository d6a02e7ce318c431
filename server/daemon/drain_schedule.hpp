// When lame-duck draining closes each client: the k-th of n (k = 1 .. n) at k·period/n after
// the start, so the last goes when the period ends and a balancer sees the load leave evenly
// rather than all at once. Pure: takes times as values.
#pragma once

#include <chrono>
#include <cstddef>

namespace chatd {

template <class TimePoint, class Duration>
TimePoint drain_due(TimePoint start, Duration period, std::size_t k, std::size_t n) {
  if (n == 0) return start;
  // In the period's own ticks, widened so that k * period cannot overflow for any n we allow.
  const auto ticks = static_cast<long double>(period.count()) * static_cast<long double>(k) /
                     static_cast<long double>(n);
  return start + std::chrono::duration_cast<typename TimePoint::duration>(
                     std::chrono::duration<long double, typename Duration::period>(ticks));
}

}  // namespace chatd
