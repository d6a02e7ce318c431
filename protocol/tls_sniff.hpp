// Tells a TLS client from a chat client by the first bytes it sends, so that a TLS client on
// the plain port can be closed and counted instead of being answered in plain text it cannot
// read. A TLS connection opens with a handshake record: content type 0x16, then the major
// version 0x03. No chat line starts with 0x16 (a control character).
#pragma once

#include <cstdint>
#include <string_view>

namespace chatd::protocol {

enum class tls_verdict : unsigned char { undecided, tls, not_tls };

// Fed the connection's input from its first byte on, in pieces of any size; decides within
// the first two bytes and keeps its verdict after that.
class tls_sniffer {
 public:
  tls_verdict feed(std::string_view input) noexcept;
  tls_verdict verdict() const noexcept { return verdict_; }

 private:
  tls_verdict verdict_ = tls_verdict::undecided;
  std::uint8_t seen_ = 0;  // bytes looked at so far (0 or 1 while undecided)
};

}  // namespace chatd::protocol
