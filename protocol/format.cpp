#include "protocol/format.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <vector>

#include "protocol/json_string.hpp"

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

// Appends "2026-11-22T01:56:35.123Z" (see format_iso8601).
void append_iso8601(std::string& out, timestamp_ms ts) {
  const civil_time t = to_civil(ts);
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

// Written by hand rather than through a JSON library: the msg line is encoded for every chat
// message, and a DOM per message costs far more than the bytes it produces. The output is byte for
// byte what nlohmann::ordered_json's dump(-1) with error_handler_t::replace gives for the same
// object (tests/unit/format_json_equivalence_test.cpp compares them): compact, keys in the
// documented order, strings escaped as json_escape::wire.

void append_unsigned(std::string& out, std::uint64_t value) {
  char digits[20];
  std::size_t n = sizeof digits;
  do {
    digits[--n] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  out.append(digits + n, sizeof digits - n);
}

// Longest fixed part of any one object (the msg event with every optional field and the largest
// numbers, is about 130 bytes); reserving this plus the values makes one allocation per line
// unless many characters need escaping.
constexpr std::size_t json_overhead = 160;

// One JSON object as a line: {"type":TYPE, fields in call order}\r\n. Keys are literals that need
// no escaping; values are escaped.
class json_line {
 public:
  // `value_bytes`: the lengths of the values to come (a hint for the one allocation).
  json_line(std::string_view type, std::size_t value_bytes) {
    out_.reserve(json_overhead + value_bytes);
    out_ += R"({"type":")";
    out_ += type;
    out_ += '"';
  }
  template <std::size_t N>
  json_line& str(const char (&key)[N], std::string_view value) {
    name(key);
    string(value);
    return *this;
  }
  template <std::size_t N>
  json_line& number(const char (&key)[N], std::uint64_t value) {
    name(key);
    append_unsigned(out_, value);
    return *this;
  }
  template <std::size_t N>
  json_line& boolean(const char (&key)[N], bool value) {
    name(key);
    out_ += value ? "true" : "false";
    return *this;
  }
  template <std::size_t N>
  json_line& timestamp(const char (&key)[N], timestamp_ms ts) {
    name(key);
    out_.push_back('"');
    append_iso8601(out_, ts);
    out_.push_back('"');
    return *this;
  }
  template <std::size_t N, typename Strings>
  json_line& strings(const char (&key)[N], const Strings& values) {
    name(key);
    out_.push_back('[');
    bool first = true;
    for (std::string_view v : values) {
      if (!first) out_.push_back(',');
      first = false;
      string(v);
    }
    out_.push_back(']');
    return *this;
  }
  template <std::size_t N>
  json_line& rooms(const char (&key)[N], const std::vector<room_info>& rooms) {
    name(key);
    out_.push_back('[');
    bool first = true;
    for (const room_info& r : rooms) {
      out_ += first ? R"({"name":)" : R"(,{"name":)";
      first = false;
      string(r.name);
      out_ += R"(,"members":)";
      append_unsigned(out_, r.members);
      out_ += R"(,"topic":)";
      string(r.topic);
      out_.push_back('}');
    }
    out_.push_back(']');
    return *this;
  }
  std::string take() {
    out_ += "}\r\n";
    return std::move(out_);
  }

 private:
  void string(std::string_view value) { append_json_string(out_, value, json_escape::wire); }

  // ,"key": in one append (N counts the literal's terminating NUL).
  template <std::size_t N>
  void name(const char (&key)[N]) {
    char text[N + 3];
    text[0] = ',';
    text[1] = '"';
    std::memcpy(text + 2, key, N - 1);
    text[N + 1] = '"';
    text[N + 2] = ':';
    out_.append(text, sizeof text);
  }

  std::string out_;
};

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
    return ok("join", e.room.size() + total_size(*e.members) + e.topic.size())
        .str("room", e.room)
        .strings("members", *e.members)
        .str("topic", e.topic)
        .number("seq", e.seq)
        .take();
  }
  std::string operator()(const ok_say_event& e) const {
    return ok("say", e.room.size()).str("room", e.room).number("seq", e.seq).take();
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
    json_line j("msg", e.room.size() + e.from.size() + e.text.size());
    j.str("room", e.room)
        .str("from", e.from)
        .str("text", e.text)
        .number("seq", e.seq)
        .timestamp("ts", e.ts)
        .boolean("action", e.action);
    if (e.history) j.boolean("history", true);  // only on replayed messages
    return j.take();
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
    return json_line("rooms", bytes).rooms("rooms", *e.rooms).take();
  }
  std::string operator()(const who_reply& e) const {
    return json_line("who", e.room.size() + total_size(*e.members))
        .str("room", e.room)
        .strings("members", *e.members)
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

 private:
  static std::string room_nick(std::string_view type, std::string_view room, std::string_view nick) {
    return json_line(type, room.size() + nick.size()).str("room", room).str("nick", nick).take();
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
  std::string out;
  out.reserve(24);
  append_iso8601(out, ts);
  return out;
}

std::string_view to_string(output_format fmt) noexcept {
  return fmt == output_format::json ? "json" : "human";
}

}  // namespace chatd::protocol
