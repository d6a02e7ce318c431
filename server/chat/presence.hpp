// Presence: the join, part and quit announcements of a room. A room of m members sends m of them
// per join, so m joins cost m^2 lines; above rooms.presence_max_members a room stops sending
// them (nick and topic changes still go out, /who still lists everyone).
//
// The rule: a room announces a join, part or quit while it has at most `limit` members, the user
// the announcement is about included (counted after a join, before a leave); 0 = no limit. So a
// join and a leave at the same member count get the same answer, and a join ok's "presence"
// says whether that join was announced (and the joiner's part would be, at that size).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>

#include "protocol/events.hpp"
#include "server/chat/token_bucket.hpp"

namespace chatd {

enum class presence_kind { join, part, quit };
inline constexpr std::array<presence_kind, 3> all_presence_kinds{
    presence_kind::join, presence_kind::part, presence_kind::quit};

constexpr std::string_view to_string(presence_kind kind) noexcept {
  switch (kind) {
    case presence_kind::join: return "join";
    case presence_kind::part: return "part";
    case presence_kind::quit: return "quit";
  }
  return "?";
}

// Whether `ev` is a presence announcement (a join, part or quit event).
inline bool is_presence(const protocol::event& ev) noexcept {
  return std::holds_alternative<protocol::join_event>(ev) ||
         std::holds_alternative<protocol::part_event>(ev) ||
         std::holds_alternative<protocol::quit_event>(ev);
}

// Whether a room of `members` members (the subject of the announcement included) announces it.
constexpr bool presence_on(std::size_t members, std::size_t limit) noexcept {
  return limit == 0 || members <= limit;
}

// A room's presence as last logged: it tells when the room crosses the limit, once each way.
// A room that keeps crossing (one user joining and parting at the limit) would log a line per
// join and part, so the lines are rate-limited per room: two at once (a crossing and its way
// back), then one a second; the next line logged says how many crossings were left out.
class presence_watch {
 public:
  using clock = token_bucket::clock;

  struct change {
    bool logged;               // log it now
    std::uint64_t suppressed;  // crossings not logged since the last line (when logged)
  };

  // The room has `members` members now, under `limit`. Returns whether presence changed since
  // the last call, and if so whether to log it; a limit changed by a reload is seen here too.
  std::optional<change> update(std::size_t members, std::size_t limit, clock::time_point now) {
    const bool on = presence_on(members, limit);
    if (on == on_) return std::nullopt;
    on_ = on;
    if (!lines_) lines_.emplace(1.0, 2.0, now);
    if (!lines_->try_take(now)) {
      ++skipped_;
      return change{false, 0};
    }
    const change logged{true, skipped_};
    skipped_ = 0;
    return logged;
  }

  bool on() const noexcept { return on_; }

 private:
  bool on_ = true;  // a new room is empty, and an empty room sends presence
  std::optional<token_bucket> lines_;  // made at the first crossing: most rooms never cross
  std::uint64_t skipped_ = 0;
};

}  // namespace chatd
