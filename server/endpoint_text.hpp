// "1.2.3.4:5678" or "[::1]:5678", as written in logs and config.
#pragma once

#include <string>

#include <asio/ip/tcp.hpp>

namespace chatd {

inline std::string endpoint_text(const asio::ip::tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  if (address.is_v6()) return "[" + address.to_string() + "]:" + std::to_string(endpoint.port());
  return address.to_string() + ":" + std::to_string(endpoint.port());
}

}  // namespace chatd
