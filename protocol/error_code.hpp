// The error codes the server sends (`! CODE: text` / {"type":"error","code":CODE}).
#pragma once

#include <string_view>

namespace chatd::protocol {

enum class error_code {
  not_registered,
  bad_argument,
  unknown_command,
  nick_invalid,
  nick_taken,
  room_invalid,
  too_many_rooms,
  server_rooms_full,
  not_in_room,
  no_room,
  no_such_nick,
  no_such_room,
  line_too_long,
  too_many_connections,
  unavailable,  // cluster mode: the engine did not store the message (or claim the nick)
};

// The wire spelling, e.g. "nick-taken".
std::string_view to_string(error_code code) noexcept;

// Every code, for tests and for metrics that pre-create one series per code.
inline constexpr error_code all_error_codes[] = {
    error_code::not_registered,   error_code::bad_argument,      error_code::unknown_command,
    error_code::nick_invalid,     error_code::nick_taken,        error_code::room_invalid,
    error_code::too_many_rooms,   error_code::server_rooms_full, error_code::not_in_room,
    error_code::no_room,          error_code::no_such_nick,      error_code::no_such_room,
    error_code::line_too_long,    error_code::too_many_connections, error_code::unavailable,
};

}  // namespace chatd::protocol
