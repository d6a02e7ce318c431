#include "server/loop/slow_loop_watch.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <sstream>

#include <spdlog/sinks/ostream_sink.h>

using namespace std::chrono_literals;

namespace chatd {
namespace {

class SlowLoopWatch : public ::testing::Test {
 protected:
  SlowLoopWatch() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out_);
    sink->set_pattern("%l %v");
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("captured", sink));
  }
  ~SlowLoopWatch() override { spdlog::set_default_logger(previous_); }

  std::string log() { return out_.str(); }

  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream out_;
  metrics::counter tasks_, lags_;
};

TEST_F(SlowLoopWatch, ATaskUnderTheThresholdIsNeitherNamedNorCounted) {
  slow_loop_watch watch(tasks_, lags_, 100ms);
  bool named = false;
  watch.task(99ms, [&] {
    named = true;
    return std::string("quick");
  });
  EXPECT_FALSE(named) << "the name is only built for a slow task";
  EXPECT_EQ(tasks_.value(), 0);
  EXPECT_EQ(log(), "");
}

TEST_F(SlowLoopWatch, ASlowTaskIsLoggedWithItsNameAndCounted) {
  slow_loop_watch watch(tasks_, lags_, 100ms);
  watch.task(150ms, [] { return std::string("fan-out of room dev: 3 messages to 9 members"); });
  EXPECT_EQ(tasks_.value(), 1);
  EXPECT_EQ(log(),
            "warning event loop held for 150 ms by fan-out of room dev: 3 messages to 9 members "
            "(log.slow_loop 100 ms; 0 more not logged)\n");
}

TEST_F(SlowLoopWatch, ALagSampleNamesTheSlowestTaskSinceTheLastSample) {
  slow_loop_watch watch(tasks_, lags_, 100ms);
  watch.task(120ms, [] { return std::string("a reload"); });
  watch.task(300ms, [] { return std::string("a /rooms listing of 9000 rooms for conn 4"); });
  out_.str("");
  watch.lag(310ms);
  EXPECT_EQ(lags_.value(), 1);
  EXPECT_NE(log().find("event loop lag 310 ms (log.slow_loop 100 ms); slowest task since the "
                       "last sample: a /rooms listing of 9000 rooms for conn 4 (300 ms)"),
            std::string::npos)
      << log();
}

TEST_F(SlowLoopWatch, WarningsAreThrottledButEveryOneIsCounted) {
  slow_loop_watch watch(tasks_, lags_, 10ms);
  for (int i = 0; i < 5; ++i) watch.task(20ms, [] { return std::string("busy"); });
  EXPECT_EQ(tasks_.value(), 5);
  std::istringstream lines(log());
  int count = 0;
  for (std::string line; std::getline(lines, line);) ++count;
  EXPECT_EQ(count, 1) << log();
}

TEST_F(SlowLoopWatch, ZeroIsOff) {
  slow_loop_watch watch(tasks_, lags_, 0ms);
  watch.task(10s, [] { return std::string("anything"); });
  watch.lag(10s);
  EXPECT_EQ(tasks_.value(), 0);
  EXPECT_EQ(lags_.value(), 0);
  watch.set_threshold(1ms);
  watch.lag(2ms);
  EXPECT_EQ(lags_.value(), 1);
}

}  // namespace
}  // namespace chatd
