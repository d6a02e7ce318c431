#include "connection.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

#include "clock.hpp"

namespace chatbench {

namespace {

constexpr std::size_t max_read_buffer = 16u << 20;

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

}  // namespace

connection::connection(asio::io_context& io, connection_handler& handler, std::size_t id,
                       std::unique_ptr<protocol> proto, std::size_t read_buffer,
                       asio::ssl::context* tls)
    : socket_(io),
      tls_(tls ? std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(socket_, *tls)
               : nullptr),
      handler_(handler),
      id_(id),
      proto_(std::move(proto)),
      buf_(new char[read_buffer]),
      cap_(read_buffer) {}

void connection::connect(const asio::ip::tcp::endpoint& server, const asio::ip::address& source) {
  std::error_code ec;
  socket_.open(server.protocol(), ec);
  if (ec) return fail("socket: " + ec.message() + " (raise the open file limit?)");
  if (!source.is_unspecified()) {
    // Let connect() pick the port for the full 4-tuple, so each source address has the whole
    // ephemeral range per server port.
    const int one = 1;
    ::setsockopt(socket_.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    socket_.bind(asio::ip::tcp::endpoint(source, 0), ec);
    if (ec) return fail("bind " + source.to_string() + ": " + ec.message());
  }
  socket_.async_connect(server, [this](const std::error_code& e) {
    if (closed_) return;
    if (e) return fail("connect: " + e.message());
    std::error_code ignored;
    socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
    if (!tls_) return start_session();
    tls_->async_handshake(asio::ssl::stream_base::client, [this](const std::error_code& h) {
      if (closed_) return;
      if (h) return fail("TLS handshake: " + h.message());
      start_session();
    });
  });
}

void connection::start_session() {
  proto_->hello(pending_);
  flush();
  start_read();
}

void connection::close() {
  if (closed_) return;
  closed_ = true;
  std::error_code ignored;
  socket_.close(ignored);
}

void connection::flush() {
  if (write_busy_ || pending_.empty() || closed_) return;
  writing_.swap(pending_);
  write_busy_ = true;
  ++writes_;
  with_stream([this](auto& stream) {
    asio::async_write(stream, asio::buffer(writing_), [this](const std::error_code& e, std::size_t) {
      write_busy_ = false;
      writing_.clear();
      if (closed_) return;
      if (e) return fail("write: " + e.message());
      flush();
    });
  });
}

void connection::start_read() {
  with_stream([this](auto& stream) {
    stream.async_read_some(asio::buffer(buf_.get() + fill_, cap_ - fill_),
                           [this](const std::error_code& e, std::size_t n) { on_read(e, n); });
  });
}

void connection::on_read(const std::error_code& ec, std::size_t n) {
  if (closed_) return;
  if (ec) {
    if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated)
      return fail("the server closed the connection");
    return fail("read: " + ec.message());
  }
  fill_ += n;
  ++reads_;
  bytes_read_ += n;
  now_ns_ = steady_ns();
  const std::size_t used = proto_->parse(buf_.get(), fill_, *this);
  if (closed_) return;
  if (used > 0) {
    fill_ -= used;
    if (fill_ > 0) std::memmove(buf_.get(), buf_.get() + used, fill_);
  }
  if (fill_ == cap_) {
    // One frame larger than the buffer (a big join reply): grow.
    if (cap_ >= max_read_buffer) return fail("a server frame is larger than 16 MiB");
    std::unique_ptr<char[]> bigger(new char[cap_ * 2]);
    std::memcpy(bigger.get(), buf_.get(), fill_);
    buf_ = std::move(bigger);
    cap_ *= 2;
  }
  handler_.on_read_done(*this);
  if (closed_) return;
  flush();
  start_read();
}

void connection::fail(const std::string& what) {
  if (closed_) return;
  handler_.on_fail(*this, what);
  close();
}

void connection::on_ready(std::uint64_t base_seq) { handler_.on_ready(*this, base_seq); }

void connection::on_delivery(std::string_view payload, std::uint64_t room_seq) {
  handler_.on_delivery(*this, payload, room_seq, now_ns_);
}

void connection::on_acks(std::uint64_t n) { handler_.on_acks(*this, n); }

void connection::on_fail(std::string what) { fail(what); }

void connection::send_now(std::string_view bytes) { pending_ += bytes; }

}  // namespace chatbench
