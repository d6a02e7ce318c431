// What "/join ROOM since SEQ [EPOCH]" replays: every kept message after SEQ when the client's
// numbering is the room's, and whether that is all it missed (docs/protocol.md §7.1).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "protocol/events.hpp"
#include "server/chat/room_log.hpp"

namespace chatd {

struct recovery_plan {
  std::vector<const stored_message*> messages;  // oldest first
  protocol::recovery_outcome outcome;
};

// `epoch` empty: the client did not say, and SEQ is taken to be of the current epoch. A SEQ
// past the room's latest, or another epoch, means the room started again since: the client
// gets everything the room keeps, and an incomplete recovery.
recovery_plan plan_recovery(const room_log& log, std::uint64_t since, std::string_view epoch);

}  // namespace chatd
