// Everything the server can send, as plain values. format.hpp turns them into wire lines.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "protocol/error_code.hpp"

namespace chatd::protocol {

enum class output_format { human, json };

// Time as milliseconds since the Unix epoch (UTC). Protocol code takes time as a value.
using timestamp_ms = std::int64_t;

struct welcome_event { std::string_view version; };

// Plain ok for commands that have nothing else to say: {"type":"ok","cmd":C}.
struct ok_event { std::string_view cmd; };
// What a "/join ROOM since SEQ [EPOCH]" replays after its ok (docs/protocol.md §7).
enum class recovery_outcome {
  complete,   // every message after SEQ follows (maybe none)
  missing,    // some after SEQ are no longer kept: the kept ones follow
  restarted,  // the room started again (another epoch, or SEQ past its seq): all it keeps follow
  partial,    // more than one reply should carry: the oldest that fit follow; ask again
};
struct recovery_info {
  std::uint64_t since;  // SEQ as asked
  std::size_t replay;   // how many history msgs follow the ok
  recovery_outcome outcome;
  std::uint64_t first = 0;  // seqs of the first and last replayed (0 when none)
  std::uint64_t last = 0;
  bool complete() const noexcept { return outcome == recovery_outcome::complete; }
};

struct ok_join_event {
  std::string_view room;
  const std::vector<std::string>* members;  // never null
  std::string_view topic;
  std::uint64_t seq;  // the room's latest seq at the moment of joining
  // Whether the room announces joins, parts and quits (rooms.presence_max_members); when not,
  // the human format says so, naming the limit.
  bool presence;
  std::size_t presence_max_members;
  // Members in all. Without presence the ok lists none (a list nobody keeps current is stale
  // at once, and at 19 000 members it made every join cost the room's size): it says how many.
  std::size_t total = 0;
  // The room's current numbering (names.hpp): a seq is only meaningful with its epoch.
  std::string_view epoch = {};
  // Set for "/join ROOM since SEQ": the ok then says what the replay after it holds.
  const recovery_info* recovery = nullptr;
};
// "/history [ROOM] [N]": `replay` history msgs follow, seqs first..last.
struct ok_history_event {
  std::string_view room;
  std::uint64_t seq;
  std::string_view epoch;
  std::size_t replay;
  std::uint64_t first = 0;
  std::uint64_t last = 0;
};
// After the replay of a "/join ROOM since SEQ": a person is told what it recovered (the json
// ok already said so, and nothing is sent in json).
struct recovered_event {
  std::string_view room;
  std::uint64_t seq;  // the room's latest
  recovery_info recovery;
};
struct ok_say_event { std::string_view room; std::uint64_t seq; };      // chat line, /say, /me
struct ok_msg_event { std::string_view to; };                            // /msg
struct ok_nick_event { std::string_view nick; };                         // /nick
struct ok_part_event { std::string_view room; };                         // /part
struct ok_topic_event { std::string_view room; std::string_view topic; bool changed; };  // /topic
struct ok_format_event { output_format format; };                        // /format
struct ok_help_event {};                                                 // /help (lists commands)

struct msg_event {
  std::string_view room;
  std::string_view from;
  std::string_view text;
  std::uint64_t seq;
  timestamp_ms ts;
  bool action;   // /me
  bool history;  // replayed on join
};
struct pm_event {
  std::string_view from;
  std::string_view to;
  std::string_view text;
  timestamp_ms ts;
};
struct join_event { std::string_view room; std::string_view nick; };
struct part_event { std::string_view room; std::string_view nick; };
struct quit_event { std::string_view nick; std::string_view reason; };
struct nick_event { std::string_view old_nick; std::string_view new_nick; };
struct topic_event { std::string_view room; std::string_view nick; std::string_view topic; };

struct room_info { std::string name; std::size_t members; std::string topic; };
// A listing shows the first LIMIT of `total` rooms (or members) in name order: `rooms` and
// `members` (never null) may be fewer than `total`. `pattern` is the /rooms PATTERN as matched
// (folded, no '#'), empty for none; only the human "No rooms match ..." shows it.
struct rooms_reply {
  const std::vector<room_info>* rooms;
  std::size_t total;
  std::string_view pattern;
};
struct who_reply {
  std::string_view room;
  const std::vector<std::string>* members;
  std::size_t total;
};
struct pong_reply { std::string_view token; };

struct error_event { error_code code; std::string_view message; };
struct bye_event { std::string_view reason; };
// Something the server tells a client unasked, e.g. that it is draining (code
// "server-draining"): a machine-readable code and a sentence for people.
struct notice_event { std::string_view code; std::string_view text; };

using event = std::variant<welcome_event, ok_event, ok_join_event, ok_say_event, ok_msg_event,
                           ok_nick_event, ok_part_event, ok_topic_event, ok_format_event,
                           ok_help_event, ok_history_event, recovered_event, msg_event,
                           pm_event, join_event, part_event, quit_event, nick_event, topic_event,
                           rooms_reply, who_reply, pong_reply, error_event, bye_event,
                           notice_event>;

}  // namespace chatd::protocol
