// listen.proxy_protocol at accept: which peers send a PROXY header first, reading it on each of
// their connections with a deadline, and handing the socket on with the client's address. A
// connection from any other peer never has a header read.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <vector>

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include "config/ip_range.hpp"
#include "server/chat/server_metrics.hpp"
#include "server/logging/log_throttle.hpp"

namespace chatd {

class proxy_gate {
 public:
  // Serves a connection whose header was read: `client` is the address it names (the
  // socket's own peer for LOCAL and UNKNOWN), `balancer` the socket's peer.
  using admit_fn = std::function<void(asio::ip::tcp::socket socket, bool tls,
                                      const asio::ip::tcp::endpoint& client,
                                      const asio::ip::tcp::endpoint& balancer)>;

  proxy_gate(server_metrics& metrics, admit_fn admit);
  ~proxy_gate();
  proxy_gate(const proxy_gate&) = delete;
  proxy_gate& operator=(const proxy_gate&) = delete;

  // The peers whose connections start with a header; a reload sets them for the connections
  // accepted after it.
  void set_trusted(std::vector<ip_range> ranges) { trusted_ = std::move(ranges); }
  // True if connections from `peer` start with a header (an IPv4-mapped address counts as
  // the IPv4 address it maps).
  bool trusts(const asio::ip::address& peer) const;

  // Reads the header of `socket` (from a trusted peer) for up to `timeout`, then admits it.
  // A malformed header, or none by then, closes it: counted in chatd_connections_rejected_total
  // {reason="bad-proxy-header"} and logged (one line a second). A peer that closes without
  // sending a byte (a balancer's TCP health check) is only logged at debug.
  // `tls`: it came to the TLS listener (the handshake follows the header).
  void start(asio::ip::tcp::socket socket, std::chrono::milliseconds timeout, bool tls);

  // Connections whose header is still being read.
  std::size_t pending() const noexcept { return pending_->size(); }
  // Shutdown: every pending read ends at once and its connection is closed.
  void cancel_all();

 private:
  using pending_list = std::list<asio::ip::tcp::socket*>;

  asio::awaitable<void> read_then_admit(asio::ip::tcp::socket socket, bool tls,
                                        std::chrono::steady_clock::time_point deadline,
                                        std::shared_ptr<pending_list> pending,
                                        std::shared_ptr<bool> alive);

  server_metrics& metrics_;
  admit_fn admit_;
  std::vector<ip_range> trusted_;
  // Shared with the readers, which may outlive the gate if the loop is torn down under them;
  // `alive_` tells them whether it still exists.
  std::shared_ptr<pending_list> pending_ = std::make_shared<pending_list>();
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  log_throttle log_;
};

}  // namespace chatd
