// Reads the PROXY protocol header a balancer sends first on a connection (protocol/proxy_header),
// on the accepted socket and before anything else reads it. Only the header's own bytes are
// taken from the socket (it peeks, then consumes what belongs to the header), so what the client
// sent after it stays in the socket for whoever reads next: the chat connection, or a TLS
// handshake.
#pragma once

#include <chrono>
#include <string>

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

namespace chatd {

struct proxy_header_result {
  enum class outcome {
    ok,         // `client` is the address to use
    invalid,    // not a valid header (`reason` says what was wrong)
    timed_out,  // no whole header by the deadline
    closed,     // the peer closed or reset first; `reason` says whether it had sent anything
    cancelled,  // the socket was cancelled or closed under the reader (shutdown)
  };
  outcome result = outcome::closed;
  // With ok: the client the header names, or the socket's own peer for v2 LOCAL and v1
  // UNKNOWN (a balancer's health check, an address it could not tell). IPv4-mapped IPv6
  // addresses are given as IPv4.
  asio::ip::tcp::endpoint client;
  bool local = false;  // ok, but the header named no client
  int version = 0;     // 1 or 2 with ok
  bool nothing_sent = false;  // not ok, and not a byte had come (a TCP health check, say)
  std::string reason;  // for the log, when not ok
};

// Reads the header from `socket` (which it puts in non-blocking mode) until it is whole,
// invalid, the peer goes, or `deadline` passes. The socket must outlive the call; cancelling
// it ends the read with `cancelled`.
asio::awaitable<proxy_header_result> read_proxy_header(
    asio::ip::tcp::socket& socket, std::chrono::steady_clock::time_point deadline);

}  // namespace chatd
