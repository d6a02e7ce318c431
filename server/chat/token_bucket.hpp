// Flood control: a client may send `burst` lines at once and `rate` per second after that.
#pragma once

#include <algorithm>
#include <chrono>

namespace chatd {

// Pure: the caller passes the time, so tests need no clock.
class token_bucket {
 public:
  using clock = std::chrono::steady_clock;

  token_bucket(double rate, double burst, clock::time_point now)
      : rate_(rate), burst_(burst), tokens_(burst), updated_(now) {}

  // Takes one token if there is one.
  bool try_take(clock::time_point now) {
    refill(now);
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }

  // How long until try_take can succeed (zero if it can now).
  clock::duration wait_time(clock::time_point now) {
    refill(now);
    if (tokens_ >= 1.0) return clock::duration::zero();
    const std::chrono::duration<double> seconds((1.0 - tokens_) / rate_);
    return std::chrono::ceil<clock::duration>(seconds);
  }

  // New limits (config reload) keep what was earned, capped by the new burst.
  void reconfigure(double rate, double burst) {
    rate_ = rate;
    burst_ = burst;
    tokens_ = std::min(tokens_, burst_);
  }

 private:
  void refill(clock::time_point now) {
    if (now <= updated_) return;
    const std::chrono::duration<double> elapsed = now - updated_;
    tokens_ = std::min(burst_, tokens_ + elapsed.count() * rate_);
    updated_ = now;
  }

  double rate_;
  double burst_;
  double tokens_;
  clock::time_point updated_;
};

}  // namespace chatd
