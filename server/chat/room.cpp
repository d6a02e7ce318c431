#include "server/chat/room.hpp"

#include <algorithm>
#include <utility>

#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "protocol/names.hpp"
#include "server/chat/chat_client.hpp"
#include "server/chat/chat_engine.hpp"
#include "server/chat/encoded_event.hpp"
#include "server/chat/message_run.hpp"
#include "server/chat/server_metrics.hpp"
#include "server/loop/guard.hpp"
#include "server/loop/slow_loop_watch.hpp"
#include "server/transport/write_pass.hpp"

namespace chatd {

namespace {
// Messages fanned out per turn before the broadcaster yields, so one busy room cannot keep
// the loop from reading other sockets or running writers.
constexpr std::size_t max_batch = 256;

// A batch that queued this much is written at once, before the turn goes on to other rooms:
// its lines are still in cache (write_pass::run_now). Smaller ones wait for the turn's pass,
// which writes a member of many rooms once for all of them.
constexpr std::size_t write_now_bytes = 32 * 1024;

// One for the loop's thread: a batch runs to its end without waiting, so rooms take turns with
// it, and its buffers keep their capacity from batch to batch.
message_run& current_run() {
  static thread_local message_run run;
  return run;
}
}  // namespace

room::room(std::string name, std::shared_ptr<room_log> log, server_metrics& metrics,
           slow_loop_watch& slow_loop, write_pass* writers)
    : name_(std::move(name)),
      log_(std::move(log)),
      metrics_(metrics),
      slow_loop_(slow_loop),
      writers_(writers) {}

void room::start(const asio::any_io_executor& executor) {
  wake_ = std::make_unique<asio::steady_timer>(executor);
  wake_->expires_at(asio::steady_timer::time_point::max());
  spawn_broadcaster(executor);
}

void room::spawn_broadcaster(const asio::any_io_executor& executor) {
  // Should fan-out ever throw (out of memory), the message at fault is already off the queue:
  // carry on with a fresh broadcaster rather than leave the room silent.
  spawn_guarded(executor, broadcast(shared_from_this()), "room " + name_ + " broadcaster",
                [self = shared_from_this(), executor] { self->spawn_broadcaster(executor); });
}

void room::stop() {
  stopping_ = true;
  if (sleeping_) wake_->cancel();
}

void room::add_member(chat_client& client) {
  members_.push_back(&client);
  client.registry_refs.hold();
}

bool room::remove_member(chat_client& client) {
  const auto it = std::find(members_.begin(), members_.end(), &client);
  if (it != members_.end()) {
    members_.erase(it);
    client.registry_refs.release();
  }
  return members_.empty();
}

std::size_t room::member_count() const noexcept {
  const remote_members* remote = presence_engine_ ? presence_engine_->remote_of(name_) : nullptr;
  return members_.size() + (remote ? remote->size() : 0);
}

std::vector<std::string> room::member_nicks(std::size_t limit) const {
  // Compares in place, as the folded nicks would compare, so the nicks that are not shown cost
  // no copy. Nicks are unique ignoring case: the order is total.
  const auto folded_less = [](const std::string* a, const std::string* b) {
    return std::lexicographical_compare(
        a->begin(), a->end(), b->begin(), b->end(), [](char x, char y) {
          return static_cast<unsigned char>(protocol::fold_char(x)) <
                 static_cast<unsigned char>(protocol::fold_char(y));
        });
  };
  std::vector<const std::string*> order;
  order.reserve(member_count());
  for (const chat_client* m : members_) order.push_back(&m->nick());
  if (const remote_members* remote = presence_engine_ ? presence_engine_->remote_of(name_) : nullptr)
    for (const auto& [folded, member] : *remote) order.push_back(&member.nick);
  if (order.size() > limit) {
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(limit),
                      order.end(), folded_less);
    order.resize(limit);
  } else {
    std::sort(order.begin(), order.end(), folded_less);
  }
  std::vector<std::string> nicks;
  nicks.reserve(order.size());
  for (const std::string* nick : order) nicks.push_back(*nick);
  return nicks;
}

void room::watch_presence(std::size_t limit) {
  const auto change = presence_.update(member_count(), limit, presence_watch::clock::now());
  if (!change || !change->logged) return;
  std::string more;
  if (change->suppressed > 0) {
    more = fmt::format("; {} more changes not logged", change->suppressed);
  }
  spdlog::info("room {} now has {} {}: presence {} (rooms.presence_max_members {}{})", name_,
               member_count(), member_count() == 1 ? "member" : "members",
               presence_.on() ? "on" : "off", limit, more);
}

void room::publish(publish_request request) {
  if (engine_ != nullptr) return engine_->publish(*this, std::move(request));
  queue_.push_back(std::move(request));
  if (sleeping_) {
    sleeping_ = false;
    wake_->cancel();
  }
}

void room::notify(const protocol::event& ev, const chat_client* except) {
  encoded_event lines(ev);
  const send_urgency urgency = lines.urgency();
  for (chat_client* member : members_)
    if (member != except) member->deliver(lines.get(member->format()), urgency);
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
    const auto started = std::chrono::steady_clock::now();
    std::size_t n = 0;
    std::size_t delivered = 0;
    message_run& run = current_run();
    run.start(members_);
    for (; n < max_batch && !queue_.empty(); ++n) {
      publish_request request = std::move(queue_.front());
      queue_.pop_front();
      if (run.ends_before(request.sender_id)) delivered += run.hand_out(members_);
      fan_out(request, run, started);
    }
    delivered += run.hand_out(members_);
    metrics_.messages_delivered.inc(static_cast<double>(delivered));
    if (writers_ != nullptr && run.bytes_handed_out() >= write_now_bytes) writers_->run_now();
    slow_loop_.task(std::chrono::steady_clock::now() - started, [&] {
      return "fan-out of room " + name_ + ": " + std::to_string(n) + " messages to " +
             std::to_string(members_.size()) + " members";
    });
    if (!queue_.empty()) co_await asio::post(asio::use_awaitable);  // let others run
  }
}

void room::fan_out(publish_request& request, message_run& run,
                   std::chrono::steady_clock::time_point batch_start) {
  const stored_message& stored = log_->append(stored_message{
      std::move(request.from), std::move(request.text), 0, request.ts, request.action});
  run.add(request.sender_id,
          protocol::msg_event{name_, stored.from, stored.text, stored.seq, stored.ts,
                              stored.action, false},
          protocol::ok_say_event{name_, stored.seq});
  // From the read that brought it to the start of its batch: one clock read per batch.
  metrics_.fanout_seconds.observe(
      std::chrono::duration<double>(batch_start - request.arrived).count());
}

std::size_t room::fan_out_stored(const stored_message& stored, std::uint64_t sender_id,
                                 const protocol::ok_say_event* ok) {
  const protocol::event message = protocol::msg_event{
      name_, stored.from, stored.text, stored.seq, stored.ts, stored.action, false};
  encoded_event lines(message);
  std::size_t delivered = 0;
  for (chat_client* member : members_) {
    if (member->id() == sender_id) {  // ids are never reused, and 0 is no one's
      if (ok != nullptr) member->publish_done(*ok);
      continue;
    }
    member->deliver(lines.get(member->format()));
    ++delivered;
  }
  metrics_.messages_delivered.inc(static_cast<double>(delivered));
  return delivered;
}

}  // namespace chatd
