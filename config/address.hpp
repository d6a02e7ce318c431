// Addresses as written in the config and on the command line: where chatd listens, and the
// NATS servers it connects to in cluster mode.
#pragma once

#include <optional>
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

// Checks one NATS server URL: "nats://host:port", "tls://host:port" or "host:port", the host a
// name, a numeric IPv4 address or a numeric IPv6 address in brackets, the port 1..65535.
// Unlike listen addresses, names are fine: the NATS client resolves them when it connects, and
// reconnects to the servers a name stands for. A user or password in the URL is refused, since
// URLs are logged (on a reload, say); cluster.user/password and cluster.credentials keep them out.
// Returns nullopt, or the "expected ..." part of an error message.
std::optional<std::string> check_nats_url(std::string_view url);

}  // namespace chatd::config_detail
