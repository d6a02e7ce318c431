// A plain TCP connection: one reader coroutine per connection, and a writer that writes from
// the loop turn after a delivery and becomes a coroutine only while the socket is full.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include "protocol/tls_sniff.hpp"
#include "server/loop/coroutine.hpp"
#include "server/transport/connection.hpp"
#include "server/transport/gathered_writer.hpp"
#include "server/transport/outbound_queue.hpp"
#include "server/transport/transport_context.hpp"

namespace chatd {

class tcp_connection final : public connection,
                             public std::enable_shared_from_this<tcp_connection> {
 public:
  tcp_connection(transport_context& ctx, asio::ip::tcp::socket socket, std::uint64_t id,
                 std::string peer, std::string address);
  tcp_connection(const tcp_connection&) = delete;
  tcp_connection& operator=(const tcp_connection&) = delete;

  void start(connection_handler& handler) override;
  void detach() noexcept override { handler_ = nullptr; }
  using connection::send;
  bool send(const line_ptr& line, send_urgency urgency) override;
  void send_last(line_ptr line) override;
  void wake_reader() override;
  void stop(stop_mode mode, steady_time flush_deadline) override;
  void on_tick(steady_time now) override;

  // The write pass's turn: writes what is queued (write_pass.hpp).
  void write_due() noexcept;
  // The coalescing delay is over (coalesced_writes.hpp): write unless that happened already.
  void flush_coalesced();

  std::size_t queued_bytes() const noexcept override { return queue_.bytes() + writer_.in_flight(); }
  const std::string& peer() const noexcept override { return peer_; }
  const std::string& address() const noexcept override { return address_; }

 private:
  // coalescing: lines are queued, and the writer waits in coalesced_writes for company.
  enum class writer_state : unsigned char { idle, coalescing, scheduled, blocked, done };
  // No write is under way or due this turn: the writer may be scheduled (or ended).
  bool writer_unscheduled() const noexcept {
    return writer_state_ == writer_state::idle || writer_state_ == writer_state::coalescing;
  }

  detached_coroutine read_loop(std::shared_ptr<tcp_connection> self);
  detached_coroutine drain(std::shared_ptr<tcp_connection> self);
  void schedule_writer();
  void schedule_coalesced();
  void write_now();
  void writer_finished(bool failed);
  // The transport ends by itself: tell the handler (which stops us) and stop anyway.
  void end(disconnect_reason reason, stop_mode mode);
  void fail();
  void finish_if_done();
  std::string task_name(const char* part) const;

  transport_context& ctx_;
  asio::ip::tcp::socket socket_;
  const std::uint64_t id_;
  const std::string peer_;
  const std::string address_;
  connection_handler* handler_ = nullptr;  // until on_finished or detach

  outbound_queue queue_;
  gathered_writer writer_;
  writer_state writer_state_ = writer_state::idle;

  std::string inbox_;  // input the handler left while it waits (the read buffer is shared)
  std::unique_ptr<asio::steady_timer> reader_wake_;  // made on the first pause only
  bool reader_paused_ = false;
  bool reader_done_ = false;
  protocol::tls_sniffer sniffer_;  // a TLS client on this plain port is closed, not answered

  bool stopping_ = false;
  bool cut_ = false;
  bool overflowed_ = false;
  bool finished_ = false;
  steady_time deadline_ = steady_time::max();
};

}  // namespace chatd
