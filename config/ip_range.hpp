// An address range as written in the config: "10.0.0.0/8", "2001:db8::/32", or a bare address
// ("192.0.2.7" is 192.0.2.7/32, "::1" is ::1/128). listen.proxy_protocol lists them.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace chatd {

struct ip_range {
  bool v6 = false;
  std::array<std::uint8_t, 16> network{};  // network order; IPv4 uses the first 4 bytes
  unsigned prefix = 32;                    // bits that must match: 0..32, or 0..128 for v6

  // "10.0.0.0/8", "::1/128": what parse_ip_range reads back to the same range.
  std::string to_string() const;
  // True if the address (4 or 16 bytes, as `v6` says) is in the range. An IPv4 address is
  // never in an IPv6 range or the other way round: callers unmap ::ffff:a.b.c.d first.
  bool contains(bool address_v6, const std::uint8_t* address) const noexcept;
  bool operator==(const ip_range&) const = default;
};

// Reads one range, or returns the "expected ..." part of an error message. Bits set past the
// prefix ("10.1.2.3/8") are refused, since they are likelier a typo than a range. An IPv4-mapped
// IPv6 range (::ffff:10.0.0.0/104) is read as the IPv4 range it maps (10.0.0.0/8), so that it
// matches the IPv4 peers it means whether chatd listens on IPv4 or IPv6.
std::variant<ip_range, std::string> parse_ip_range(std::string_view text);

}  // namespace chatd
