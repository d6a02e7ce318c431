// The two encoders behind encode() (format.hpp), one file each.
#pragma once

#include <string>

#include "protocol/events.hpp"

namespace chatd::protocol {

std::string encode_json(const event& ev);
// The same bytes appended to `out`; a chat message and its ok are written straight into it,
// without an allocation of their own.
void encode_json_into(std::string& out, const event& ev);
std::string encode_human(const event& ev);

}  // namespace chatd::protocol
