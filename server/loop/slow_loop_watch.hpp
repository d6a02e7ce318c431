// Says when something held the event loop too long (log.slow_loop): a warning naming what it
// was, at most one line a second for each source (the rest are counted and summed up in the
// next line), and a count by source. A lag sample from the sweep catches what no task
// reported: a process that was not scheduled, or a stall in code that does not time itself.
#pragma once

#include <chrono>
#include <string>

#include <spdlog/spdlog.h>

#include "metrics/counter.hpp"
#include "server/logging/log_throttle.hpp"

namespace chatd {

class slow_loop_watch {
 public:
  using clock = std::chrono::steady_clock;

  slow_loop_watch(metrics::counter& slow_tasks, metrics::counter& slow_lags,
                  std::chrono::milliseconds threshold)
      : tasks_(slow_tasks), lags_(slow_lags), threshold_(threshold) {}

  void set_threshold(std::chrono::milliseconds threshold) noexcept { threshold_ = threshold; }
  bool is_slow(clock::duration took) const noexcept {
    return threshold_.count() > 0 && took >= threshold_;
  }

  // A task on the loop took `took`; `what()` names it (built only when it was slow), e.g.
  // "fan-out of room dev: 256 messages to 200 members".
  template <class What>
  void task(clock::duration took, What&& what) {
    if (!is_slow(took)) return;
    tasks_.inc();
    std::string name = what();
    if (took > slowest_) {
      slowest_ = took;
      slowest_name_ = name;
    }
    if (task_log_.allow(clock::now())) {
      spdlog::warn("event loop held for {} ms by {} (log.slow_loop {} ms; {} more not logged)",
                   to_ms(took), name, threshold_.count(), task_log_.suppressed());
    }
  }

  // The sweep's timer ran `late` after it was due.
  void lag(clock::duration late) {
    if (!is_slow(late)) {
      slowest_ = clock::duration::zero();
      return;
    }
    lags_.inc();
    if (lag_log_.allow(clock::now())) {
      const std::string cause =
          slowest_ > clock::duration::zero()
              ? "slowest task since the last sample: " + slowest_name_ + " (" +
                    std::to_string(to_ms(slowest_)) + " ms)"
              : "no slow task was seen: the process may not have been scheduled";
      spdlog::warn("event loop lag {} ms (log.slow_loop {} ms); {} ({} more not logged)",
                   to_ms(late), threshold_.count(), cause, lag_log_.suppressed());
    }
    slowest_ = clock::duration::zero();
  }

 private:
  static long long to_ms(clock::duration d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  }

  metrics::counter& tasks_;
  metrics::counter& lags_;
  std::chrono::milliseconds threshold_;
  log_throttle task_log_;  // one line a second for each source
  log_throttle lag_log_;
  clock::duration slowest_ = clock::duration::zero();  // since the last lag sample
  std::string slowest_name_;
};

}  // namespace chatd
