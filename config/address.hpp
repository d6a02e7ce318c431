// Listening addresses as written in the config and on the command line.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "config/config.hpp"

namespace chatd::config_detail {

// Reads "host:port": a numeric IPv4 address, or a numeric IPv6 address in brackets
// ("[::1]:7000"), then a port 0..65535 (0 asks the kernel for an ephemeral port).
// Host names are refused rather than resolved: chatd reads its config before the event loop
// starts and never does blocking DNS, and a name that resolves to several addresses would
// make "the" listening address ambiguous. An empty host (":7000") is refused too, because
// it would have to pick between 0.0.0.0 and [::] on the operator's behalf.
// Returns the address, or the "expected ..." part of an error message.
std::variant<listen_address, std::string> parse_listen_address(std::string_view text);

}  // namespace chatd::config_detail
