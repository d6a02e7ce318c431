#include "server/tls/tls_connection.hpp"

#include <algorithm>
#include <utility>

#include <asio/post.hpp>
#include <asio/ssl/error.hpp>
#include <asio/write.hpp>
#include <spdlog/spdlog.h>

#include "server/loop/guard.hpp"

namespace chatd {

namespace {

// As for plain connections (tcp_connection.cpp): once our last byte is out, how long the peer
// gets to close its side before the socket is cut.
constexpr std::chrono::seconds linger_after_flush{1};

// The flat write buffer of a burst is given back when the connection is idle again.
constexpr std::size_t keep_out_capacity = 4096;

// An operation that completes with a byte count as well as an error code.
template <class Start>
auto transfer(std::size_t& n, Start start) {
  return completion([&n, start = std::move(start)](resume_handler done) mutable {
    start([&n, done = std::move(done)](const asio::error_code& ec, std::size_t bytes) mutable {
      n = bytes;
      done(ec);
    });
  });
}

}  // namespace

tls_connection::tls_connection(transport_context& ctx, tls_shared& tls,
                               asio::ip::tcp::socket socket, std::uint64_t id, std::string peer,
                               std::string address)
    : ctx_(ctx),
      tls_(tls),
      context_(tls.context),
      stream_(std::move(socket), *context_),
      id_(id),
      peer_(std::move(peer)),
      address_(std::move(address)) {}

std::string tls_connection::task_name(const char* part) const {
  return "conn " + std::to_string(id_) + " " + part;
}

void tls_connection::start(connection_handler& handler) {
  handler_ = &handler;
  asio::error_code ignored;
  stream_.lowest_layer().set_option(asio::ip::tcp::no_delay(true), ignored);
  handshake_deadline_ = std::chrono::steady_clock::now() + tls_.handshake_timeout;
  run(shared_from_this());
}

// ---------------------------------------------------------------------------------------------
// Handshake and reading

// True if the connection may go on. A failure is counted, logged (throttled: a port scan is
// many of them) and ends the connection without a word, which a client without TLS could not
// read anyway.
bool tls_connection::handshake_done(const asio::error_code& ec) {
  if (!ec && !cut_) {
    handshaken_ = true;
    handshake_deadline_ = steady_time::max();
    tls_.handshakes(handshake_result::ok).inc();
    tls_.active.inc();
    if (!queue_.empty()) schedule_writer();  // what the client was told meanwhile
    return true;
  }
  if (handshake_timed_out_) {
    tls_.handshakes(handshake_result::timeout).inc();
    if (tls_.handshake_log.allow(std::chrono::steady_clock::now())) {
      spdlog::info("conn {} TLS handshake timed out peer={} ({} more handshake failures not "
                   "logged)",
                   id_, peer_, tls_.handshake_log.suppressed());
    }
    end(disconnect_reason::tls_handshake_timeout, stop_mode::cut);
    return false;
  }
  if (cut_) return false;  // stopped meanwhile (shutdown): not the handshake's fault
  tls_.handshakes(handshake_result::failed).inc();
  if (tls_.handshake_log.allow(std::chrono::steady_clock::now())) {
    spdlog::info("conn {} TLS handshake failed peer={}: {} ({} more handshake failures not "
                 "logged)",
                 id_, peer_, ec.message(), tls_.handshake_log.suppressed());
  }
  end(disconnect_reason::tls_handshake_failed, stop_mode::cut);
  return false;
}

detached_coroutine tls_connection::run([[maybe_unused]] std::shared_ptr<tls_connection> self) {
  try {
    const asio::error_code handshake_error = co_await completion([this](resume_handler done) {
      stream_.async_handshake(asio::ssl::stream_base::server, std::move(done));
    });
    if (handshake_done(handshake_error)) {
      for (;;) {
        std::size_t n = 0;
        const asio::error_code ec = co_await transfer(n, [this](auto done) {
          stream_.async_read_some(asio::buffer(input_), std::move(done));
        });
        if (cut_) break;  // the socket is closed
        if (ec) {
          // A peer that closes without close_notify (stream_truncated) has closed all the same.
          const bool closed = ec == asio::error::eof || ec == asio::ssl::error::stream_truncated;
          end(closed ? disconnect_reason::closed : disconnect_reason::reset, stop_mode::flush);
          break;
        }
        ctx_.bytes_received.inc(static_cast<double>(n));
        if (stopping_ || handler_ == nullptr) continue;  // draining until the peer closes

        // The handler may leave input in input_: nothing is read into it until it is done.
        std::string_view input(input_.data(), n);
        for (;;) {
          const steady_time resume = handler_->on_input(input);
          if (resume == steady_time::min() || stopping_) break;
          if (!reader_wake_) {
            reader_wake_ = std::make_unique<asio::steady_timer>(stream_.get_executor());
          }
          reader_wake_->expires_at(resume);
          reader_paused_ = true;
          co_await completion(
              [this](resume_handler done) { reader_wake_->async_wait(std::move(done)); });
          reader_paused_ = false;
          if (stopping_ || handler_ == nullptr) break;
        }
      }
    }
  } catch (...) {
    reader_paused_ = false;
    task_failed([&] { return task_name("reader"); }, [&] { fail(); });
  }
  reader_done_ = true;
  finish_if_done();
}

void tls_connection::wake_reader() {
  if (reader_paused_) reader_wake_->cancel();
}

// ---------------------------------------------------------------------------------------------
// Writing

bool tls_connection::send(const line_ptr& line, send_urgency) {
  if (stopping_ || overflowed_ || line.empty()) return false;
  // The same bound as a plain connection's (tcp_connection::send says why one line passes).
  if (queued_bytes() > 0 && queued_bytes() + line.size() > ctx_.max_outbound_bytes) {
    overflowed_ = true;
    queue_.clear();
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      guarded([&] { self->end(disconnect_reason::slow_consumer, stop_mode::flush); },
              [&] { return self->task_name("writer"); }, [&] { self->fail(); });
    });
    return false;
  }
  queue_.push(line);
  schedule_writer();
  return true;
}

void tls_connection::send_last(line_ptr line) {
  if (cut_ || line.empty()) return;
  queue_.push(std::move(line));
  schedule_writer();
}

// The writer runs from a later turn, never nested in a caller that may be iterating a member
// list, and writes everything that turn queued. Coalesced presence lines go out with it: the
// TLS connection has no coalescing delay of its own.
void tls_connection::schedule_writer() {
  if (!handshaken_ || cut_ || writing_ || writer_posted_) return;
  writer_posted_ = true;
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    self->writer_posted_ = false;
    if (!self->cut_) self->write_loop(self);
    self->finish_if_done();
  });
}

detached_coroutine tls_connection::write_loop(
    [[maybe_unused]] std::shared_ptr<tls_connection> self) {
  writing_ = true;
  try {
    while (!cut_ && !queue_.empty()) {
      // Lines leave the queue as they are copied; the byte bound still counts them in out_.
      while (!queue_.empty() &&
             (out_.empty() || out_.size() + queue_.peek(0).size() <= max_bytes_per_write)) {
        const line_ptr line = queue_.take_front();
        out_.append(line.data(), line.size());
      }
      std::size_t n = 0;
      const asio::error_code ec = co_await transfer(n, [this](auto done) {
        asio::async_write(stream_, asio::buffer(out_), std::move(done));
      });
      ctx_.bytes_sent.inc(static_cast<double>(n));
      out_.clear();
      if (ec) {
        writing_ = false;
        if (!cut_) end(disconnect_reason::reset, stop_mode::cut);
        finish_if_done();
        co_return;
      }
    }
  } catch (...) {
    writing_ = false;
    out_.clear();
    task_failed([&] { return task_name("writer"); }, [&] { fail(); });
  }
  writing_ = false;
  if (stopping_ && !cut_ && queue_.empty()) flushed();
  finish_if_done();
}

// Everything is out: tell the peer, and let the reader wait for its side to close (as a plain
// connection does), within the linger.
void tls_connection::flushed() {
  if (flushed_) return;
  flushed_ = true;
  asio::error_code ignored;
  stream_.lowest_layer().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  deadline_ = std::min(deadline_, std::chrono::steady_clock::now() + linger_after_flush);
}

// ---------------------------------------------------------------------------------------------
// Ending

void tls_connection::end(disconnect_reason reason, stop_mode mode) {
  if (handler_) handler_->on_transport_end(reason, mode);
  stop(mode, std::chrono::steady_clock::now());
}

void tls_connection::fail() {
  ctx_.failures.inc();
  end(disconnect_reason::error, stop_mode::cut);
}

void tls_connection::close_socket() noexcept {
  asio::error_code ignored;
  stream_.lowest_layer().close(ignored);  // ends the handshake's, the reader's and writer's waits
}

void tls_connection::stop(stop_mode mode, steady_time flush_deadline) {
  if (cut_ || (stopping_ && mode == stop_mode::flush)) return;
  if (!stopping_) deadline_ = flush_deadline;
  stopping_ = true;
  if (mode == stop_mode::cut || !handshaken_) {
    cut_ = true;
    queue_.clear();
    close_socket();
  } else if (!writing_ && !writer_posted_) {
    if (queue_.empty()) {
      flushed();
    } else {
      schedule_writer();  // flushes, then shuts our side down
    }
  }
  wake_reader();
  finish_if_done();
}

void tls_connection::on_tick(steady_time now) {
  queue_.trim();
  if (!writing_ && out_.capacity() > keep_out_capacity) std::string().swap(out_);
  if (!handshaken_ && !cut_ && now >= handshake_deadline_) {
    // The handshake's wait ends with the socket and handshake_done counts the timeout.
    handshake_timed_out_ = true;
    close_socket();
  }
  if (stopping_ && !cut_ && now >= deadline_) stop(stop_mode::cut, now);
}

void tls_connection::finish_if_done() {
  if (finished_ || !reader_done_ || writing_ || writer_posted_) return;
  if (!cut_ && !flushed_) return;
  finished_ = true;
  if (handshaken_) tls_.active.dec();
  close_socket();
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    if (auto* handler = std::exchange(self->handler_, nullptr)) handler->on_finished();
  });
}

}  // namespace chatd
