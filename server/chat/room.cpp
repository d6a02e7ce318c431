#include "server/chat/room.hpp"

#include <algorithm>
#include <utility>

#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>

#include "server/chat/encoded_event.hpp"
#include "server/daemon/server.hpp"
#include "server/chat/session.hpp"
#include "server/loop/spawn.hpp"

namespace chatd {

namespace {
// Messages fanned out per turn before the broadcaster yields, so one busy room cannot keep
// the loop from reading other sockets or running writers.
constexpr std::size_t max_batch = 256;
}  // namespace

room::room(server& owner, std::string name, std::size_t history_capacity)
    : server_(owner), name_(std::move(name)), history_capacity_(history_capacity) {}

void room::start(const asio::any_io_executor& executor) {
  wake_ = std::make_unique<asio::steady_timer>(executor);
  wake_->expires_at(asio::steady_timer::time_point::max());
  spawn_broadcaster(executor);
}

void room::spawn_broadcaster(const asio::any_io_executor& executor) {
  // Should fan-out ever throw (out of memory), the message at fault is already off the queue:
  // log it and carry on with a fresh broadcaster rather than leave the room silent.
  spawn_logged(executor, broadcast(shared_from_this()), "room " + name_ + " broadcaster",
               [self = shared_from_this(), executor] { self->spawn_broadcaster(executor); });
}

void room::stop() {
  stopping_ = true;
  if (sleeping_) wake_->cancel();
}

void room::publish(publish_request request) {
  queue_.push_back(std::move(request));
  if (sleeping_) {
    sleeping_ = false;
    wake_->cancel();
  }
}

asio::awaitable<void> room::broadcast([[maybe_unused]] std::shared_ptr<room> self) {
  for (;;) {
    if (queue_.empty()) {
      if (stopping_) break;
      sleeping_ = true;
      asio::error_code ignored;
      wake_->expires_at(asio::steady_timer::time_point::max());
      co_await wake_->async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      sleeping_ = false;
      continue;
    }
    for (std::size_t n = 0; n < max_batch && !queue_.empty(); ++n) {
      publish_request request = std::move(queue_.front());
      queue_.pop_front();
      fan_out(request);
    }
    if (!queue_.empty()) co_await asio::post(asio::use_awaitable);  // let others run
  }
}

void room::fan_out(publish_request& request) {
  const std::uint64_t seq = ++last_seq_;
  remember(request, seq);

  session* sender = server_.find_session(request.sender_id);
  if (sender != nullptr) sender->publish_done(protocol::ok_say_event{name_, seq});

  const protocol::event message = protocol::msg_event{
      name_, request.from, request.text, seq, request.ts, request.action, false};
  encoded_event lines(message);
  std::size_t delivered = 0;
  for (session* member : members) {
    if (member == sender) continue;
    member->deliver(lines.get(member->format()));
    ++delivered;
  }
  auto& m = server_.metrics();
  m.messages_delivered.inc(static_cast<double>(delivered));
  m.fanout_seconds.observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - request.arrived).count());
}

void room::remember(const publish_request& request, std::uint64_t seq) {
  if (history_capacity_ == 0) return;
  stored_message entry{request.from, request.text, seq, request.ts, request.action};
  if (history_.size() < history_capacity_) {
    history_.push_back(std::move(entry));
  } else {
    history_[history_next_] = std::move(entry);
    history_next_ = (history_next_ + 1) % history_capacity_;
  }
}

std::vector<const stored_message*> room::recent_history(std::size_t max) const {
  std::vector<const stored_message*> out;
  const std::size_t n = std::min(max, history_.size());
  out.reserve(n);
  // Oldest entry sits at history_next_ once the ring is full, at 0 before.
  const std::size_t oldest = history_.size() < history_capacity_ ? 0 : history_next_;
  for (std::size_t i = history_.size() - n; i < history_.size(); ++i)
    out.push_back(&history_[(oldest + i) % history_.size()]);
  return out;
}

void room::set_history_capacity(std::size_t capacity) {
  if (capacity == history_capacity_) return;
  std::vector<stored_message> kept;
  for (const stored_message* m : recent_history(capacity)) kept.push_back(*m);
  history_ = std::move(kept);
  history_capacity_ = capacity;
  history_next_ = 0;
}

}  // namespace chatd
