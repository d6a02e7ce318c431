#include "config/address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdint>
#include <utility>

#include "config/units.hpp"

namespace chatd {

std::string listen_address::to_string() const {
  const std::string port_text = std::to_string(port);
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + port_text;
  return host + ":" + port_text;
}

namespace config_detail {
namespace {

constexpr std::string_view expected_form =
    "expected host:port with a numeric IP address, e.g. 0.0.0.0:7000 or [::]:7000";

bool is_ipv4(const std::string& host) {
  in_addr out{};
  return inet_pton(AF_INET, host.c_str(), &out) == 1;
}

bool is_ipv6(const std::string& host) {
  in6_addr out{};
  return inet_pton(AF_INET6, host.c_str(), &out) == 1;
}

}  // namespace

std::variant<listen_address, std::string> parse_listen_address(std::string_view text) {
  std::string host;
  std::string_view port_text;
  bool bracketed = false;

  // Split at the port separator: after the closing bracket for IPv6, else the only colon.
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return std::string(expected_form);
    }
    host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
    bracketed = true;
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::string(expected_form);
    host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
    if (host.find(':') != std::string::npos) {
      return std::string("expected an IPv6 address in brackets, e.g. [::1]:7000");
    }
  }

  if (host.empty()) {
    return std::string(
        "expected a host before the port, e.g. 0.0.0.0:7000 for all IPv4 interfaces");
  }
  if (bracketed ? !is_ipv6(host) : !is_ipv4(host)) {
    if (bracketed) return std::string("expected a numeric IPv6 address inside the brackets");
    if (host.find_first_not_of("0123456789.") == std::string::npos) {
      return std::string("expected a numeric IPv4 address such as 127.0.0.1");
    }
    return std::string(
        "expected a numeric IP address (chatd does not resolve host names), e.g. 127.0.0.1:7000");
  }

  const auto port = parse_count(port_text);
  if (!port || *port > 65535) return std::string("expected a port from 0 to 65535");
  return listen_address{std::move(host), static_cast<std::uint16_t>(*port)};
}

std::optional<std::string> check_nats_url(std::string_view url) {
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      return "expected a NATS URL without spaces or control characters";
    }
  }
  if (const auto scheme_end = url.find("://"); scheme_end != std::string_view::npos) {
    const std::string_view scheme = url.substr(0, scheme_end);
    if (scheme != "nats" && scheme != "tls") {
      return "expected nats://, tls:// or no scheme, e.g. nats://127.0.0.1:4222";
    }
    url.remove_prefix(scheme_end + 3);
  }
  if (url.find('@') != std::string_view::npos) {
    return "expected no user or password in a NATS URL (URLs are logged); use cluster.user and "
           "cluster.password, or cluster.credentials";
  }
  const auto colon = url.rfind(':');
  if (colon == std::string_view::npos) {
    return "expected host:port with the NATS port, e.g. nats://127.0.0.1:4222";
  }
  const std::string_view host = url.substr(0, colon);
  if (host.empty()) return "expected a host before the port, e.g. nats://127.0.0.1:4222";
  if (host.front() == '[') {
    if (host.back() != ']' || !is_ipv6(std::string(host.substr(1, host.size() - 2)))) {
      return "expected a numeric IPv6 address inside the brackets";
    }
  } else if (host.find_first_of(":[]/?#") != std::string_view::npos) {
    return "expected a host name or numeric IP address, with IPv6 in brackets, e.g. "
           "nats://[::1]:4222";
  }
  const auto port = parse_count(url.substr(colon + 1));
  if (!port || *port < 1 || *port > 65535) return "expected a port from 1 to 65535";
  return std::nullopt;
}

}  // namespace config_detail
}  // namespace chatd
