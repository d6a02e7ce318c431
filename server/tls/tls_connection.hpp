// A TLS connection: the handshake, then the same contract as tcp_connection (connection.hpp)
// over an asio::ssl::stream. The chat client on top is the same, with the same limits.
//
// What differs from the plain connection, and why: OpenSSL reads and writes through its own
// buffers, so the reader holds a small buffer of its own while it waits (the loop's shared
// one cannot be lent across a wait), and the writer copies up to max_bytes_per_write of
// queued lines into one flat buffer per write, which OpenSSL seals into as few records (and
// socket writes) as it can; a buffer per line would be a record per line.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include <asio/ip/tcp.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/steady_timer.hpp>

#include "server/loop/coroutine.hpp"
#include "server/tls/tls_shared.hpp"
#include "server/transport/connection.hpp"
#include "server/transport/outbound_queue.hpp"
#include "server/transport/transport_context.hpp"

namespace chatd {

class tls_connection final : public connection,
                             public std::enable_shared_from_this<tls_connection> {
 public:
  // One TLS record is at most 16 KiB; four per write keep a busy member's cost per line low
  // and the loop fair.
  static constexpr std::size_t max_bytes_per_write = 64 * 1024;

  tls_connection(transport_context& ctx, tls_shared& tls, asio::ip::tcp::socket socket,
                 std::uint64_t id, std::string peer, std::string address);
  tls_connection(const tls_connection&) = delete;
  tls_connection& operator=(const tls_connection&) = delete;

  // Starts the handshake; input reaches `handler` once it is done, and lines it queues
  // meanwhile are written then.
  void start(connection_handler& handler) override;
  void detach() noexcept override { handler_ = nullptr; }
  using connection::send;
  bool send(const line_ptr& line, send_urgency urgency) override;
  void send_last(line_ptr line) override;
  void wake_reader() override;
  // Before the handshake is done there is nothing to flush: a stop then cuts.
  void stop(stop_mode mode, steady_time flush_deadline) override;
  // Also ends a handshake past tls.handshake_timeout.
  void on_tick(steady_time now) override;

  std::size_t queued_bytes() const noexcept override { return queue_.bytes() + out_.size(); }
  const std::string& peer() const noexcept override { return peer_; }
  const std::string& address() const noexcept override { return address_; }

 private:
  detached_coroutine run(std::shared_ptr<tls_connection> self);
  detached_coroutine write_loop(std::shared_ptr<tls_connection> self);
  bool handshake_done(const asio::error_code& ec);
  void schedule_writer();
  void flushed();
  void end(disconnect_reason reason, stop_mode mode);
  void fail();
  void close_socket() noexcept;
  void finish_if_done();
  std::string task_name(const char* part) const;

  transport_context& ctx_;
  tls_shared& tls_;
  std::shared_ptr<asio::ssl::context> context_;  // before stream_, which uses it
  asio::ssl::stream<asio::ip::tcp::socket> stream_;
  const std::uint64_t id_;
  const std::string peer_;
  const std::string address_;
  connection_handler* handler_ = nullptr;  // until on_finished or detach

  outbound_queue queue_;
  std::string out_;  // the lines of the write under way, copied flat

  std::array<char, 4096> input_{};  // decrypted input; the handler may leave part of it
  std::unique_ptr<asio::steady_timer> reader_wake_;  // made on the first pause only
  steady_time handshake_deadline_ = steady_time::max();

  bool handshaken_ = false;
  bool handshake_timed_out_ = false;
  bool reader_paused_ = false;
  bool reader_done_ = false;
  bool writer_posted_ = false;
  bool writing_ = false;
  bool flushed_ = false;  // a flush stop wrote everything and shut our side down
  bool stopping_ = false;
  bool cut_ = false;
  bool overflowed_ = false;
  bool finished_ = false;
  steady_time deadline_ = steady_time::max();
};

}  // namespace chatd
