#include "server/chat/chat_client.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

#include <spdlog/spdlog.h>

#include "protocol/format.hpp"
#include "protocol/names.hpp"
#include "protocol/sanitize.hpp"
#include "server/chat/chat_engine.hpp"
#include "server/chat/directory.hpp"
#include "server/chat/encoded_event.hpp"
#include "server/chat/room.hpp"

namespace chatd {

namespace {

using protocol::command_kind;
using protocol::error_code;

// A publisher may have this many messages in one room's queue before its next command waits
// for their oks. It bounds what one client can park in a room, and still lets a burst of lines
// from one read go to the broadcaster as one batch.
constexpr std::uint32_t max_pipelined_publishes = 256;

constexpr steady_time read_on = steady_time::min();
constexpr steady_time until_woken = steady_time::max();

}  // namespace

chat_client::chat_client(directory& dir, std::shared_ptr<connection> conn, std::uint64_t id)
    : dir_(dir),
      conn_(std::move(conn)),
      id_(id),
      opened_(clock::now()),
      last_input_(opened_),
      bucket_(dir.cfg().limits.rate, static_cast<double>(dir.cfg().limits.burst), opened_),
      splitter_(dir.cfg().limits.max_line_bytes) {}

chat_client::~chat_client() {
  conn_->detach();
  assert(registry_refs.count() == 0 && "a client was freed while a registry points at it");
}

void chat_client::start() {
  dir_.add_client(shared_from_this());
  conn_->start(*this);
  send(protocol::welcome_event{CHATD_VERSION});
}

// ---------------------------------------------------------------------------------------------
// Output

void chat_client::send(const protocol::event& ev) {
  line_ptr line = encode_line(ev, format_);
  if (line.empty()) return;
  conn_->send(line);
}

void chat_client::publish_done(const protocol::ok_say_event& ok) {
  send(ok);
  publish_answered();
}

void chat_client::publishes_done(const line_ptr& oks, std::uint32_t count) {
  conn_->send(oks);
  publish_answered(count);
}

void chat_client::publish_failed(std::string_view why) {
  send_error(error_code::unavailable, why);
  publish_answered();
}

void chat_client::publish_answered(std::uint32_t count) {
  pending_publishes_ -= std::min(pending_publishes_, count);
  if (pending_publishes_ == 0) {
    pending_room_ = nullptr;
    conn_->wake_reader();
  }
}

// ---------------------------------------------------------------------------------------------
// Input

steady_time chat_client::on_input(std::string_view& input) {
  if (stopping_) {
    held_.reset();
    return read_on;
  }
  last_input_ = clock::now();
  last_input_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  if (held_) {
    if (const auto wait = try_handle(*held_)) return *wait;
    held_.reset();
  }
  pending_line line;
  while (!stopping_ && next_line(input, line)) {
    if (const auto wait = try_handle(line)) {
      held_ = std::make_unique<pending_line>(std::move(line));
      return *wait;
    }
  }
  return read_on;
}

// Takes the next non-empty line from `input` into `line`; false once input is used up.
bool chat_client::next_line(std::string_view& input, pending_line& line) {
  while (auto frame = splitter_.next(input)) {
    line.too_long = frame->kind == protocol::frame_kind::too_long;
    line.text = line.too_long ? std::string() : protocol::sanitize(frame->text);
    if (!line.too_long && line.text.empty()) continue;
    line.have_token = false;
    line.delayed = false;
    line.parsed.reset();
    return true;
  }
  return false;
}

// Called again after a wait, it goes on from where it stopped: the token is not taken twice,
// the line not parsed twice.
std::optional<steady_time> chat_client::try_handle(pending_line& line) {
  if (!line.have_token) {
    const auto now = last_input_;
    if (!bucket_.try_take(now)) {
      if (!line.delayed) {
        line.delayed = true;
        dir_.metrics().flood_delays.inc();
        dir_.log_offence(id_, peer(), "flood-delayed");
      }
      return now + bucket_.wait_time(now);
    }
    line.have_token = true;
  }
  if (!line.parsed) {
    line.parsed = line.too_long ? protocol::parse_result{protocol::parse_error{
                                      error_code::line_too_long,
                                      "line longer than " +
                                          std::to_string(splitter_.max_line_bytes()) +
                                          " bytes; discarded"}}
                                : protocol::parse_command(std::move(line.text));
  }
  auto* cmd = std::get_if<protocol::command>(&*line.parsed);
  // Replies, errors included, keep the order of the lines that caused them.
  if (waiting_for_engine_ || (cmd == nullptr ? pending_publishes_ > 0 : needs_to_wait_before(*cmd)))
    return until_woken;
  if (cmd == nullptr) {
    handle_parse_error(std::get<protocol::parse_error>(*line.parsed));
  } else {
    handle_command(*cmd);
  }
  return std::nullopt;
}

bool chat_client::needs_to_wait_before(const protocol::command& cmd) const {
  if (pending_publishes_ == 0) return false;
  if (pending_publishes_ >= max_pipelined_publishes) return true;
  room* target = nullptr;
  switch (cmd.kind) {
    case command_kind::text:
    case command_kind::me:
      target = current_;
      break;
    case command_kind::say:
      if (auto canonical = protocol::normalize_room(cmd.arg)) target = joined_room(*canonical);
      break;
    default:
      return true;
  }
  // Consecutive messages to one room keep their order in its queue without waiting.
  return target == nullptr || target != pending_room_;
}

// ---------------------------------------------------------------------------------------------
// Ending

void chat_client::stop(disconnect_reason reason, stop_mode mode, std::string_view detail) {
  const auto& limits = dir_.cfg().limits;
  if (!stopping_) {
    stopping_ = true;  // the held line, if any, may be what stops us: on_input drops it
    dir_.metrics().disconnects(reason).inc();
    if (reason == disconnect_reason::slow_consumer) dir_.metrics().slow_consumers.inc();
    const std::string why = detail.empty() ? std::string(to_string(reason)) : std::string(detail);
    spdlog::info("conn {} closed peer={} nick={} reason={}", id_, peer(),
                 nick_.empty() ? "-" : nick_, to_string(reason));
    if (registered()) {
      dir_.notify_peers(*this, protocol::quit_event{nick_, why}, peer_event::presence);
      if (presence_engine* cluster = dir_.presence()) cluster->quit(room_names(), nick_, why);
      while (!rooms_.empty()) leave_room(*rooms_.back());
      dir_.release_nick(nick_);
    }
    // The bye goes out even past the outbound bound: the queue was emptied if that was hit.
    if (sends_bye(reason) && mode == stop_mode::flush)
      conn_->send_last(make_line(protocol::encode(protocol::bye_event{why}, format_)));
  }
  // Flushing what is queued may take up to shutdown_grace, for every kind of stop.
  conn_->stop(mode, clock::now() + std::chrono::duration_cast<clock::duration>(
                                       limits.shutdown_grace));
}

void chat_client::on_transport_end(disconnect_reason reason, stop_mode mode) {
  stop(reason, mode);
}

void chat_client::on_finished() { dir_.forget_client(*this); }

void chat_client::apply_limits(const limits_config& limits) {
  splitter_.set_max_line_bytes(limits.max_line_bytes);
  bucket_.reconfigure(limits.rate, static_cast<double>(limits.burst));
}

void chat_client::on_tick(clock::time_point now) {
  conn_->on_tick(now);
  if (stopping_) return;
  const auto& limits = dir_.cfg().limits;
  if (!registered() && now - opened_ >= limits.register_timeout) {
    stop(disconnect_reason::register_timeout, stop_mode::flush);
  } else if (limits.idle_timeout.count() > 0 && now - last_input_ >= limits.idle_timeout) {
    stop(disconnect_reason::idle_timeout, stop_mode::flush);
  }
}

}  // namespace chatd
