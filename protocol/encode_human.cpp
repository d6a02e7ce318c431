// encode(…, human): text for a person at a terminal (telnet, nc), so one event may be several
// lines or none.
#include <algorithm>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/encoders.hpp"
#include "protocol/format.hpp"
#include "protocol/help_table.hpp"
#include "protocol/timestamp.hpp"

namespace chatd::protocol {
namespace {

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

// The /help column the descriptions start after: the longest usage, and at least 20.
constexpr std::size_t help_usage_width = [] {
  std::size_t width = 20;
  for (const help_entry& h : help_entries) width = std::max(width, h.usage.size());
  return width;
}();

// Appended rather than "#" + to_string: GCC 12 at -O2 warns (-Wrestrict) about the latter.
std::string seq_ref(std::uint64_t seq) {
  std::string ref(1, '#');
  ref += std::to_string(seq);
  return ref;
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
    if (e.presence) {
      out.line({"* You joined [", e.room, "] (", count_of(e.members->size(), "member", "members"),
                ": ", join_names(*e.members), ")."});
    } else {
      out.line({"* You joined [", e.room, "] (", count_of(e.total, "member", "members"), ")."});
    }
    if (!e.topic.empty()) out.line({"* Topic: ", e.topic});
    if (!e.presence) {
      out.line({"* [", e.room, "] has more than ",
                count_of(e.presence_max_members, "member", "members"),
                ": joins, parts and quits are not announced; /who lists them."});
    }
    return out.take();
  }
  std::string operator()(const ok_history_event& e) const {
    if (e.replay == 0) return one_line({"* History of [", e.room, "]: no messages kept."});
    const std::string range =
        e.first == e.last ? seq_ref(e.first) : seq_ref(e.first) + " to " + seq_ref(e.last);
    return one_line({"* History of [", e.room, "]: ", count_of(e.replay, "message", "messages"),
                     ", ", range, "."});
  }
  // After the replayed lines: whether they are all the reader missed.
  std::string operator()(const recovered_event& e) const {
    const recovery_info& r = e.recovery;
    const std::string since = seq_ref(r.since);
    const std::string replayed =
        r.replay == 0 ? std::string("none replayed")
                      : std::to_string(r.replay) + " replayed from " + seq_ref(r.first);
    switch (r.outcome) {
      case recovery_outcome::complete:
        if (r.replay == 0) return one_line({"* Recovered [", e.room, "]: nothing new since ", since, "."});
        return one_line({"* Recovered [", e.room, "]: ", count_of(r.replay, "message", "messages"),
                         " since ", since, "."});
      case recovery_outcome::missing:
        return one_line({"* [", e.room, "]: not everything since ", since, " is kept; ", replayed, "."});
      case recovery_outcome::restarted:
        return one_line({"* [", e.room, "] has started again since ", since, " (it is at ",
                         seq_ref(e.seq), " now); ", replayed, "."});
      case recovery_outcome::partial:
        return one_line({"* [", e.room, "]: ", replayed, " to ", seq_ref(r.last), " of ",
                         seq_ref(e.seq), " (since ", since, "); /join ", e.room, " since ",
                         std::to_string(r.last), " for the rest."});
    }
    return {};
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
      usage.resize(help_usage_width, ' ');  // align the descriptions
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
  // A truncated listing says so in its first line: "* Rooms (showing 100 of 10432):".
  std::string operator()(const rooms_reply& e) const {
    if (e.rooms->empty()) {
      if (e.pattern.empty()) return one_line({"* No rooms."});
      return one_line({"* No rooms match ", e.pattern, "."});
    }
    human_text out;
    if (e.rooms->size() < e.total) {
      out.line({"* Rooms (showing ", std::to_string(e.rooms->size()), " of ",
                std::to_string(e.total), "):"});
    } else {
      out.line({"* Rooms:"});
    }
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
  // "* Members of [big] (19000, showing 100): a, b, ..." when truncated.
  std::string operator()(const who_reply& e) const {
    const std::string shown = e.members->size() < e.total
                                  ? ", showing " + std::to_string(e.members->size())
                                  : std::string();
    return one_line({"* Members of [", e.room, "] (", std::to_string(e.total), shown,
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
  // People read the sentence; the code is for programs.
  std::string operator()(const notice_event& e) const { return one_line({"* ", e.text}); }
};


}  // namespace

std::string encode_human(const event& ev) { return std::visit(human_encoder{}, ev); }

}  // namespace chatd::protocol
