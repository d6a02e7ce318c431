#include "protocol/tls_sniff.hpp"

namespace chatd::protocol {

namespace {
constexpr unsigned char handshake_record = 0x16;
constexpr unsigned char tls_major_version = 0x03;
}  // namespace

tls_verdict tls_sniffer::feed(std::string_view input) noexcept {
  for (std::size_t i = 0; i < input.size() && verdict_ == tls_verdict::undecided; ++i) {
    const auto byte = static_cast<unsigned char>(input[i]);
    if (seen_ == 0) {
      if (byte != handshake_record) verdict_ = tls_verdict::not_tls;
    } else {
      verdict_ = byte == tls_major_version ? tls_verdict::tls : tls_verdict::not_tls;
    }
    ++seen_;
  }
  return verdict_;
}

}  // namespace chatd::protocol
