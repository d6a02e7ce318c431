// encode(…, json): one object per event, fields and order as docs/protocol.md lists them.
#include <string>
#include <string_view>
#include <vector>

#include "protocol/encoders.hpp"
#include "protocol/format.hpp"
#include "protocol/help_table.hpp"
#include "protocol/json_chat_lines.hpp"
#include "protocol/json_line.hpp"

namespace chatd::protocol {
namespace {

// The fields of the two lines written for every chat message, shared by both ways of writing.
json_line& msg_fields(json_line& j, const msg_event& e) {
  j.str("room", e.room)
      .str("from", e.from)
      .str("text", e.text)
      .number("seq", e.seq)
      .timestamp("ts", e.ts)
      .boolean("action", e.action);
  if (e.history) j.boolean("history", true);  // only on replayed messages
  return j;
}
json_line& ok_say_fields(json_line& j, const ok_say_event& e) {
  return j.str("cmd", "say").str("room", e.room).number("seq", e.seq);
}

// The line laid out in one pass (json_chat_lines.hpp) appended to `out`; false if it does not apply.
template <typename Event>
bool append_plain(std::string& out, const Event& e) {
  const std::size_t size = plain_json_size(e);
  if (size == 0) return false;
  const std::size_t start = out.size();
  out.resize(start + size);
  write_plain_json(out.data() + start, e);
  return true;
}

json_line ok(std::string_view cmd, std::size_t value_bytes) {
  json_line j("ok", cmd.size() + value_bytes);
  j.str("cmd", cmd);
  return j;
}

std::size_t total_size(const std::vector<std::string>& names) {
  std::size_t n = 0;
  for (const std::string& s : names) n += s.size() + 3;  // quotes and comma
  return n;
}

struct json_encoder {
  std::string operator()(const welcome_event& e) const {
    return json_line("welcome", e.version.size()).str("server", "chatd").str("version", e.version).take();
  }
  std::string operator()(const ok_event& e) const { return ok(e.cmd, 0).take(); }
  std::string operator()(const ok_join_event& e) const {
    static const std::vector<std::string> none;
    const auto& listed = e.presence ? *e.members : none;
    json_line j = ok("join", e.room.size() + total_size(listed) + e.topic.size() + e.epoch.size());
    j.str("room", e.room)
        .strings("members", listed)
        .str("topic", e.topic)
        .number("seq", e.seq)
        .str("epoch", e.epoch)
        .boolean("presence", e.presence);
    if (!e.presence) j.number("total", e.total);
    if (e.recovery != nullptr) {
      j.number("since", e.recovery->since)
          .number("replay", e.recovery->replay)
          .boolean("complete", e.recovery->complete());
    }
    return j.take();
  }
  std::string operator()(const ok_history_event& e) const {
    return ok("history", e.room.size() + e.epoch.size() + 40)
        .str("room", e.room)
        .number("seq", e.seq)
        .str("epoch", e.epoch)
        .number("replay", e.replay)
        .take();
  }
  // The ok before the replay said it all.
  std::string operator()(const recovered_event&) const { return {}; }
  std::string operator()(const ok_say_event& e) const {
    if (std::string out; append_plain(out, e)) return out;
    json_line j("ok", e.room.size());
    return ok_say_fields(j, e).take();
  }
  std::string operator()(const ok_msg_event& e) const {
    return ok("msg", e.to.size()).str("to", e.to).take();
  }
  std::string operator()(const ok_nick_event& e) const {
    return ok("nick", e.nick.size()).str("nick", e.nick).take();
  }
  std::string operator()(const ok_part_event& e) const {
    return ok("part", e.room.size()).str("room", e.room).take();
  }
  std::string operator()(const ok_topic_event& e) const {
    return ok("topic", e.room.size() + e.topic.size()).str("room", e.room).str("topic", e.topic).take();
  }
  std::string operator()(const ok_format_event& e) const {
    return ok("format", 0).str("format", to_string(e.format)).take();
  }
  std::string operator()(const ok_help_event&) const {
    std::size_t usages = 0;
    for (const help_entry& h : help_entries) usages += h.usage.size() + 3;
    std::vector<std::string_view> commands;
    commands.reserve(std::size(help_entries));
    for (const help_entry& h : help_entries) commands.push_back(h.usage);
    return ok("help", usages).strings("commands", commands).take();
  }
  std::string operator()(const msg_event& e) const {
    if (std::string out; append_plain(out, e)) return out;
    json_line j("msg", e.room.size() + e.from.size() + e.text.size());
    return msg_fields(j, e).take();
  }
  std::string operator()(const pm_event& e) const {
    return json_line("pm", e.from.size() + e.to.size() + e.text.size())
        .str("from", e.from)
        .str("to", e.to)
        .str("text", e.text)
        .timestamp("ts", e.ts)
        .take();
  }
  std::string operator()(const join_event& e) const { return room_nick("join", e.room, e.nick); }
  std::string operator()(const part_event& e) const { return room_nick("part", e.room, e.nick); }
  std::string operator()(const quit_event& e) const {
    return json_line("quit", e.nick.size() + e.reason.size())
        .str("nick", e.nick)
        .str("reason", e.reason)
        .take();
  }
  std::string operator()(const nick_event& e) const {
    return json_line("nick", e.old_nick.size() + e.new_nick.size())
        .str("old", e.old_nick)
        .str("new", e.new_nick)
        .take();
  }
  std::string operator()(const topic_event& e) const {
    return json_line("topic", e.room.size() + e.nick.size() + e.topic.size())
        .str("room", e.room)
        .str("nick", e.nick)
        .str("topic", e.topic)
        .take();
  }
  std::string operator()(const rooms_reply& e) const {
    std::size_t bytes = 0;
    for (const room_info& r : *e.rooms) bytes += r.name.size() + r.topic.size() + 60;
    return json_line("rooms", bytes).rooms("rooms", *e.rooms).number("total", e.total).take();
  }
  std::string operator()(const who_reply& e) const {
    return json_line("who", e.room.size() + total_size(*e.members))
        .str("room", e.room)
        .strings("members", *e.members)
        .number("total", e.total)
        .take();
  }
  std::string operator()(const pong_reply& e) const {
    return json_line("pong", e.token.size()).str("token", e.token).take();
  }
  std::string operator()(const error_event& e) const {
    return json_line("error", e.message.size())
        .str("code", to_string(e.code))
        .str("message", e.message)
        .take();
  }
  std::string operator()(const bye_event& e) const {
    return json_line("bye", e.reason.size()).str("reason", e.reason).take();
  }
  std::string operator()(const notice_event& e) const {
    return json_line("notice", e.code.size() + e.text.size())
        .str("code", e.code)
        .str("text", e.text)
        .take();
  }

 private:
  static std::string room_nick(std::string_view type, std::string_view room, std::string_view nick) {
    return json_line(type, room.size() + nick.size()).str("room", room).str("nick", nick).take();
  }
};

}  // namespace

std::string encode_json(const event& ev) { return std::visit(json_encoder{}, ev); }

void encode_json_into(std::string& out, const event& ev) {
  if (const auto* m = std::get_if<msg_event>(&ev)) {
    if (append_plain(out, *m)) return;
    json_line j(out, "msg");
    msg_fields(j, *m).finish();
  } else if (const auto* ok = std::get_if<ok_say_event>(&ev)) {
    if (append_plain(out, *ok)) return;
    json_line j(out, "ok");
    ok_say_fields(j, *ok).finish();
  } else {
    out += encode_json(ev);
  }
}

}  // namespace chatd::protocol
