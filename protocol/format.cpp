#include "protocol/format.hpp"

#include <algorithm>
#include <initializer_list>
#include <nlohmann/json.hpp>

namespace chatd::protocol {
namespace {

// One entry per command, in the order /help shows them. JSON sends the usage strings; human
// output adds the description.
struct help_entry {
  std::string_view usage;
  std::string_view description;
};
constexpr help_entry help_entries[] = {
    {"/nick NAME", "choose or change your nickname"},
    {"/join ROOM", "join a room (created if new) and make it your current room"},
    {"/part [ROOM]", "leave a room (default: the current one)"},
    {"/say ROOM TEXT", "say something in a room without switching to it"},
    {"/me TEXT", "describe an action in the current room"},
    {"/msg NICK TEXT", "send a private message"},
    {"/topic [TEXT]", "show or set the current room's topic"},
    {"/rooms", "list the rooms"},
    {"/who [ROOM]", "list the members of a room (default: the current one)"},
    {"/format human|json", "switch this connection's output format"},
    {"/ping [TOKEN]", "check that the server answers"},
    {"/help", "show this list"},
    {"/quit [REASON]", "leave chatd"},
};

struct civil_time {
  std::int64_t year;
  unsigned month, day, hour, minute, second, millisecond;
};

// Days since 1970-01-01 to a proleptic Gregorian date: H. Hinnant's civil_from_days, in plain
// integer arithmetic so any int64 millisecond value works without touching the C library.
civil_time to_civil(timestamp_ms ts) {
  constexpr std::int64_t ms_per_day = 86'400'000;
  std::int64_t days = ts / ms_per_day;
  std::int64_t ms_of_day = ts % ms_per_day;
  if (ms_of_day < 0) {  // floor, not truncate, for times before the epoch
    ms_of_day += ms_per_day;
    --days;
  }
  const std::int64_t z = days + 719'468;
  const std::int64_t era = (z >= 0 ? z : z - 146'096) / 146'097;
  const std::int64_t doe = z - era * 146'097;                                 // [0, 146096]
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36'524 - doe / 146'096) / 365;  // [0, 399]
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);           // [0, 365]
  const std::int64_t mp = (5 * doy + 2) / 153;                                // [0, 11]
  const auto day = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
  const auto month = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
  const std::int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const auto ms = static_cast<unsigned>(ms_of_day);
  return {year, month, day, ms / 3'600'000, ms / 60'000 % 60, ms / 1000 % 60, ms % 1000};
}

// Appends `value` in decimal, zero-padded to at least `width` digits. By hand rather than printf:
// it runs for every message, and needs no locale and no format string.
void append_number(std::string& out, std::int64_t value, int width) {
  if (value < 0) out.push_back('-');
  auto magnitude = value < 0 ? 0 - static_cast<std::uint64_t>(value) : static_cast<std::uint64_t>(value);
  char digits[20];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + magnitude % 10);
    magnitude /= 10;
  } while (magnitude != 0);
  for (int pad = n; pad < width; ++pad) out.push_back('0');
  while (n > 0) out.push_back(digits[--n]);
}

std::string hours_minutes(timestamp_ms ts) {
  const civil_time t = to_civil(ts);
  std::string out;
  append_number(out, t.hour, 2);
  out.push_back(':');
  append_number(out, t.minute, 2);
  return out;
}

// ---- JSON --------------------------------------------------------------------------------------

using ordered_json = nlohmann::ordered_json;

std::string str(std::string_view s) { return std::string(s); }

ordered_json object(std::string_view type) {
  ordered_json j = ordered_json::object();
  j["type"] = str(type);
  return j;
}

ordered_json ok(std::string_view cmd) {
  ordered_json j = object("ok");
  j["cmd"] = str(cmd);
  return j;
}

// Input is valid UTF-8 by the time it gets here; `replace` only guards against a caller's slip
// (nlohmann would otherwise throw in the middle of a fan-out).
std::string line(const ordered_json& j) {
  std::string out = j.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
  out += "\r\n";
  return out;
}

struct json_encoder {
  std::string operator()(const welcome_event& e) const {
    ordered_json j = object("welcome");
    j["server"] = "chatd";
    j["version"] = str(e.version);
    return line(j);
  }
  std::string operator()(const ok_event& e) const { return line(ok(e.cmd)); }
  std::string operator()(const ok_join_event& e) const {
    ordered_json j = ok("join");
    j["room"] = str(e.room);
    j["members"] = *e.members;
    j["topic"] = str(e.topic);
    j["seq"] = e.seq;
    return line(j);
  }
  std::string operator()(const ok_say_event& e) const {
    ordered_json j = ok("say");
    j["room"] = str(e.room);
    j["seq"] = e.seq;
    return line(j);
  }
  std::string operator()(const ok_msg_event& e) const {
    ordered_json j = ok("msg");
    j["to"] = str(e.to);
    return line(j);
  }
  std::string operator()(const ok_nick_event& e) const {
    ordered_json j = ok("nick");
    j["nick"] = str(e.nick);
    return line(j);
  }
  std::string operator()(const ok_part_event& e) const {
    ordered_json j = ok("part");
    j["room"] = str(e.room);
    return line(j);
  }
  std::string operator()(const ok_topic_event& e) const {
    ordered_json j = ok("topic");
    j["room"] = str(e.room);
    j["topic"] = str(e.topic);
    return line(j);
  }
  std::string operator()(const ok_format_event& e) const {
    ordered_json j = ok("format");
    j["format"] = str(to_string(e.format));
    return line(j);
  }
  std::string operator()(const ok_help_event&) const {
    ordered_json j = ok("help");
    ordered_json& commands = j["commands"] = ordered_json::array();
    for (const help_entry& h : help_entries) commands.push_back(str(h.usage));
    return line(j);
  }
  std::string operator()(const msg_event& e) const {
    ordered_json j = object("msg");
    j["room"] = str(e.room);
    j["from"] = str(e.from);
    j["text"] = str(e.text);
    j["seq"] = e.seq;
    j["ts"] = format_iso8601(e.ts);
    j["action"] = e.action;
    if (e.history) j["history"] = true;  // only on replayed messages
    return line(j);
  }
  std::string operator()(const pm_event& e) const {
    ordered_json j = object("pm");
    j["from"] = str(e.from);
    j["to"] = str(e.to);
    j["text"] = str(e.text);
    j["ts"] = format_iso8601(e.ts);
    return line(j);
  }
  std::string operator()(const join_event& e) const { return room_nick("join", e.room, e.nick); }
  std::string operator()(const part_event& e) const { return room_nick("part", e.room, e.nick); }
  std::string operator()(const quit_event& e) const {
    ordered_json j = object("quit");
    j["nick"] = str(e.nick);
    j["reason"] = str(e.reason);
    return line(j);
  }
  std::string operator()(const nick_event& e) const {
    ordered_json j = object("nick");
    j["old"] = str(e.old_nick);
    j["new"] = str(e.new_nick);
    return line(j);
  }
  std::string operator()(const topic_event& e) const {
    ordered_json j = object("topic");
    j["room"] = str(e.room);
    j["nick"] = str(e.nick);
    j["topic"] = str(e.topic);
    return line(j);
  }
  std::string operator()(const rooms_reply& e) const {
    ordered_json j = object("rooms");
    ordered_json& rooms = j["rooms"] = ordered_json::array();
    for (const room_info& r : *e.rooms) {
      ordered_json room = ordered_json::object();
      room["name"] = r.name;
      room["members"] = r.members;
      room["topic"] = r.topic;
      rooms.push_back(std::move(room));
    }
    return line(j);
  }
  std::string operator()(const who_reply& e) const {
    ordered_json j = object("who");
    j["room"] = str(e.room);
    j["members"] = *e.members;
    return line(j);
  }
  std::string operator()(const pong_reply& e) const {
    ordered_json j = object("pong");
    j["token"] = str(e.token);
    return line(j);
  }
  std::string operator()(const error_event& e) const {
    ordered_json j = object("error");
    j["code"] = str(to_string(e.code));
    j["message"] = str(e.message);
    return line(j);
  }
  std::string operator()(const bye_event& e) const {
    ordered_json j = object("bye");
    j["reason"] = str(e.reason);
    return line(j);
  }

 private:
  static std::string room_nick(std::string_view type, std::string_view room, std::string_view nick) {
    ordered_json j = object(type);
    j["room"] = str(room);
    j["nick"] = str(nick);
    return line(j);
  }
};

// ---- Human -------------------------------------------------------------------------------------

// Builds CRLF-terminated lines. Fields arrive sanitised; a control byte that slipped through is
// still shown as a space so it can never break the line framing or reach the terminal.
class human_text {
 public:
  human_text& line(std::initializer_list<std::string_view> parts) {
    for (std::string_view part : parts) {
      for (char c : part) {
        const bool control = (static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7F;
        out_.push_back(control ? ' ' : c);
      }
    }
    out_ += "\r\n";
    return *this;
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

std::string one_line(std::initializer_list<std::string_view> parts) {
  return human_text().line(parts).take();
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

std::string count_of(std::size_t n, std::string_view singular, std::string_view plural) {
  return std::to_string(n) + " " + std::string(n == 1 ? singular : plural);
}

struct human_encoder {
  std::string operator()(const welcome_event& e) const {
    return human_text()
        .line({"* Welcome to chatd ", e.version, "."})
        .line({"* Pick a nickname: type it and press Enter (letters, digits, _ and -; /help for "
               "commands)."})
        .take();
  }
  std::string operator()(const ok_event& e) const { return one_line({"* ok: ", e.cmd}); }
  std::string operator()(const ok_join_event& e) const {
    human_text out;
    out.line({"* You joined [", e.room, "] (", count_of(e.members->size(), "member", "members"),
              ": ", join_names(*e.members), ")."});
    if (!e.topic.empty()) out.line({"* Topic: ", e.topic});
    return out.take();
  }
  // The sender already sees what it typed; an echo would only repeat it.
  std::string operator()(const ok_say_event&) const { return {}; }
  std::string operator()(const ok_msg_event&) const { return {}; }
  std::string operator()(const ok_nick_event& e) const {
    return one_line({"* You are now known as ", e.nick, "."});
  }
  std::string operator()(const ok_part_event& e) const {
    return one_line({"* You left [", e.room, "]."});
  }
  std::string operator()(const ok_topic_event& e) const {
    if (e.changed && e.topic.empty()) return one_line({"* Topic of [", e.room, "] cleared."});
    if (e.changed) return one_line({"* Topic of [", e.room, "] set to: ", e.topic});
    if (e.topic.empty()) return one_line({"* [", e.room, "] has no topic."});
    return one_line({"* Topic of [", e.room, "]: ", e.topic});
  }
  std::string operator()(const ok_format_event& e) const {
    return one_line({"* Output format: ", to_string(e.format)});
  }
  std::string operator()(const ok_help_event&) const {
    human_text out;
    out.line({"* Commands:"});
    for (const help_entry& h : help_entries) {
      std::string usage(h.usage);
      usage.resize(std::max<std::size_t>(usage.size(), 20), ' ');  // align the descriptions
      out.line({"*   ", usage, " ", h.description});
    }
    out.line({"* Any other line is said in your current room (start it with // to say \"/...\")."});
    return out.take();
  }
  std::string operator()(const msg_event& e) const {
    const std::string time = e.history ? hours_minutes(e.ts) + " " : std::string();
    if (e.action) return one_line({"[", e.room, "] ", time, "* ", e.from, " ", e.text});
    return one_line({"[", e.room, "] ", time, e.from, ": ", e.text});
  }
  std::string operator()(const pm_event& e) const {
    return one_line({"[pm] ", e.from, ": ", e.text});
  }
  std::string operator()(const join_event& e) const {
    return one_line({"* ", e.nick, " joined [", e.room, "]"});
  }
  std::string operator()(const part_event& e) const {
    return one_line({"* ", e.nick, " left [", e.room, "]"});
  }
  std::string operator()(const quit_event& e) const {
    if (e.reason.empty()) return one_line({"* ", e.nick, " quit"});
    return one_line({"* ", e.nick, " quit (", e.reason, ")"});
  }
  std::string operator()(const nick_event& e) const {
    return one_line({"* ", e.old_nick, " is now known as ", e.new_nick});
  }
  std::string operator()(const topic_event& e) const {
    if (e.topic.empty()) return one_line({"* ", e.nick, " cleared the topic of [", e.room, "]"});
    return one_line({"* ", e.nick, " set the topic of [", e.room, "] to: ", e.topic});
  }
  std::string operator()(const rooms_reply& e) const {
    if (e.rooms->empty()) return one_line({"* No rooms."});
    human_text out;
    out.line({"* Rooms:"});
    for (const room_info& r : *e.rooms) {
      const std::string members = count_of(r.members, "member", "members");
      if (r.topic.empty()) {
        out.line({"*   [", r.name, "] (", members, ")"});
      } else {
        out.line({"*   [", r.name, "] (", members, ") ", r.topic});
      }
    }
    return out.take();
  }
  std::string operator()(const who_reply& e) const {
    return one_line({"* Members of [", e.room, "] (", std::to_string(e.members->size()),
                     "): ", join_names(*e.members)});
  }
  std::string operator()(const pong_reply& e) const {
    if (e.token.empty()) return one_line({"* pong"});
    return one_line({"* pong ", e.token});
  }
  std::string operator()(const error_event& e) const {
    return one_line({"! ", to_string(e.code), ": ", e.message});
  }
  std::string operator()(const bye_event& e) const {
    if (e.reason.empty()) return one_line({"* Bye."});
    return one_line({"* Bye (", e.reason, ")."});
  }
};

}  // namespace

std::string encode(const event& ev, output_format fmt) {
  if (fmt == output_format::json) return std::visit(json_encoder{}, ev);
  return std::visit(human_encoder{}, ev);
}

std::string format_iso8601(timestamp_ms ts) {
  const civil_time t = to_civil(ts);
  std::string out;
  out.reserve(24);
  append_number(out, t.year, 4);
  out.push_back('-');
  append_number(out, t.month, 2);
  out.push_back('-');
  append_number(out, t.day, 2);
  out.push_back('T');
  append_number(out, t.hour, 2);
  out.push_back(':');
  append_number(out, t.minute, 2);
  out.push_back(':');
  append_number(out, t.second, 2);
  out.push_back('.');
  append_number(out, t.millisecond, 3);
  out.push_back('Z');
  return out;
}

std::string_view to_string(output_format fmt) noexcept {
  return fmt == output_format::json ? "json" : "human";
}

}  // namespace chatd::protocol
