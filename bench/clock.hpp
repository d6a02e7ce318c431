#pragma once

#include <chrono>
#include <cstdint>

namespace chatbench {

// Nanoseconds of the monotonic clock: what payloads carry and latencies are computed from.
inline std::uint64_t steady_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

}  // namespace chatbench

namespace chatbench {

// A duration in seconds (from the command line) as the timers' duration type.
inline std::chrono::nanoseconds seconds(double s) {
  return std::chrono::nanoseconds(static_cast<std::int64_t>(s * 1e9));
}

}  // namespace chatbench
