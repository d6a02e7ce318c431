#include "protocol_chatd.hpp"

#include <algorithm>
#include <cstring>

#include "json_fields.hpp"

namespace chatbench {

namespace {

constexpr std::string_view msg_prefix = R"({"type":"msg",)";
constexpr std::string_view room_key = R"("room":")";
constexpr std::string_view from_key = R"(","from":")";
constexpr std::string_view text_key = R"(","text":")";
constexpr std::string_view seq_key = R"(","seq":)";
constexpr std::string_view say_ok_prefix = R"({"type":"ok","cmd":"say",)";
constexpr std::string_view history_suffix = R"("history":true})";

// At q: `key` then a string without escapes; moves q to that string's closing quote.
bool skip_field(const char*& q, const char* end, std::string_view key) {
  if (static_cast<std::size_t>(end - q) <= key.size() || std::memcmp(q, key.data(), key.size()) != 0)
    return false;
  const char* v = q + key.size();
  while (v < end && *v != '"') {
    if (*v == '\\') return false;
    ++v;
  }
  if (v == end) return false;
  q = v;
  return true;
}

}  // namespace

chatd_protocol::chatd_protocol(identity id) : id_(std::move(id)), joins_pending_(id_.rooms.size()) {}

void chatd_protocol::hello(std::string& out) {
  out += "/format json\n/nick ";
  out += id_.nick;
  out += '\n';
  for (const auto& room : id_.rooms) {
    out += "/join ";
    out += room;
    out += '\n';
  }
}

void chatd_protocol::publish(std::string& out, std::size_t room_index, std::string_view payload) {
  if (id_.rooms.size() != 1) {
    out += "/say ";
    out += id_.rooms[room_index];
    out += ' ';
  }
  out += payload;
  out += '\n';
}

std::size_t chatd_protocol::parse(const char* data, std::size_t size, protocol_sink& sink) {
  std::size_t pos = 0;
  while (pos < size) {
    const char* p = data + pos;
    const char* end = data + size;
    if (static_cast<std::size_t>(end - p) > msg_prefix.size() &&
        std::memcmp(p, msg_prefix.data(), msg_prefix.size()) == 0) {
      const char* next = message(p, end, sink);
      if (next == nullptr) break;  // the line is not complete yet
      pos = static_cast<std::size_t>(next - data);
      continue;
    }
    const void* nl = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
    if (nl == nullptr) break;
    const auto stop = static_cast<std::size_t>(static_cast<const char*>(nl) - data);
    std::size_t len = stop - pos;
    if (len > 0 && data[pos + len - 1] == '\r') --len;
    line(std::string_view(p, len), sink);
    pos = stop + 1;
  }
  return pos;
}

// {"type":"msg","room":R,"from":N,"text":"T","seq":S,"ts":"...","action":B[,"history":true]}
// Walks the fixed field order instead of searching the line; returns the position after the
// line's LF, or nullptr if the line is incomplete.
const char* chatd_protocol::message(const char* p, const char* end, protocol_sink& sink) {
  const char* q = p + msg_prefix.size();
  std::string_view text;
  std::uint64_t seq = 0;
  bool ok = false;
  // "room":"R","from":"N","text":"
  if (skip_field(q, end, room_key) && skip_field(q, end, from_key) &&
      static_cast<std::size_t>(end - q) > text_key.size() &&
      std::memcmp(q, text_key.data(), text_key.size()) == 0) {
    q += text_key.size();
    const void* quote = std::memchr(q, '"', static_cast<std::size_t>(end - q));
    if (quote != nullptr) {
      const char* t_end = static_cast<const char*>(quote);
      text = std::string_view(q, static_cast<std::size_t>(t_end - q));
      q = t_end;
      if (static_cast<std::size_t>(end - q) > seq_key.size() &&
          std::memcmp(q, seq_key.data(), seq_key.size()) == 0) {
        q += seq_key.size();
        while (q < end && *q >= '0' && *q <= '9') seq = seq * 10 + static_cast<unsigned>(*q++ - '0');
        ok = true;
      }
    }
  }
  const void* nl = std::memchr(q, '\n', static_cast<std::size_t>(end - q));
  if (nl == nullptr) return nullptr;
  const char* line_end = static_cast<const char*>(nl);
  const char* body_end = line_end > q && line_end[-1] == '\r' ? line_end - 1 : line_end;
  const bool history =
      static_cast<std::size_t>(body_end - p) >= history_suffix.size() &&
      std::memcmp(body_end - history_suffix.size(), history_suffix.data(), history_suffix.size()) == 0;
  if (ok && ready_ && !history) sink.on_delivery(text, seq);
  return line_end + 1;
}

void chatd_protocol::line(std::string_view l, protocol_sink& sink) {
  if (starts_with(l, say_ok_prefix)) {
    sink.on_acks(1);
    return;
  }
  control_line(l, sink);
}

void chatd_protocol::control_line(std::string_view l, protocol_sink& sink) {
  if (l.empty()) return;
  if (l[0] != '{') {
    // Human lines come only before "/format json" is answered: the welcome, or a refusal.
    if (starts_with(l, "! ") || starts_with(l, "* Bye"))
      sink.on_fail("chatd refused the connection: " + std::string(l));
    return;
  }
  const auto type = string_field(l, R"("type":")");
  if (type == "error") {
    sink.on_fail("chatd error: " + std::string(l));
  } else if (type == "bye") {
    sink.on_fail("chatd closed the session: " + std::string(l));
  } else if (type == "ok") {
    if (string_field(l, R"("cmd":")") != "join" || joins_pending_ == 0) return;
    if (--joins_pending_ == 0) {
      ready_ = true;
      sink.on_ready(number_field(l, R"("seq":)").value_or(0));
    }
  } else if (type == "join" && !ready_) {
    // The automatic join into rooms.default (a join event about ourselves): leave it unless
    // it is one of ours, so the benchmark's rooms are the only ones it loads.
    if (string_field(l, R"("nick":")") != id_.nick) return;
    const auto room = string_field(l, R"("room":")");
    if (std::find(id_.rooms.begin(), id_.rooms.end(), room) != id_.rooms.end()) return;
    sink.send_now("/part " + std::string(room) + "\n");
  }
}

}  // namespace chatbench
