// The loop's own coroutine shape for per-connection tasks. asio::awaitable costs a co_spawn
// entry frame and two initiation frames per wait on top of the task's frame (about 1.2 KiB per
// idle connection, measured); a detached coroutine waiting on a plain completion handler costs
// its frame and the pending operation only.
#pragma once

#include <coroutine>
#include <exception>
#include <utility>

#include <asio/error_code.hpp>

namespace chatd {

// A coroutine that starts at once and frees its frame when it ends. It must not let an
// exception escape: its body catches and hands it to the guard (guard.hpp, task_failed).
struct detached_coroutine {
  struct promise_type {
    detached_coroutine get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }
  };
};

// The completion handler of an awaited operation: it resumes the coroutine with the
// operation's error code. If the loop drops it without calling it (the io_context is destroyed
// with the operation pending), it frees the coroutine's frame instead.
class resume_handler {
 public:
  resume_handler(std::coroutine_handle<> coroutine, asio::error_code* result) noexcept
      : coroutine_(coroutine), result_(result) {}
  resume_handler(resume_handler&& other) noexcept
      : coroutine_(std::exchange(other.coroutine_, nullptr)), result_(other.result_) {}
  resume_handler(const resume_handler&) = delete;
  resume_handler& operator=(const resume_handler&) = delete;
  resume_handler& operator=(resume_handler&&) = delete;
  ~resume_handler() {
    if (coroutine_) coroutine_.destroy();
  }

  void operator()(const asio::error_code& ec) {
    *result_ = ec;
    std::exchange(coroutine_, nullptr).resume();
  }

 private:
  std::coroutine_handle<> coroutine_;
  asio::error_code* result_;
};

// `co_await completion(start)` calls start(handler) to begin an asynchronous operation (an
// async_wait on a socket or timer) and resumes with its error code.
template <class Start>
class completion {
 public:
  explicit completion(Start start) : start_(std::move(start)) {}
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> coroutine) {
    start_(resume_handler(coroutine, &result_));
  }
  asio::error_code await_resume() const noexcept { return result_; }

 private:
  Start start_;
  asio::error_code result_;
};

}  // namespace chatd
