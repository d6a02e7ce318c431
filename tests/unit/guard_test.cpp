// spawn_guarded and guarded: an exception escaping one task is logged and handed to its failure
// path, and never reaches io_context::run or another task. In-process, on a real io_context.
#include <gtest/gtest.h>

#include <memory>
#include <sstream>
#include <stdexcept>

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "server/loop/guard.hpp"

using namespace std::chrono_literals;

namespace {

// Sends spdlog's default logger to a string for the life of this object.
class captured_log {
 public:
  captured_log() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    sink->set_pattern("%l %v");
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("captured", sink));
  }
  ~captured_log() { spdlog::set_default_logger(previous_); }
  captured_log(const captured_log&) = delete;
  captured_log& operator=(const captured_log&) = delete;

  std::string text() {
    spdlog::default_logger()->flush();
    return out_.str();
  }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream out_;
};

}  // namespace

TEST(Guard, ExceptionInOneCoroutineLeavesTheOtherAndTheLoopRunning) {
  captured_log log;
  asio::io_context io;
  int thrower_errors = 0;
  int worker_errors = 0;
  int worker_steps = 0;
  bool thrower_started = false;
  bool worker_finished = false;
  bool worker_saw_throw = false;

  // Named lambdas: the coroutines refer to their captures, so the closures must outlive them.
  auto thrower = [&]() -> asio::awaitable<void> {
    thrower_started = true;
    co_await asio::post(io, asio::use_awaitable);  // throw from inside the loop, mid-run
    throw std::runtime_error("boom");
  };
  auto worker = [&]() -> asio::awaitable<void> {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (int i = 0; i < 10; ++i) {
      timer.expires_after(1ms);
      co_await timer.async_wait(asio::use_awaitable);
      ++worker_steps;
      if (thrower_errors > 0) worker_saw_throw = true;
    }
    worker_finished = true;
  };

  chatd::spawn_guarded(io.get_executor(), worker(), "worker", [&] { ++worker_errors; });
  chatd::spawn_guarded(io.get_executor(), thrower(), "thrower", [&] { ++thrower_errors; });
  EXPECT_NO_THROW(io.run());

  EXPECT_TRUE(thrower_started);
  EXPECT_EQ(thrower_errors, 1);
  EXPECT_EQ(worker_errors, 0);
  EXPECT_EQ(worker_steps, 10);
  EXPECT_TRUE(worker_finished);
  EXPECT_TRUE(worker_saw_throw) << "the worker should have gone on after the throw";
  const std::string text = log.text();
  EXPECT_NE(text.find("error thrower failed: boom"), std::string::npos) << text;
  EXPECT_EQ(text.find("worker failed"), std::string::npos) << text;
}

TEST(Guard, NonStandardExceptionIsLoggedToo) {
  captured_log log;
  asio::io_context io;
  int errors = 0;
  auto thrower = [&]() -> asio::awaitable<void> {
    co_await asio::post(io, asio::use_awaitable);
    throw 42;
  };
  chatd::spawn_guarded(io.get_executor(), thrower(), "odd task", [&] { ++errors; });
  EXPECT_NO_THROW(io.run());
  EXPECT_EQ(errors, 1);
  const std::string text = log.text();
  EXPECT_NE(text.find("odd task failed with a non-standard exception"), std::string::npos) << text;
}

TEST(Guard, WithoutOnErrorTheFailureIsStillOnlyLogged) {
  captured_log log;
  asio::io_context io;
  bool other_ran = false;
  auto thrower = [&]() -> asio::awaitable<void> {
    co_await asio::post(io, asio::use_awaitable);
    throw std::logic_error("no handler");
  };
  auto other = [&]() -> asio::awaitable<void> {
    co_await asio::post(io, asio::use_awaitable);
    co_await asio::post(io, asio::use_awaitable);
    other_ran = true;
  };
  chatd::spawn_guarded(io.get_executor(), thrower(), "bare");
  chatd::spawn_guarded(io.get_executor(), other(), "other");
  EXPECT_NO_THROW(io.run());
  EXPECT_TRUE(other_ran);
  EXPECT_NE(log.text().find("bare failed: no handler"), std::string::npos) << log.text();
}

TEST(Guard, SuccessfulTaskDoesNotCallOnError) {
  captured_log log;
  asio::io_context io;
  int errors = 0;
  bool done = false;
  auto fine = [&]() -> asio::awaitable<void> {
    co_await asio::post(io, asio::use_awaitable);
    done = true;
  };
  chatd::spawn_guarded(io.get_executor(), fine(), "fine", [&] { ++errors; });
  io.run();
  EXPECT_TRUE(done);
  EXPECT_EQ(errors, 0);
  EXPECT_EQ(log.text(), "");
}

TEST(Guard, ACallbackThatThrowsIsLoggedAndTakesItsFailurePath) {
  captured_log log;
  int failures = 0;
  bool after = false;
  chatd::guarded([] { throw std::runtime_error("bad callback"); },
                 [] { return std::string("conn 3 writer"); }, [&] { ++failures; });
  chatd::guarded([&] { after = true; }, [] { return std::string("unused"); },
                 [&] { ++failures; });
  EXPECT_EQ(failures, 1);
  EXPECT_TRUE(after);
  EXPECT_NE(log.text().find("error conn 3 writer failed: bad callback"), std::string::npos)
      << log.text();
}
