// The chat commands of a session: each runs to completion without waiting.
#include <algorithm>
#include <chrono>
#include <string>

#include <spdlog/spdlog.h>

#include "protocol/names.hpp"
#include "server/chat/room.hpp"
#include "server/daemon/server.hpp"
#include "server/chat/session.hpp"

namespace chatd {

namespace {

using protocol::command_kind;
using protocol::error_code;

protocol::timestamp_ms now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t");
  return s.substr(first, last - first + 1);
}

bool nick_less(const std::string& a, const std::string& b) {
  return protocol::fold_case(a) < protocol::fold_case(b);
}

std::vector<std::string> member_nicks(const room& r) {
  std::vector<std::string> nicks;
  nicks.reserve(r.members.size());
  for (const session* m : r.members) nicks.push_back(m->nick());
  std::sort(nicks.begin(), nicks.end(), nick_less);
  return nicks;
}

}  // namespace


void session::send_error(error_code code, std::string_view message) {
  server_.metrics().errors(code).inc();
  switch (code) {
    case error_code::line_too_long:
    case error_code::too_many_rooms:
    case error_code::server_rooms_full:
      server_.log_offence(id_, peer_, protocol::to_string(code));
      break;
    default:
      break;  // ordinary mistakes: counted, not logged
  }
  send(protocol::error_event{code, message});
}

// Before registration only these work; "/join" with no argument is still not-registered.
static bool allowed_before_registration(std::string_view line) {
  const auto end = line.find_first_of(" \t");
  const std::string name = protocol::fold_case(line.substr(0, end));
  return name == "/nick" || name == "/format" || name == "/help" || name == "/ping" ||
         name == "/quit";
}

void session::handle_parse_error(const protocol::parse_error& error, std::string_view line) {
  if (!registered() && error.code == error_code::bad_argument &&
      !allowed_before_registration(line)) {
    return send_error(error_code::not_registered, "pick a nickname first: /nick NAME");
  }
  send_error(error.code, error.message);
}

void session::handle_line(const protocol::command& cmd) {
  const bool nick_line = !registered() && cmd.kind == command_kind::text;
  server_.metrics().commands(nick_line ? command_kind::nick : cmd.kind).inc();
  if (!registered()) {
    switch (cmd.kind) {
      case command_kind::text:
        handle_nick(std::string(trim(cmd.text)));  // before registration a line is a nickname
        return;
      case command_kind::nick:
      case command_kind::format:
      case command_kind::help:
      case command_kind::ping:
      case command_kind::quit:
        break;
      default:
        send_error(error_code::not_registered, "pick a nickname first: /nick NAME");
        return;
    }
  }
  switch (cmd.kind) {
    case command_kind::text:
      if (current_ == nullptr) return send_error(error_code::no_room, "join a room first: /join ROOM");
      return handle_publish(current_, cmd.text, false);
    case command_kind::me:
      if (current_ == nullptr) return send_error(error_code::no_room, "join a room first: /join ROOM");
      return handle_publish(current_, cmd.text, true);
    case command_kind::say: {
      const auto canonical = protocol::normalize_room(cmd.arg);
      if (!canonical) return send_error(error_code::room_invalid, "invalid room name: " + cmd.arg);
      room* target = joined_room(*canonical);
      if (target == nullptr)
        return send_error(error_code::not_in_room, "you are not in " + *canonical);
      return handle_publish(target, cmd.text, false);
    }
    case command_kind::nick: return handle_nick(cmd.arg);
    case command_kind::join: return handle_join(cmd.arg, false);
    case command_kind::part: return handle_part(cmd.arg);
    case command_kind::msg: return handle_msg(cmd.arg, cmd.text);
    case command_kind::topic: return handle_topic(cmd.text);
    case command_kind::rooms: return handle_rooms();
    case command_kind::who: return handle_who(cmd.arg);
    case command_kind::format: return handle_format(cmd.arg);
    case command_kind::ping: return send(protocol::pong_reply{cmd.text});
    case command_kind::help: return send(protocol::ok_help_event{});
    case command_kind::quit: return close(disconnect_reason::quit, cmd.text);
  }
}

void session::handle_nick(const std::string& name) {
  const std::size_t max_len = server_.cfg().limits.nick_max;
  if (!protocol::is_valid_nick(name, max_len)) {
    return send_error(error_code::nick_invalid,
                      "a nickname is 1 to " + std::to_string(max_len) +
                          " letters, digits, _ or -, starting with a letter");
  }
  session* owner = server_.find_nick(name);
  if (owner != nullptr && owner != this)
    return send_error(error_code::nick_taken, name + " is already in use");

  const bool first = !registered();
  const std::string old = nick_;
  server_.claim_nick(*this, old, name);
  nick_ = name;
  send(protocol::ok_nick_event{nick_});
  if (first) {
    spdlog::info("conn {} registered peer={} nick={}", id_, peer_, nick_);
    const std::string& lobby = server_.cfg().rooms.default_room;
    if (!lobby.empty()) handle_join(lobby, true);
  } else if (old != nick_) {
    server_.notify_peers(*this, protocol::nick_event{old, nick_});
  }
}

room* session::joined_room(const std::string& canonical) const {
  for (room* r : rooms_)
    if (r->name() == canonical) return r;
  return nullptr;
}

void session::handle_join(const std::string& name, bool automatic) {
  const auto canonical = protocol::normalize_room(name);
  if (!canonical) return send_error(error_code::room_invalid, "invalid room name: " + name);
  if (room* already = joined_room(*canonical)) {
    current_ = already;
    const auto nicks = member_nicks(*already);
    return send(protocol::ok_join_event{already->name(), &nicks, already->topic,
                                        already->last_seq()});
  }
  const auto& limits = server_.cfg().limits;
  if (rooms_.size() >= limits.max_rooms_per_client) {
    return send_error(error_code::too_many_rooms,
                      "you are in " + std::to_string(rooms_.size()) + " rooms, the most allowed");
  }
  room* target = server_.find_room(*canonical);
  if (target == nullptr) {
    if (server_.room_count() >= limits.max_rooms)
      return send_error(error_code::server_rooms_full, "the server has no room for more rooms");
    target = server_.create_room(*canonical);
  }
  target->members.push_back(this);
  rooms_.push_back(target);
  current_ = target;

  if (automatic) {
    send(protocol::join_event{target->name(), nick_});
  } else {
    const auto nicks = member_nicks(*target);
    send(protocol::ok_join_event{target->name(), &nicks, target->topic, target->last_seq()});
  }
  for (const stored_message* m : target->recent_history(server_.cfg().rooms.history_replay)) {
    send(protocol::msg_event{target->name(), m->from, m->text, m->seq, m->ts, m->action, true});
  }
  server_.notify_room(*target, protocol::join_event{target->name(), nick_}, this);
}

void session::leave_room(room* r) {
  auto& members = r->members;
  members.erase(std::remove(members.begin(), members.end(), this), members.end());
  rooms_.erase(std::remove(rooms_.begin(), rooms_.end(), r), rooms_.end());
  if (current_ == r) current_ = rooms_.empty() ? nullptr : rooms_.back();
  if (members.empty()) server_.remove_room(r);
}

void session::handle_part(const std::string& name) {
  room* target = current_;
  if (!name.empty()) {
    const auto canonical = protocol::normalize_room(name);
    if (!canonical) return send_error(error_code::room_invalid, "invalid room name: " + name);
    target = joined_room(*canonical);
    if (target == nullptr)
      return send_error(error_code::not_in_room, "you are not in " + *canonical);
  }
  if (target == nullptr) return send_error(error_code::not_in_room, "you are in no room");

  const std::string room_name = target->name();
  server_.notify_room(*target, protocol::part_event{room_name, nick_}, this);
  leave_room(target);
  send(protocol::ok_part_event{room_name});
}

void session::handle_publish(room* target, const std::string& text, bool action) {
  server_.metrics().messages_received.inc();
  ++pending_publishes_;
  pending_room_ = target;
  target->publish(publish_request{id_, nick_, text, action, now_ms(), clock::now()});
}

void session::handle_msg(const std::string& to, const std::string& text) {
  session* target = server_.find_nick(to);
  if (target == nullptr) return send_error(error_code::no_such_nick, "no one is called " + to);
  target->send(protocol::pm_event{nick_, target->nick(), text, now_ms()});
  server_.metrics().private_messages.inc();
  send(protocol::ok_msg_event{target->nick()});
}

void session::handle_topic(const std::string& text) {
  if (current_ == nullptr) return send_error(error_code::no_room, "join a room first: /join ROOM");
  if (text.empty()) return send(protocol::ok_topic_event{current_->name(), current_->topic, false});
  current_->topic = text;
  send(protocol::ok_topic_event{current_->name(), current_->topic, true});
  server_.notify_room(*current_, protocol::topic_event{current_->name(), nick_, current_->topic},
                      this);
}

void session::handle_rooms() {
  const auto rooms = server_.list_rooms();
  send(protocol::rooms_reply{&rooms});
}

void session::handle_who(const std::string& name) {
  room* target = current_;
  if (!name.empty()) {
    const auto canonical = protocol::normalize_room(name);
    if (!canonical) return send_error(error_code::room_invalid, "invalid room name: " + name);
    target = server_.find_room(*canonical);
    if (target == nullptr) return send_error(error_code::no_such_room, "no room " + *canonical);
  }
  if (target == nullptr) return send_error(error_code::not_in_room, "you are in no room");
  const auto nicks = member_nicks(*target);
  send(protocol::who_reply{target->name(), &nicks});
}

void session::handle_format(const std::string& name) {
  format_ = name == "json" ? protocol::output_format::json : protocol::output_format::human;
  send(protocol::ok_format_event{format_});
}

}  // namespace chatd
