// One TCP connection of the generator: connect (optionally from a chosen loopback source
// address), a read loop that hands whole reads to the protocol adapter, and gathered writes
// (everything queued while a write is in flight goes out in the next single write).
#pragma once

#include <asio.hpp>
#include <asio/ssl.hpp>

#include <cstdint>
#include <memory>
#include <string>

#include "protocol.hpp"

namespace chatbench {

class connection;

// What the run does with a connection's events. `now_ns` is the steady clock at the read
// that brought the message (one clock read per read call, shared by every message in it).
class connection_handler {
 public:
  virtual void on_ready(connection& c, std::uint64_t base_seq) = 0;
  virtual void on_delivery(connection& c, std::string_view payload, std::uint64_t room_seq,
                           std::uint64_t now_ns) = 0;
  virtual void on_acks(connection& c, std::uint64_t n) = 0;
  virtual void on_read_done(connection& c) = 0;
  virtual void on_fail(connection& c, const std::string& what) = 0;

 protected:
  ~connection_handler() = default;
};

class connection final : private protocol_sink {
 public:
  // With `tls`, the connection speaks TLS with that client context once connected.
  connection(asio::io_context& io, connection_handler& handler, std::size_t id,
             std::unique_ptr<protocol> proto, std::size_t read_buffer,
             asio::ssl::context* tls = nullptr);
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  // Connects to `server`, binding to `source` first unless it is unspecified, shakes hands
  // if over TLS, then sends the adapter's hello and starts reading.
  void connect(const asio::ip::tcp::endpoint& server, const asio::ip::address& source);
  void close();

  std::size_t id() const { return id_; }
  protocol& proto() { return *proto_; }
  // Append bytes to send, then flush().
  std::string& out() { return pending_; }
  void flush();
  std::uint64_t read_time_ns() const { return now_ns_; }
  std::uint64_t reads() const { return reads_; }
  // Bytes received and writes started (one per flush that had something to send).
  std::uint64_t bytes_read() const { return bytes_read_; }
  std::uint64_t writes() const { return writes_; }

 private:
  void start_read();
  void start_session();
  // Calls `op` with the stream that carries the protocol: the socket, or TLS over it.
  template <class Op>
  void with_stream(Op&& op) {
    if (tls_) {
      op(*tls_);
    } else {
      op(socket_);
    }
  }
  void on_read(const std::error_code& ec, std::size_t n);
  void fail(const std::string& what);

  // protocol_sink
  void on_ready(std::uint64_t base_seq) override;
  void on_delivery(std::string_view payload, std::uint64_t room_seq) override;
  void on_acks(std::uint64_t n) override;
  void on_fail(std::string what) override;
  void send_now(std::string_view bytes) override;

  asio::ip::tcp::socket socket_;
  std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket&>> tls_;
  connection_handler& handler_;
  std::size_t id_;
  std::unique_ptr<protocol> proto_;
  std::unique_ptr<char[]> buf_;
  std::size_t cap_;
  std::size_t fill_ = 0;
  std::string pending_;
  std::string writing_;
  bool write_busy_ = false;
  bool closed_ = false;
  std::uint64_t now_ns_ = 0;
  std::uint64_t reads_ = 0;
  std::uint64_t bytes_read_ = 0;
  std::uint64_t writes_ = 0;
};

}  // namespace chatbench
