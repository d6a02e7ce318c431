// tls_sniffer: the verdict on a connection's first bytes, the same however they are cut.
#include "protocol/tls_sniff.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace chatd::protocol {
namespace {

using namespace std::string_literals;

struct sniff_case {
  std::string input;
  tls_verdict verdict;
};

// A TLS 1.2/1.3 ClientHello record header and the start of its body, as s_client sends it.
const std::string client_hello = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"s;

const std::vector<sniff_case> cases{
    {client_hello, tls_verdict::tls},
    {"\x16\x03"s, tls_verdict::tls},
    {"\x16\x03\x00"s, tls_verdict::tls},  // SSL 3.0 too: still not a chat line
    {"\x16"s, tls_verdict::undecided},
    {""s, tls_verdict::undecided},
    {"alice\n"s, tls_verdict::not_tls},
    {"/nick alice\r\n"s, tls_verdict::not_tls},
    {"\x16\x04"s, tls_verdict::not_tls},
    {"\x16" "alice"s, tls_verdict::not_tls},
    {"\x03\x16"s, tls_verdict::not_tls},
    {"GET / HTTP/1.1\r\n"s, tls_verdict::not_tls},
    {"\x80\x2e\x01\x03\x01"s, tls_verdict::not_tls},  // an SSLv2-style hello: not a handshake record
};

TEST(TlsSniffer, DecidesWithinTwoBytesAndTheSameAtEverySplitPoint) {
  for (const auto& c : cases) {
    for (std::size_t split = 0; split <= c.input.size(); ++split) {
      tls_sniffer sniffer;
      sniffer.feed(std::string_view(c.input).substr(0, split));
      EXPECT_EQ(sniffer.feed(std::string_view(c.input).substr(split)), c.verdict)
          << "input of " << c.input.size() << " bytes split at " << split;
      EXPECT_EQ(sniffer.verdict(), c.verdict);
    }
    tls_sniffer bytewise;
    for (char byte : c.input) bytewise.feed(std::string_view(&byte, 1));
    EXPECT_EQ(bytewise.verdict(), c.verdict) << "fed byte by byte, " << c.input.size() << " bytes";
  }
}

TEST(TlsSniffer, KeepsItsVerdictWhateverComesAfter) {
  tls_sniffer chat;
  EXPECT_EQ(chat.feed("alice\n"), tls_verdict::not_tls);
  EXPECT_EQ(chat.feed(client_hello), tls_verdict::not_tls);

  tls_sniffer tls;
  EXPECT_EQ(tls.feed(client_hello), tls_verdict::tls);
  EXPECT_EQ(tls.feed("alice\n"), tls_verdict::tls);
}

}  // namespace
}  // namespace chatd::protocol
