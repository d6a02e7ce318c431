// co_spawn for tasks whose failure must be logged and counted, never lost or fatal.
#pragma once

#include <exception>
#include <string>
#include <utility>

#include <asio/co_spawn.hpp>
#include <spdlog/spdlog.h>

namespace chatd {

// Runs `task` detached. An exception escaping it is logged once with `what` (e.g. "room dev")
// and handed to `on_error` (a callable taking no arguments): the loop and every other task go on.
template <class Executor, class Awaitable, class OnError>
void spawn_logged(const Executor& executor, Awaitable task, std::string what, OnError on_error) {
  asio::co_spawn(executor, std::move(task),
                 [what = std::move(what), on_error = std::move(on_error)](std::exception_ptr e) {
                   if (!e) return;
                   try {
                     std::rethrow_exception(e);
                   } catch (const std::exception& ex) {
                     spdlog::error("{} failed: {}", what, ex.what());
                   } catch (...) {
                     spdlog::error("{} failed with a non-standard exception", what);
                   }
                   on_error();
                 });
}

template <class Executor, class Awaitable>
void spawn_logged(const Executor& executor, Awaitable task, std::string what) {
  spawn_logged(executor, std::move(task), std::move(what), [] {});
}

}  // namespace chatd
