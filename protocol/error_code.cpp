#include "protocol/error_code.hpp"

namespace chatd::protocol {

std::string_view to_string(error_code code) noexcept {
  switch (code) {
    case error_code::not_registered: return "not-registered";
    case error_code::bad_argument: return "bad-argument";
    case error_code::unknown_command: return "unknown-command";
    case error_code::nick_invalid: return "nick-invalid";
    case error_code::nick_taken: return "nick-taken";
    case error_code::room_invalid: return "room-invalid";
    case error_code::too_many_rooms: return "too-many-rooms";
    case error_code::server_rooms_full: return "server-rooms-full";
    case error_code::not_in_room: return "not-in-room";
    case error_code::no_room: return "no-room";
    case error_code::no_such_nick: return "no-such-nick";
    case error_code::no_such_room: return "no-such-room";
    case error_code::line_too_long: return "line-too-long";
    case error_code::too_many_connections: return "too-many-connections";
    case error_code::unavailable: return "unavailable";
  }
  // Only reachable with a value cast from outside the enum; a wire code is still better than UB.
  return "unknown";
}

}  // namespace chatd::protocol
