// The PROXY protocol header a balancer (HAProxy, a cloud load balancer) sends before the client's
// bytes, to say whom the connection is for: version 1 (one text line) and version 2 (binary),
// as in HAProxy's proxy-protocol.txt. Pure: it takes the bytes received so far and says whether
// they hold a whole header, the start of one, or something that can never become one.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>

namespace chatd::protocol {

// A v1 line is at most 107 bytes, CRLF included (the protocol's own bound).
inline constexpr std::size_t proxy_v1_max_bytes = 107;
// A v2 header: a 16-byte fixed part, then as many bytes as its length field says. The field
// allows 65535; chatd takes at most 1024 after the fixed part, room for the addresses (36 for
// IPv6) and the TLVs balancers send (a unique id, an authority, a CRC, an AWS or GCP endpoint
// id, each tens of bytes). Anything longer is refused rather than buffered.
inline constexpr std::size_t proxy_v2_fixed_bytes = 16;
inline constexpr std::size_t proxy_v2_max_payload = 1024;
// The most bytes parse_proxy_header ever needs: it decides (parsed or invalid) by then.
inline constexpr std::size_t proxy_header_max_bytes = proxy_v2_fixed_bytes + proxy_v2_max_payload;

// The client's end of the connection as the header gives it.
struct proxy_source {
  bool v6 = false;
  std::array<std::uint8_t, 16> address{};  // network order; IPv4 uses the first 4 bytes
  std::uint16_t port = 0;
  bool operator==(const proxy_source&) const = default;
};

// The bytes so far are the start of a header: read more (they never exceed
// proxy_header_max_bytes).
struct proxy_need_more {
  bool operator==(const proxy_need_more&) const = default;
};

// A whole header of `consumed` bytes; whatever follows it is the client's.
struct proxy_parsed {
  std::size_t consumed = 0;
  // nullopt for v2 LOCAL (the balancer's own connection, a health check), v1 UNKNOWN and
  // v2 addresses that are not IP (UNSPEC, UNIX): the connection's own address stands.
  std::optional<proxy_source> source;
  int version = 1;
  bool operator==(const proxy_parsed&) const = default;
};

// Never a header, whatever follows. `reason` is a constant phrase for the log.
struct proxy_invalid {
  std::string_view reason;
  bool operator==(const proxy_invalid&) const = default;
};

using proxy_result = std::variant<proxy_need_more, proxy_parsed, proxy_invalid>;

// Reads a header at the start of `bytes`, all the bytes received so far. The answer for a
// prefix of a valid header is always need_more, so a caller appends what arrives and asks
// again; it reads nothing past the header.
proxy_result parse_proxy_header(std::string_view bytes);

}  // namespace chatd::protocol
