#include "protocol/proxy_header.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

namespace chatd::protocol {
namespace {

constexpr std::string_view v1_prefix = "PROXY ";
constexpr std::string_view v2_signature{"\r\n\r\n\0\r\nQUIT\n", 12};

// v2 version/command byte: the version in the high nibble, the command in the low one.
constexpr std::uint8_t v2_version = 0x20;
constexpr std::uint8_t v2_local = 0x0;
constexpr std::uint8_t v2_proxy = 0x1;
// v2 family/protocol byte.
constexpr std::uint8_t family_unspec = 0x0;
constexpr std::uint8_t family_inet = 0x1;
constexpr std::uint8_t family_inet6 = 0x2;
constexpr std::uint8_t family_unix = 0x3;
constexpr std::uint8_t proto_unspec = 0x0;  // 0x1 is a stream (TCP): what chatd expects
constexpr std::uint8_t proto_dgram = 0x2;
// Address block sizes: two addresses and two ports.
constexpr std::size_t inet_block = 4 + 4 + 2 + 2;
constexpr std::size_t inet6_block = 16 + 16 + 2 + 2;
constexpr std::size_t unix_block = 108 + 108;

// True if `bytes` and `expected` agree on their common length.
bool agrees(std::string_view bytes, std::string_view expected) {
  const std::size_t n = std::min(bytes.size(), expected.size());
  return bytes.substr(0, n) == expected.substr(0, n);
}

std::uint8_t byte_at(std::string_view bytes, std::size_t i) {
  return static_cast<std::uint8_t>(bytes[i]);
}

std::uint16_t u16_at(std::string_view bytes, std::size_t i) {
  return static_cast<std::uint16_t>(byte_at(bytes, i) << 8 | byte_at(bytes, i + 1));
}

// ---------------------------------------------------------------------------------------------
// Version 1: "PROXY TCP4 192.0.2.1 198.51.100.2 56324 7000\r\n", or "PROXY UNKNOWN ...\r\n".

// A decimal port 0..65535, digits only.
std::optional<std::uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  unsigned value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

// A numeric address of the family `v6` says, as inet_pton reads it (no names, no zones).
bool parse_address(std::string_view text, bool v6, std::array<std::uint8_t, 16>& out) {
  if (text.empty() || text.size() > 45) return false;  // 45: the longest IPv6 text
  char z[46];
  std::memcpy(z, text.data(), text.size());
  z[text.size()] = '\0';
  return inet_pton(v6 ? AF_INET6 : AF_INET, z, out.data()) == 1;
}

// Splits `line` at single spaces into at most `max` fields; false on an empty field (two
// spaces in a row, a space at an end) or more fields than `max`.
bool split_fields(std::string_view line, std::string_view* fields, std::size_t max,
                  std::size_t& count) {
  count = 0;
  for (std::size_t begin = 0;;) {
    const std::size_t end = std::min(line.find(' ', begin), line.size());
    if (end == begin || count == max) return false;
    fields[count++] = line.substr(begin, end - begin);
    if (end == line.size()) return true;
    begin = end + 1;
  }
}

proxy_result parse_v1(std::string_view bytes) {
  if (!agrees(bytes, v1_prefix)) return proxy_invalid{"not a PROXY header"};
  const std::string_view window = bytes.substr(0, std::min(bytes.size(), proxy_v1_max_bytes));
  const std::size_t lf = window.find('\n');
  // A CR anywhere but right before the LF can never be part of a valid line. Only the bytes
  // up to the first LF are looked at, so that what follows a line never changes its verdict.
  const std::string_view line_part = window.substr(0, lf);
  const std::size_t cr = line_part.find('\r');
  if (cr != std::string_view::npos && cr + 1 < line_part.size()) {
    return proxy_invalid{"v1 header with a CR not followed by LF"};
  }
  if (lf == std::string_view::npos) {
    if (bytes.size() >= proxy_v1_max_bytes) return proxy_invalid{"v1 header longer than 107 bytes"};
    return proxy_need_more{};
  }
  if (lf == 0 || window[lf - 1] != '\r') return proxy_invalid{"v1 header not ended by CRLF"};
  const std::string_view line = window.substr(0, lf - 1);
  for (char c : line) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) {
      return proxy_invalid{"v1 header with a control or non-ASCII byte"};
    }
  }
  const std::size_t consumed = lf + 1;

  std::string_view fields[6];
  std::size_t count = 0;
  const bool split = split_fields(line, fields, 6, count);
  if (count >= 2 && fields[1] == "UNKNOWN") {
    // The rest of the line is to be ignored: the balancer could not tell the addresses.
    return proxy_parsed{consumed, std::nullopt, 1};
  }
  if (!split || count < 2) return proxy_invalid{"v1 header with the wrong number of fields"};
  if (fields[1] != "TCP4" && fields[1] != "TCP6") {
    return proxy_invalid{"v1 header with a protocol other than TCP4, TCP6 or UNKNOWN"};
  }
  if (count != 6) return proxy_invalid{"v1 header with the wrong number of fields"};
  const bool v6 = fields[1] == "TCP6";
  proxy_source source;
  source.v6 = v6;
  std::array<std::uint8_t, 16> destination{};
  if (!parse_address(fields[2], v6, source.address) || !parse_address(fields[3], v6, destination)) {
    return proxy_invalid{v6 ? "v1 header with a bad IPv6 address" : "v1 header with a bad IPv4 address"};
  }
  const auto source_port = parse_port(fields[4]);
  if (!source_port || !parse_port(fields[5])) return proxy_invalid{"v1 header with a bad port"};
  source.port = *source_port;
  return proxy_parsed{consumed, source, 1};
}

// ---------------------------------------------------------------------------------------------
// Version 2: the signature, version/command, family/protocol, a 16-bit length, then the address
// block and TLVs (type, 16-bit length, value), which chatd checks for shape and skips.

bool tlvs_fit(std::string_view tlvs) {
  while (!tlvs.empty()) {
    if (tlvs.size() < 3) return false;
    const std::size_t length = 3 + u16_at(tlvs, 1);
    if (length > tlvs.size()) return false;
    tlvs.remove_prefix(length);
  }
  return true;
}

proxy_result parse_v2(std::string_view bytes) {
  if (!agrees(bytes, v2_signature)) return proxy_invalid{"not a PROXY header"};
  if (bytes.size() > v2_signature.size()) {
    const std::uint8_t version_command = byte_at(bytes, 12);
    if ((version_command & 0xf0) != v2_version) return proxy_invalid{"v2 header of another version"};
    const std::uint8_t command = version_command & 0x0f;
    if (command != v2_local && command != v2_proxy) return proxy_invalid{"v2 header with an unknown command"};
  }
  if (bytes.size() > 13) {
    const std::uint8_t family = byte_at(bytes, 13) >> 4;
    const std::uint8_t proto = byte_at(bytes, 13) & 0x0f;
    if (family > family_unix || proto > proto_dgram) {
      return proxy_invalid{"v2 header with an unknown address family or protocol"};
    }
  }
  if (bytes.size() < proxy_v2_fixed_bytes) return proxy_need_more{};

  const std::size_t payload = u16_at(bytes, 14);
  if (payload > proxy_v2_max_payload) return proxy_invalid{"v2 header longer than 1040 bytes"};
  const std::size_t consumed = proxy_v2_fixed_bytes + payload;
  const bool local = (byte_at(bytes, 12) & 0x0f) == v2_local;
  const std::uint8_t family = byte_at(bytes, 13) >> 4;
  const std::uint8_t proto = byte_at(bytes, 13) & 0x0f;
  if (!local && proto == proto_dgram) return proxy_invalid{"v2 header for a datagram connection"};
  std::size_t block = 0;
  if (!local && family == family_inet) block = inet_block;
  if (!local && family == family_inet6) block = inet6_block;
  if (!local && family == family_unix) block = unix_block;
  if (payload < block) return proxy_invalid{"v2 header too short for its addresses"};
  if (bytes.size() < consumed) return proxy_need_more{};

  const std::string_view body = bytes.substr(proxy_v2_fixed_bytes, payload);
  // A LOCAL header's block may be anything ("receivers must ignore" it); a PROXY header's TLVs
  // follow its addresses.
  if (!local && !tlvs_fit(body.substr(block))) return proxy_invalid{"v2 header with a malformed TLV"};
  if (local || family == family_unspec || family == family_unix || proto == proto_unspec) {
    return proxy_parsed{consumed, std::nullopt, 2};
  }
  proxy_source source;
  source.v6 = family == family_inet6;
  const std::size_t address_bytes = source.v6 ? 16 : 4;
  std::memcpy(source.address.data(), body.data(), address_bytes);
  source.port = u16_at(body, 2 * address_bytes);
  return proxy_parsed{consumed, source, 2};
}

}  // namespace

proxy_result parse_proxy_header(std::string_view bytes) {
  if (bytes.empty()) return proxy_need_more{};
  if (bytes.front() == 'P') return parse_v1(bytes);
  if (bytes.front() == '\r') return parse_v2(bytes);
  return proxy_invalid{"not a PROXY header"};
}

}  // namespace chatd::protocol
