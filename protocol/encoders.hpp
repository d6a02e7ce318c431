// The two encoders behind encode() (format.hpp), one file each.
#pragma once

#include <string>

#include "protocol/events.hpp"

namespace chatd::protocol {

std::string encode_json(const event& ev);
std::string encode_human(const event& ev);

}  // namespace chatd::protocol
