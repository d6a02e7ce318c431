// Keeps a repetitive warning (a flood of rejected connections, say) to one line per interval.
#pragma once

#include <chrono>
#include <cstdint>

namespace chatd {

class log_throttle {
 public:
  using clock = std::chrono::steady_clock;

  explicit log_throttle(clock::duration interval = std::chrono::seconds(1))
      : interval_(interval) {}

  // True if a line may be logged now. `suppressed()` then tells how many were skipped since
  // the previous line (to say "and N more").
  bool allow(clock::time_point now) {
    if (logged_once_ && now - last_ < interval_) {
      ++skipped_;
      return false;
    }
    reported_ = skipped_;
    skipped_ = 0;
    last_ = now;
    logged_once_ = true;
    return true;
  }

  std::uint64_t suppressed() const noexcept { return reported_; }

 private:
  clock::duration interval_;
  clock::time_point last_{};
  bool logged_once_ = false;
  std::uint64_t skipped_ = 0;
  std::uint64_t reported_ = 0;
};

}  // namespace chatd
