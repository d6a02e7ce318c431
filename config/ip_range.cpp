#include "config/ip_range.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

namespace chatd {
namespace {

constexpr std::string_view expected_form =
    "expected an IP address or a CIDR range, e.g. 10.0.0.0/8, 192.0.2.7, 2001:db8::/32 or ::1";

// The first 12 bytes of an IPv4-mapped IPv6 address.
constexpr std::array<std::uint8_t, 12> v4_mapped_prefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

// True if the first `bits` bits of `a` and `b` agree.
bool same_prefix(const std::uint8_t* a, const std::uint8_t* b, unsigned bits) noexcept {
  const unsigned whole = bits / 8;
  if (std::memcmp(a, b, whole) != 0) return false;
  if (bits % 8 == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - bits % 8));
  return (a[whole] & mask) == (b[whole] & mask);
}

}  // namespace

std::string ip_range::to_string() const {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, network.data(), text, sizeof text);
  return std::string(text) + "/" + std::to_string(prefix);
}

bool ip_range::contains(bool address_v6, const std::uint8_t* address) const noexcept {
  return address_v6 == v6 && same_prefix(network.data(), address, prefix);
}

std::variant<ip_range, std::string> parse_ip_range(std::string_view text) {
  const auto slash = text.find('/');
  const std::string_view address_text = text.substr(0, slash);
  if (address_text.empty() || address_text.size() >= INET6_ADDRSTRLEN) {
    return std::string(expected_form);
  }
  char address[INET6_ADDRSTRLEN] = {};
  std::memcpy(address, address_text.data(), address_text.size());

  ip_range range;
  range.v6 = address_text.find(':') != std::string_view::npos;
  if (inet_pton(range.v6 ? AF_INET6 : AF_INET, address, range.network.data()) != 1) {
    return std::string(expected_form);
  }
  const unsigned max_prefix = range.v6 ? 128 : 32;
  range.prefix = max_prefix;
  if (slash != std::string_view::npos) {
    const std::string_view bits = text.substr(slash + 1);
    if (bits.empty() || bits.size() > 3 || bits.find_first_not_of("0123456789") != bits.npos) {
      return std::string(expected_form);
    }
    unsigned value = 0;
    for (char c : bits) value = value * 10 + static_cast<unsigned>(c - '0');
    if (value > max_prefix) {
      return "expected a prefix length from 0 to " + std::to_string(max_prefix) + " after '/'";
    }
    range.prefix = value;
  }
  ip_range network_only = range;
  for (unsigned bit = range.prefix; bit < max_prefix; ++bit) {
    network_only.network[bit / 8] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
  }
  if (network_only.network != range.network) {
    return "expected no address bits set past the prefix length, e.g. " +
           network_only.to_string();
  }
  if (range.v6 && range.prefix >= 96 &&
      std::memcmp(range.network.data(), v4_mapped_prefix.data(), v4_mapped_prefix.size()) == 0) {
    ip_range v4;
    std::memcpy(v4.network.data(), range.network.data() + 12, 4);
    v4.prefix = range.prefix - 96;
    return v4;
  }
  return range;
}

}  // namespace chatd
