#include "config/ip_range.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <array>
#include <string>

namespace chatd {
namespace {

ip_range parsed(std::string_view text) {
  auto result = parse_ip_range(text);
  if (auto* error = std::get_if<std::string>(&result)) {
    ADD_FAILURE() << text << ": " << *error;
    return {};
  }
  return std::get<ip_range>(result);
}

std::string error_of(std::string_view text) {
  auto result = parse_ip_range(text);
  auto* error = std::get_if<std::string>(&result);
  return error ? *error : "";
}

// Whether `address` (text) is in `range` (text).
bool in(std::string_view range, const std::string& address) {
  std::array<std::uint8_t, 16> bytes{};
  const bool v6 = address.find(':') != std::string::npos;
  EXPECT_EQ(inet_pton(v6 ? AF_INET6 : AF_INET, address.c_str(), bytes.data()), 1) << address;
  return parsed(range).contains(v6, bytes.data());
}

TEST(IpRange, ReadsCidrRangesAndBareAddressesAndPrintsThemBack) {
  for (const auto& [text, shown] : std::vector<std::pair<std::string, std::string>>{
           {"10.0.0.0/8", "10.0.0.0/8"},
           {"127.0.0.1", "127.0.0.1/32"},
           {"0.0.0.0/0", "0.0.0.0/0"},
           {"192.0.2.128/25", "192.0.2.128/25"},
           {"::1", "::1/128"},
           {"2001:db8::/32", "2001:db8::/32"},
           {"2001:0db8:0000::/48", "2001:db8::/48"},
           {"::/0", "::/0"},
           {"::ffff:10.0.0.0/104", "10.0.0.0/8"},
           {"::ffff:192.0.2.7", "192.0.2.7/32"},
       }) {
    SCOPED_TRACE(text);
    const ip_range range = parsed(text);
    EXPECT_EQ(range.to_string(), shown);
    EXPECT_EQ(parsed(range.to_string()), range);
  }
}

TEST(IpRange, MatchesAddressesInsideOnly) {
  EXPECT_TRUE(in("10.0.0.0/8", "10.255.1.2"));
  EXPECT_FALSE(in("10.0.0.0/8", "11.0.0.1"));
  EXPECT_TRUE(in("127.0.0.1", "127.0.0.1"));
  EXPECT_FALSE(in("127.0.0.1", "127.0.0.2"));
  EXPECT_TRUE(in("192.0.2.128/25", "192.0.2.255"));
  EXPECT_FALSE(in("192.0.2.128/25", "192.0.2.127"));
  EXPECT_TRUE(in("0.0.0.0/0", "203.0.113.9"));
  EXPECT_TRUE(in("2001:db8::/32", "2001:db8:ffff::1"));
  EXPECT_FALSE(in("2001:db8::/32", "2001:db9::1"));
  EXPECT_TRUE(in("::1", "::1"));
  EXPECT_FALSE(in("::1", "::2"));
  EXPECT_TRUE(in("2001:db8::/31", "2001:db9::1"));  // a prefix that ends inside a byte
  // The families never mix: the caller unmaps ::ffff:a.b.c.d first.
  EXPECT_FALSE(in("0.0.0.0/0", "::1"));
  EXPECT_FALSE(in("::/0", "127.0.0.1"));
  EXPECT_TRUE(in("::ffff:127.0.0.0/104", "127.0.0.1"));
}

TEST(IpRange, RefusesWhatIsNotARangeWithTheReason) {
  const std::string form =
      "expected an IP address or a CIDR range, e.g. 10.0.0.0/8, 192.0.2.7, 2001:db8::/32 or ::1";
  for (const char* text : {"", "localhost", "10.0.0", "10.0.0.0/", "10.0.0.0/x", "10.0.0.0/+8",
                           "10.0.0.0/8/8", "/8", "[::1]", "::1%lo", "1.2.3.4:80", " 10.0.0.0/8",
                           "10.0.0.0/0008"}) {
    EXPECT_EQ(error_of(text), form) << text;
  }
  EXPECT_EQ(error_of("10.0.0.0/33"), "expected a prefix length from 0 to 32 after '/'");
  EXPECT_EQ(error_of("::/129"), "expected a prefix length from 0 to 128 after '/'");
  EXPECT_EQ(error_of("10.1.2.3/8"),
            "expected no address bits set past the prefix length, e.g. 10.0.0.0/8");
  EXPECT_EQ(error_of("2001:db8::1/32"),
            "expected no address bits set past the prefix length, e.g. 2001:db8::/32");
}

}  // namespace
}  // namespace chatd
