// "1.2.3.4:5678" or "[::1]:5678", as written in logs and config.
#pragma once

#include <string>

#include <asio/ip/tcp.hpp>

namespace chatd {

inline std::string endpoint_text(const asio::ip::tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  // Appended piece by piece: GCC 12 warns (-Wrestrict, a false positive) on the chained
  // operator+ at -O2 and above.
  std::string text;
  if (address.is_v6()) {
    text += '[';
    text += address.to_string();
    text += ']';
  } else {
    text += address.to_string();
  }
  text += ':';
  text += std::to_string(endpoint.port());
  return text;
}

}  // namespace chatd
