// The chat commands of a client: each runs to completion without waiting.
#include <algorithm>
#include <chrono>
#include <string>

#include <spdlog/spdlog.h>

#include "protocol/names.hpp"
#include "protocol/text.hpp"
#include "server/chat/chat_client.hpp"
#include "server/chat/chat_engine.hpp"
#include "server/chat/directory.hpp"
#include "server/chat/encoded_event.hpp"
#include "server/chat/recovery.hpp"
#include "server/chat/room.hpp"

namespace chatd {

namespace {

using protocol::command_kind;
using protocol::error_code;

protocol::timestamp_ms now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void chat_client::send_error(error_code code, std::string_view message) {
  dir_.metrics().errors(code).inc();
  switch (code) {
    case error_code::line_too_long:
    case error_code::too_many_rooms:
    case error_code::server_rooms_full:
      dir_.log_offence(id_, peer(), protocol::to_string(code));
      break;
    default:
      break;  // ordinary mistakes: counted, not logged
  }
  send(protocol::error_event{code, message});
}

void chat_client::handle_parse_error(const protocol::parse_error& error) {
  // Before registration a command with bad arguments is reported as such only if it is one
  // that works then: "/join" alone is still not-registered.
  if (!registered() && error.code == error_code::bad_argument &&
      !(error.command && protocol::allowed_before_registration(*error.command))) {
    return send_error(error_code::not_registered, "pick a nickname first: /nick NAME");
  }
  send_error(error.code, error.message);
}

void chat_client::handle_command(protocol::command& cmd) {
  const bool nick_line = !registered() && cmd.kind == command_kind::text;
  dir_.metrics().commands(nick_line ? command_kind::nick : cmd.kind).inc();
  if (!registered()) {
    if (cmd.kind == command_kind::text) return handle_nick(std::string(protocol::trim(cmd.text)));
    if (!protocol::allowed_before_registration(cmd.kind))
      return send_error(error_code::not_registered, "pick a nickname first: /nick NAME");
  }
  switch (cmd.kind) {
    case command_kind::text:
      if (current_ == nullptr) return send_error(error_code::no_room, "join a room first: /join ROOM");
      return handle_publish(current_, std::move(cmd.text), false);
    case command_kind::me:
      if (current_ == nullptr) return send_error(error_code::no_room, "join a room first: /join ROOM");
      return handle_publish(current_, std::move(cmd.text), true);
    case command_kind::say: {
      const auto canonical = protocol::normalize_room(cmd.arg);
      if (!canonical) return send_error(error_code::room_invalid, "invalid room name: " + cmd.arg);
      room* target = joined_room(*canonical);
      if (target == nullptr)
        return send_error(error_code::not_in_room, "you are not in " + *canonical);
      return handle_publish(target, std::move(cmd.text), false);
    }
    case command_kind::nick: return handle_nick(cmd.arg);
    case command_kind::join:
      if (cmd.since) return handle_join(cmd.arg, false, resume_point{*cmd.since, cmd.epoch});
      return handle_join(cmd.arg, false);
    case command_kind::history: return handle_history(cmd.arg, cmd.count);
    case command_kind::part: return handle_part(cmd.arg);
    case command_kind::msg: return handle_msg(cmd.arg, cmd.text);
    case command_kind::topic: return handle_topic(cmd.text);
    case command_kind::rooms: return handle_rooms(cmd.arg, cmd.count);
    case command_kind::who: return handle_who(cmd.arg, cmd.count);
    case command_kind::format: return handle_format(cmd.arg);
    case command_kind::ping: return send(protocol::pong_reply{cmd.text});
    case command_kind::help: return send(protocol::ok_help_event{});
    case command_kind::quit: return stop(disconnect_reason::quit, stop_mode::flush, cmd.text);
  }
}

void chat_client::handle_nick(const std::string& name) {
  const std::size_t max_len = dir_.cfg().limits.nick_max;
  if (!protocol::is_valid_nick(name, max_len)) {
    return send_error(error_code::nick_invalid,
                      "a nickname is 1 to " + std::to_string(max_len) +
                          " letters, digits, _ or -, starting with a letter");
  }
  chat_client* owner = dir_.find_nick(name);
  if (owner != nullptr && owner != this)
    return send_error(error_code::nick_taken, name + " is already in use");
  nick_engine* cluster = dir_.nicks_engine();
  if (cluster == nullptr || owner == this) return take_nick(name);

  // The cluster decides; until it has, this client's next lines wait (replies keep order).
  waiting_for_engine_ = true;
  std::string folded = protocol::fold_case(name);
  cluster->claim(folded, name, [self = weak_from_this(), name, folded, cluster](nick_claim result) {
    const auto client = self.lock();
    if (!client || client->stopping_) {
      if (result == nick_claim::won) cluster->release(folded);  // won for no one
      return;
    }
    client->waiting_for_engine_ = false;
    switch (result) {
      case nick_claim::won: client->take_nick(name); break;
      case nick_claim::taken:
        client->send_error(error_code::nick_taken, name + " is already in use");
        break;
      case nick_claim::unavailable:
        client->send_error(error_code::unavailable,
                           "the chat cluster cannot be asked about " + name + " now; try again");
        break;
    }
    client->conn_->wake_reader();
  });
}

void chat_client::take_nick(const std::string& name) {
  const bool first = !registered();
  const std::string old = nick_;
  dir_.claim_nick(*this, old, name);
  nick_ = name;
  send(protocol::ok_nick_event{nick_});
  if (first) {
    spdlog::info("conn {} registered peer={} nick={}", id_, peer(), nick_);
    const std::string& lobby = dir_.cfg().rooms.default_room;
    if (!lobby.empty()) handle_join(lobby, true);
  } else if (old != nick_) {
    dir_.notify_peers(*this, protocol::nick_event{old, nick_});
    if (presence_engine* cluster = dir_.presence()) cluster->renamed(room_names(), old, nick_);
  }
}

std::vector<std::string> chat_client::room_names() const {
  std::vector<std::string> names;
  names.reserve(rooms_.size());
  for (const room* r : rooms_) names.push_back(r->name());
  return names;
}

room* chat_client::joined_room(const std::string& canonical) const {
  for (room* r : rooms_)
    if (r->name() == canonical) return r;
  return nullptr;
}

room* chat_client::joined_or_current(const std::string& name, error_code none,
                                     std::string_view none_message) {
  if (name.empty()) {
    if (current_ == nullptr) send_error(none, none_message);
    return current_;
  }
  const auto canonical = protocol::normalize_room(name);
  if (!canonical) {
    send_error(error_code::room_invalid, "invalid room name: " + name);
    return nullptr;
  }
  room* target = joined_room(*canonical);
  if (target == nullptr) send_error(error_code::not_in_room, "you are not in " + *canonical);
  return target;
}

void chat_client::handle_join(const std::string& name, bool automatic,
                              std::optional<resume_point> resume_at) {
  const auto canonical = protocol::normalize_room(name);
  if (!canonical) return send_error(error_code::room_invalid, "invalid room name: " + name);
  const std::size_t presence_limit = dir_.cfg().rooms.presence_max_members;
  if (room* already = joined_room(*canonical)) {
    current_ = already;
    const bool presence = already->sends_presence(presence_limit);
    if (resume_at) return resume(*already, presence, presence_limit, *resume_at);
    return send_join_ok(*already, presence, presence_limit);
  }
  const auto& limits = dir_.cfg().limits;
  if (rooms_.size() >= limits.max_rooms_per_client) {
    return send_error(error_code::too_many_rooms,
                      "you are in " + std::to_string(rooms_.size()) + " rooms, the most allowed");
  }
  room* target = dir_.find_room(*canonical);
  if (target == nullptr) {
    if (dir_.room_count() >= limits.max_rooms) {
      // Kept empty rooms count: say so, or an operator sees a full server with few rooms in use.
      const std::size_t kept = dir_.kept_empty_count();
      return send_error(error_code::server_rooms_full,
                        kept == 0 ? std::string("the server has no room for more rooms")
                                  : "the server has no room for more rooms (" +
                                        std::to_string(kept) +
                                        " of them empty, kept for rooms.keep_empty)");
    }
    target = dir_.create_room(*canonical);
  } else {
    dir_.room_refilled(*target);  // if it was kept empty
  }
  target->add_member(*this);
  rooms_.push_back(target);
  current_ = target;
  if (presence_engine* cluster = dir_.presence()) cluster->joined(target->name(), nick_);
  // Decided once, with the joiner counted: what the ok says is what the others get.
  const bool presence = target->sends_presence(presence_limit);
  target->watch_presence(presence_limit);

  if (automatic) {
    send(protocol::join_event{target->name(), nick_});
  } else if (resume_at) {
    resume(*target, presence, presence_limit, *resume_at);
  } else {
    send_join_ok(*target, presence, presence_limit);
  }
  if (!resume_at) {  // the latest rooms.history_replay, as many as the replay budget holds
    const auto replay = encode_replay(*target, target->recent(dir_.cfg().rooms.history_replay), true);
    for (const line_ptr& line : replay.lines) deliver(line);
  }
  if (presence) {
    target->notify(protocol::join_event{target->name(), nick_}, this);
  } else {
    dir_.metrics().presence_suppressed(presence_kind::join).inc();
  }
}

void chat_client::send_join_ok(const room& r, bool presence, std::size_t presence_limit,
                               const protocol::recovery_info* recovery) {
  // Without presence the ok lists nobody: sorting 19 000 nicks for each of 19 000 joiners was
  // the whole cost of filling one room.
  const auto nicks = presence ? r.member_nicks() : std::vector<std::string>{};
  send(protocol::ok_join_event{r.name(), &nicks, r.topic(), r.last_seq(), presence,
                               presence_limit, r.member_count(), r.epoch(), recovery});
}

chat_client::replay_lines chat_client::encode_replay(
    const room& r, const std::vector<const stored_message*>& messages, bool keep_latest) const {
  // A replay is one burst into this client's queue, asked for by the client itself: it takes
  // at most half of limits.max_outbound_bytes (less what is queued already), so asking for
  // history can never make a client a slow consumer. What does not fit is left out, at the
  // end (since: ask again from the last) or at the start (/history: the latest matter most);
  // at least one message always goes, so asking again always gets further.
  const std::size_t half = dir_.cfg().limits.max_outbound_bytes / 2;
  const std::size_t queued = conn_->queued_bytes();
  std::size_t budget = queued < half ? half - queued : 0;
  replay_lines out;
  out.lines.reserve(messages.size());
  const std::size_t n = messages.size();
  for (std::size_t k = 0; k < n; ++k) {
    const stored_message* m = messages[keep_latest ? n - 1 - k : k];
    line_ptr line = encode_line(
        protocol::msg_event{r.name(), m->from, m->text, m->seq, m->ts, m->action, true}, format_);
    // The first always goes, however long: a message longer than the budget would otherwise
    // stop every replay before it, and the client could never get past it.
    if (line.size() > budget && !out.lines.empty()) {
      out.cut = true;
      break;
    }
    budget -= std::min(budget, line.size());
    out.lines.push_back(std::move(line));
  }
  if (keep_latest) std::reverse(out.lines.begin(), out.lines.end());
  if (!out.lines.empty()) {
    const std::size_t kept = out.lines.size();
    out.first = (keep_latest ? messages[n - kept] : messages[0])->seq;
    out.last = (keep_latest ? messages[n - 1] : messages[kept - 1])->seq;
  }
  return out;
}

void chat_client::resume(room& r, bool presence, std::size_t presence_limit, resume_point at) {
  const recovery_plan plan = plan_recovery(r.log(), at.since, at.epoch);
  const replay_lines replay = encode_replay(r, plan.messages, false);
  protocol::recovery_info info{at.since, replay.lines.size(),
                               replay.cut ? protocol::recovery_outcome::partial : plan.outcome,
                               replay.first, replay.last};
  dir_.metrics().recoveries(info.complete()).inc();
  send_join_ok(r, presence, presence_limit, &info);
  for (const line_ptr& line : replay.lines) deliver(line);
  send(protocol::recovered_event{r.name(), r.last_seq(), info});
}

void chat_client::handle_history(const std::string& name, std::optional<std::size_t> count) {
  room* target = joined_or_current(name, error_code::no_room, "join a room first: /join ROOM");
  if (target == nullptr) return;
  const auto& rooms = dir_.cfg().rooms;
  const std::size_t wanted = std::min(count.value_or(rooms.history_replay), rooms.history);
  const replay_lines replay = encode_replay(*target, target->recent(wanted), true);
  send(protocol::ok_history_event{target->name(), target->last_seq(), target->epoch(),
                                  replay.lines.size(), replay.first, replay.last});
  for (const line_ptr& line : replay.lines) deliver(line);
}

void chat_client::leave_room(room& r) {
  rooms_.erase(std::remove(rooms_.begin(), rooms_.end(), &r), rooms_.end());
  if (current_ == &r) current_ = rooms_.empty() ? nullptr : rooms_.back();
  if (r.remove_member(*this)) {
    dir_.room_emptied(r);
  } else {
    r.watch_presence(dir_.cfg().rooms.presence_max_members);
  }
}

void chat_client::handle_part(const std::string& name) {
  room* target = joined_or_current(name, error_code::not_in_room, "you are in no room");
  if (target == nullptr) return;

  const std::string room_name = target->name();
  if (target->sends_presence(dir_.cfg().rooms.presence_max_members)) {  // the leaver counted
    target->notify(protocol::part_event{room_name, nick_}, this);
  } else {
    dir_.metrics().presence_suppressed(presence_kind::part).inc();
  }
  leave_room(*target);
  if (presence_engine* cluster = dir_.presence()) cluster->parted(room_name, nick_);
  send(protocol::ok_part_event{room_name});
}

void chat_client::handle_publish(room* target, std::string&& text, bool action) {
  dir_.metrics().messages_received.inc();
  ++pending_publishes_;
  pending_room_ = target;
  target->publish(
      publish_request{this, id_, nick_, std::move(text), action, last_input_ms_, last_input_});
}

void chat_client::handle_msg(const std::string& to, const std::string& text) {
  chat_client* target = dir_.find_nick(to);
  if (target == nullptr) {
    // In a cluster, the holder may be on another node.
    presence_engine* cluster = dir_.presence();
    const auto holder =
        cluster ? cluster->send_private(protocol::pm_event{nick_, to, text, now_ms()})
                : std::nullopt;
    if (!holder) return send_error(error_code::no_such_nick, "no one is called " + to);
    dir_.metrics().private_messages.inc();
    return send(protocol::ok_msg_event{*holder});
  }
  target->send(protocol::pm_event{nick_, target->nick(), text, now_ms()});
  dir_.metrics().private_messages.inc();
  send(protocol::ok_msg_event{target->nick()});
}

void chat_client::handle_topic(const std::string& text) {
  if (current_ == nullptr) return send_error(error_code::no_room, "join a room first: /join ROOM");
  if (text.empty()) {
    return send(protocol::ok_topic_event{current_->name(), current_->topic(), false});
  }
  current_->set_topic(text);
  if (presence_engine* cluster = dir_.presence())
    cluster->topic_set(current_->name(), current_->topic(), nick_);
  send(protocol::ok_topic_event{current_->name(), current_->topic(), true});
  current_->notify(protocol::topic_event{current_->name(), nick_, current_->topic()}, this);
}

void chat_client::handle_rooms(const std::string& pattern, std::optional<std::size_t> limit) {
  const auto started = clock::now();
  const protocol::room_pattern matcher(pattern);
  const room_listing listing =
      dir_.list_rooms(matcher, limit.value_or(protocol::default_listing_limit));
  send(protocol::rooms_reply{&listing.rooms, listing.total, matcher.text()});
  dir_.slow_loop().task(clock::now() - started, [&] {
    return "a /rooms listing for conn " + std::to_string(id_) + ": " +
           std::to_string(listing.rooms.size()) + " shown of " + std::to_string(listing.total) +
           " matching among " + std::to_string(dir_.room_count()) + " rooms";
  });
}

void chat_client::handle_who(const std::string& name, std::optional<std::size_t> limit) {
  const auto started = clock::now();
  room* target = current_;
  if (!name.empty()) {
    const auto canonical = protocol::normalize_room(name);
    if (!canonical) return send_error(error_code::room_invalid, "invalid room name: " + name);
    target = dir_.find_room(*canonical);
    if (target == nullptr) return who_remote(*canonical, limit);
  }
  if (target == nullptr) return send_error(error_code::not_in_room, "you are in no room");
  const auto nicks = target->member_nicks(limit.value_or(protocol::default_listing_limit));
  send(protocol::who_reply{target->name(), &nicks, target->member_count()});
  dir_.slow_loop().task(clock::now() - started, [&] {
    return "a /who listing for conn " + std::to_string(id_) + ": " +
           std::to_string(nicks.size()) + " shown of the " +
           std::to_string(target->member_count()) + " members of " + target->name();
  });
}

void chat_client::who_remote(const std::string& name, std::optional<std::size_t> limit) {
  // A room with members only on other nodes (cluster mode).
  const presence_engine* cluster = dir_.presence();
  const remote_members* remote = cluster ? cluster->remote_of(name) : nullptr;
  if (remote == nullptr || remote->empty())
    return send_error(error_code::no_such_room, "no room " + name);
  std::vector<std::string> nicks;
  nicks.reserve(remote->size());
  for (const auto& [folded, member] : *remote) nicks.push_back(member.nick);
  std::sort(nicks.begin(), nicks.end(), [](const std::string& a, const std::string& b) {
    return protocol::fold_case(a) < protocol::fold_case(b);
  });
  nicks.resize(std::min(nicks.size(), limit.value_or(protocol::default_listing_limit)));
  send(protocol::who_reply{name, &nicks, remote->size()});
}

void chat_client::handle_format(const std::string& name) {
  format_ = name == "json" ? protocol::output_format::json : protocol::output_format::human;
  send(protocol::ok_format_event{format_});
}

}  // namespace chatd
