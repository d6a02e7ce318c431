// The one exception guard of the event loop. Every callback and every coroutine entry runs
// under it, so an exception ends only the task it escaped from: it is logged once, handed to
// the task's own failure path, and never reaches io_context::run or another task.
#pragma once

#include <exception>
#include <string>
#include <string_view>
#include <utility>

#include <asio/co_spawn.hpp>
#include <spdlog/spdlog.h>

namespace chatd {

// Logs the exception `e` of the task `what` ("conn 7 reader", "room dev broadcaster").
inline void log_task_failure(std::string_view what, const std::exception_ptr& e) noexcept {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    spdlog::error("{} failed: {}", what, ex.what());
  } catch (...) {
    spdlog::error("{} failed with a non-standard exception", what);
  }
}

// What every guard does with an exception it caught: log it under `what()` (a callable, so
// the name is only built on failure) and take the task's failure path, `on_failure()`, which
// must not throw. Called from a catch block (also by detached coroutines, coroutine.hpp).
template <class What, class OnFailure>
void task_failed(What&& what, OnFailure&& on_failure) noexcept {
  log_task_failure(what(), std::current_exception());
  on_failure();
}

// Runs `fn()` for a callback under the guard.
template <class Fn, class What, class OnFailure>
void guarded(Fn&& fn, What&& what, OnFailure&& on_failure) noexcept {
  try {
    std::forward<Fn>(fn)();
  } catch (...) {
    task_failed(what, on_failure);
  }
}

// Runs the coroutine `task` detached, under the same guard.
template <class Executor, class Awaitable, class OnFailure>
void spawn_guarded(const Executor& executor, Awaitable task, std::string what,
                   OnFailure on_failure) {
  asio::co_spawn(executor, std::move(task),
                 [what = std::move(what), on_failure = std::move(on_failure)](
                     std::exception_ptr e) mutable {
                   if (!e) return;
                   log_task_failure(what, e);
                   on_failure();
                 });
}

template <class Executor, class Awaitable>
void spawn_guarded(const Executor& executor, Awaitable task, std::string what) {
  spawn_guarded(executor, std::move(task), std::move(what), [] {});
}

}  // namespace chatd
