// parse_proxy_header: v1 and v2 as HAProxy sends them, what is refused, and the promise the
// reader builds on: every proper prefix of a valid header asks for more, and the whole header,
// however it was cut on the way, parses to the same result without eating what follows.
#include "protocol/proxy_header.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

namespace chatd::protocol {

std::ostream& operator<<(std::ostream& os, const proxy_result& r) {
  if (std::holds_alternative<proxy_need_more>(r)) return os << "need_more";
  if (const auto* bad = std::get_if<proxy_invalid>(&r)) return os << "invalid(" << bad->reason << ")";
  const auto& ok = std::get<proxy_parsed>(r);
  os << "parsed(v" << ok.version << ", " << ok.consumed << " bytes, ";
  if (!ok.source) return os << "local)";
  os << (ok.source->v6 ? "v6 " : "v4 ");
  for (std::size_t i = 0; i < (ok.source->v6 ? 16u : 4u); ++i) os << int(ok.source->address[i]) << ' ';
  return os << "port " << ok.source->port << ")";
}

namespace {

using namespace std::string_literals;

const std::string v2_sig("\r\n\r\n\0\r\nQUIT\n", 12);

proxy_source v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d, std::uint16_t port) {
  proxy_source s;
  s.address = {a, b, c, d};
  s.port = port;
  return s;
}

proxy_source v6(std::array<std::uint8_t, 16> address, std::uint16_t port) {
  proxy_source s;
  s.v6 = true;
  s.address = address;
  s.port = port;
  return s;
}

std::string be16(std::size_t n) {
  return {static_cast<char>(n >> 8), static_cast<char>(n & 0xff)};
}

// A v2 header: command byte, family byte, then `body` (addresses and TLVs).
std::string v2(std::uint8_t command, std::uint8_t family, const std::string& body) {
  return v2_sig + static_cast<char>(command) + static_cast<char>(family) + be16(body.size()) + body;
}

const std::string v4_block = "\xc0\x00\x02\x01"s + "\xc6\x33\x64\x02"s + "\xdc\x04"s + "\x1b\x58"s;
// 2001:db8::1 -> 2001:db8::2, ports 56324 -> 7000.
const std::string v6_block = "\x20\x01\x0d\xb8"s + std::string(11, '\0') + "\x01"s +
                             "\x20\x01\x0d\xb8"s + std::string(11, '\0') + "\x02"s + "\xdc\x04"s +
                             "\x1b\x58"s;
const std::array<std::uint8_t, 16> ip6_1{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

struct valid_case {
  std::string name;
  std::string header;
  proxy_parsed expected;  // consumed is the whole header
  valid_case(std::string n, std::string h, std::optional<proxy_source> source, int version)
      : name(std::move(n)), header(std::move(h)), expected{header.size(), source, version} {}
};

std::vector<valid_case> valid_cases() {
  // TLVs as HAProxy's proxy-v2-options add them: a unique id (0x05), a CRC32c (0x03) and a
  // no-op (0x04) of padding.
  const std::string tlvs = "\x05"s + be16(5) + "abcde" + "\x03"s + be16(4) + "\x01\x02\x03\x04"s +
                           "\x04"s + be16(0);
  const std::string v1_tcp4 = "PROXY TCP4 192.0.2.1 198.51.100.2 56324 7000\r\n";
  const std::string v1_tcp6 = "PROXY TCP6 2001:db8::1 2001:db8::2 56324 7000\r\n";
  const std::string v1_longest = "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
                                 "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
  proxy_source all_ones;
  all_ones.v6 = true;
  all_ones.address.fill(0xff);
  all_ones.port = 65535;
  return {
      {"v1 TCP4", v1_tcp4, v4(192, 0, 2, 1, 56324), 1},
      {"v1 TCP6", v1_tcp6, v6(ip6_1, 56324), 1},
      {"v1 longest", v1_longest, all_ones, 1},
      {"v1 TCP4 port 0", "PROXY TCP4 10.0.0.1 10.0.0.2 0 1\r\n", v4(10, 0, 0, 1, 0), 1},
      {"v1 UNKNOWN", "PROXY UNKNOWN\r\n", std::nullopt, 1},
      {"v1 UNKNOWN with addresses", "PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n", std::nullopt, 1},
      {"v2 TCP4", v2(0x21, 0x11, v4_block), v4(192, 0, 2, 1, 56324), 2},
      {"v2 TCP6", v2(0x21, 0x21, v6_block), v6(ip6_1, 56324), 2},
      {"v2 TCP4 with TLVs", v2(0x21, 0x11, v4_block + tlvs), v4(192, 0, 2, 1, 56324), 2},
      {"v2 TCP6 with TLVs", v2(0x21, 0x21, v6_block + tlvs), v6(ip6_1, 56324), 2},
      {"v2 LOCAL", v2(0x20, 0x00, ""), std::nullopt, 2},
      {"v2 LOCAL with an ignored block", v2(0x20, 0x11, v4_block), std::nullopt, 2},
      {"v2 PROXY UNSPEC", v2(0x21, 0x00, ""), std::nullopt, 2},
      {"v2 PROXY UNIX stream", v2(0x21, 0x31, std::string(216, 'u')), std::nullopt, 2},
      {"v2 at the length bound", v2(0x21, 0x11, v4_block + "\x04"s + be16(proxy_v2_max_payload - 15) +
                                                    std::string(proxy_v2_max_payload - 15, 'x')),
       v4(192, 0, 2, 1, 56324), 2},
  };
}

TEST(ProxyHeader, ParsesEveryKindOfValidHeaderWhole) {
  for (const auto& c : valid_cases()) {
    SCOPED_TRACE(c.name);
    ASSERT_EQ(c.expected.consumed, c.header.size());
    EXPECT_EQ(parse_proxy_header(c.header), proxy_result(c.expected));
  }
}

TEST(ProxyHeader, LeavesTheBytesAfterTheHeaderToTheClient) {
  for (const auto& c : valid_cases()) {
    SCOPED_TRACE(c.name);
    // Chat input in the same read, even input that looks like another header.
    for (const std::string& after : {"alice\n"s, "PROXY TCP4 1.1.1.1 2.2.2.2 1 2\r\n"s, v2_sig}) {
      EXPECT_EQ(parse_proxy_header(c.header + after), proxy_result(c.expected));
    }
  }
}

TEST(ProxyHeader, AsksForMoreAtEveryProperPrefixAndParsesAtEverySplitPoint) {
  for (const auto& c : valid_cases()) {
    SCOPED_TRACE(c.name);
    const std::string input = c.header + "hello\n";
    for (std::size_t cut = 0; cut < c.header.size(); ++cut) {
      SCOPED_TRACE("cut at " + std::to_string(cut));
      // As the reader uses it: the first piece alone, then both together.
      std::string received = input.substr(0, cut);
      ASSERT_EQ(parse_proxy_header(received), proxy_result(proxy_need_more{}));
      received += input.substr(cut);
      ASSERT_EQ(parse_proxy_header(received), proxy_result(c.expected));
    }
  }
}

TEST(ProxyHeader, ParsesAHeaderFedOneByteAtATime) {
  for (const auto& c : valid_cases()) {
    SCOPED_TRACE(c.name);
    std::string received;
    std::size_t asked = 0;
    proxy_result last = proxy_need_more{};
    for (char byte : c.header) {
      received += byte;
      last = parse_proxy_header(received);
      if (!std::holds_alternative<proxy_need_more>(last)) break;
      ++asked;
    }
    EXPECT_EQ(asked, c.header.size() - 1);
    EXPECT_EQ(last, proxy_result(c.expected));
  }
}

struct invalid_case {
  std::string input;
  std::string_view reason;
};

TEST(ProxyHeader, RefusesMalformedHeadersWithAReason) {
  const std::string over_v1 = "PROXY TCP4 " + std::string(96, '1');  // 107 bytes, no LF
  const std::vector<invalid_case> cases{
      {"alice\n", "not a PROXY header"},
      {"proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n", "not a PROXY header"},
      {"PROXZ", "not a PROXY header"},
      {"GET / HTTP/1.1\r\n", "not a PROXY header"},
      {"\r\n\r\n\0\r\nQUIZ"s, "not a PROXY header"},
      {"\r\nhello", "not a PROXY header"},
      {over_v1, "v1 header longer than 107 bytes"},
      {"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", "v1 header not ended by CRLF"},
      // What follows the first LF never changes the verdict (found by the fuzzer).
      {"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n\r\0"s, "v1 header not ended by CRLF"},
      {"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX", "v1 header with a CR not followed by LF"},
      {"PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n", "v1 header with a control or non-ASCII byte"},
      {"PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", "v1 header with the wrong number of fields"},
      {"PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n", "v1 header with the wrong number of fields"},
      {"PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n", "v1 header with the wrong number of fields"},
      {"PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n", "v1 header with the wrong number of fields"},
      {"PROXY \r\n", "v1 header with the wrong number of fields"},
      {"PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n",
       "v1 header with a protocol other than TCP4, TCP6 or UNKNOWN"},
      {"PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n", "v1 header with a bad IPv4 address"},
      {"PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n", "v1 header with a bad IPv4 address"},
      {"PROXY TCP4 ::1 5.6.7.8 1 2\r\n", "v1 header with a bad IPv4 address"},
      {"PROXY TCP4 1.2.3.4 host 1 2\r\n", "v1 header with a bad IPv4 address"},
      {"PROXY TCP6 1.2.3.4 ::1 1 2\r\n", "v1 header with a bad IPv6 address"},
      {"PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n", "v1 header with a bad IPv6 address"},
      {"PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", "v1 header with a bad port"},
      {"PROXY TCP4 1.2.3.4 5.6.7.8 1 -2\r\n", "v1 header with a bad port"},
      {"PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n", "v1 header with a bad port"},
      {"PROXY TCP4 1.2.3.4 5.6.7.8 1 000002\r\n", "v1 header with a bad port"},
      {"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\x01\r\n", "v1 header with a control or non-ASCII byte"},
      {"PROXY TCP4 1.2.3.4 5.6.7.8 1 \xff\r\n", "v1 header with a control or non-ASCII byte"},
      {v2_sig + "\x11", "v2 header of another version"},
      {v2_sig + "\x22", "v2 header with an unknown command"},
      {v2_sig + "\x21\x41", "v2 header with an unknown address family or protocol"},
      {v2_sig + "\x21\x13", "v2 header with an unknown address family or protocol"},
      {v2_sig + "\x21\x12" + be16(12) + v4_block, "v2 header for a datagram connection"},
      {v2_sig + "\x21\x11" + be16(11), "v2 header too short for its addresses"},
      {v2_sig + "\x21\x21" + be16(12) + v4_block, "v2 header too short for its addresses"},
      {v2_sig + "\x21\x11" + be16(proxy_v2_max_payload + 1), "v2 header longer than 1040 bytes"},
      {v2_sig + "\x20\x00"s + be16(0xffff), "v2 header longer than 1040 bytes"},
      {v2(0x21, 0x11, v4_block + "\x05"s), "v2 header with a malformed TLV"},
      {v2(0x21, 0x11, v4_block + "\x05"s + be16(2) + "a"), "v2 header with a malformed TLV"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.input);
    EXPECT_EQ(parse_proxy_header(c.input), proxy_result(proxy_invalid{c.reason}));
  }
}

TEST(ProxyHeader, NeverAsksForMoreThanItsBound) {
  // A v1 line without its end is refused once it is as long as a v1 line can be.
  std::string v1 = "PROXY UNKNOWN ";
  while (v1.size() < proxy_v1_max_bytes - 1) v1 += 'x';
  EXPECT_EQ(parse_proxy_header(v1), proxy_result(proxy_need_more{}));
  v1 += 'x';
  EXPECT_EQ(parse_proxy_header(v1),
            proxy_result(proxy_invalid{"v1 header longer than 107 bytes"}));
  // A v2 header says its length in the fixed part: one that asks for more than the bound is
  // refused at once, before any of its body is read.
  const std::string fixed = v2_sig + "\x21\x11" + be16(proxy_v2_max_payload);
  EXPECT_EQ(parse_proxy_header(fixed), proxy_result(proxy_need_more{}));
  EXPECT_EQ(parse_proxy_header(fixed + std::string(proxy_v2_max_payload - 1, '\0')),
            proxy_result(proxy_need_more{}));
}

TEST(ProxyHeader, AsksForMoreOnNothing) {
  EXPECT_EQ(parse_proxy_header(""), proxy_result(proxy_need_more{}));
  EXPECT_EQ(parse_proxy_header("P"), proxy_result(proxy_need_more{}));
  EXPECT_EQ(parse_proxy_header("\r"), proxy_result(proxy_need_more{}));
}

}  // namespace
}  // namespace chatd::protocol
