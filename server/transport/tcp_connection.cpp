#include "server/transport/tcp_connection.hpp"

#include <algorithm>
#include <utility>

#include <asio/post.hpp>

#include "server/loop/guard.hpp"

namespace chatd {

namespace {

// Once our last byte is out, how long the peer gets to close its side before the socket is
// cut. Waiting for its FIN keeps the kernel from resetting the connection over unread input
// (which can destroy our last lines, the bye among them, before the peer reads them).
constexpr std::chrono::seconds linger_after_flush{1};

// Input left over while the handler waits is kept in inbox_; a burst's worth is given back.
constexpr std::size_t keep_inbox_capacity = 4096;

}  // namespace

tcp_connection::tcp_connection(transport_context& ctx, asio::ip::tcp::socket socket,
                               std::uint64_t id, std::string peer, std::string address)
    : ctx_(ctx),
      socket_(std::move(socket)),
      id_(id),
      peer_(std::move(peer)),
      address_(std::move(address)),
      writer_(ctx.write_buffer) {}

std::string tcp_connection::task_name(const char* part) const {
  return "conn " + std::to_string(id_) + " " + part;
}

void tcp_connection::start(connection_handler& handler) {
  handler_ = &handler;
  asio::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);  // we batch writes ourselves
  socket_.non_blocking(true, ignored);
  read_loop(shared_from_this());
}

// ---------------------------------------------------------------------------------------------
// Reading

// The one loop of a connection's input: wait for readability without holding a buffer, read
// into the loop's buffer, hand the bytes to the handler, and pause where it asks.
detached_coroutine tcp_connection::read_loop([[maybe_unused]] std::shared_ptr<tcp_connection> self) {
  try {
    for (;;) {
      const asio::error_code wait_error = co_await completion([this](resume_handler done) {
        socket_.async_wait(asio::socket_base::wait_read, std::move(done));
      });
      if (wait_error) break;  // cut: the socket is closed
      asio::error_code ec;
      const std::size_t n = socket_.read_some(asio::buffer(ctx_.read_buffer), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) continue;
      if (ec) {
        end(ec == asio::error::eof ? disconnect_reason::closed : disconnect_reason::reset,
            stop_mode::flush);
        break;
      }
      ctx_.bytes_received.inc(static_cast<double>(n));
      if (stopping_ || handler_ == nullptr) continue;  // draining until the peer closes
      if (sniffer_.verdict() == protocol::tls_verdict::undecided &&
          sniffer_.feed({ctx_.read_buffer.data(), n}) == protocol::tls_verdict::tls) {
        end(disconnect_reason::tls_on_plain_port, stop_mode::cut);
        break;
      }

      std::string_view input(ctx_.read_buffer.data(), n);
      for (bool in_inbox = false;; in_inbox = true) {
        const steady_time resume = handler_->on_input(input);
        if (resume == steady_time::min() || stopping_) break;
        // Keep what is left: other connections reuse the read buffer meanwhile.
        if (in_inbox) {
          inbox_.erase(0, inbox_.size() - input.size());
        } else {
          inbox_.assign(input);
        }
        if (!reader_wake_) {
          reader_wake_ = std::make_unique<asio::steady_timer>(socket_.get_executor());
        }
        reader_wake_->expires_at(resume);
        reader_paused_ = true;
        co_await completion(
            [this](resume_handler done) { reader_wake_->async_wait(std::move(done)); });
        reader_paused_ = false;
        if (stopping_ || handler_ == nullptr) break;
        input = inbox_;
      }
      inbox_.clear();
      if (inbox_.capacity() > keep_inbox_capacity) std::string().swap(inbox_);
    }
  } catch (...) {
    reader_paused_ = false;
    task_failed([&] { return task_name("reader"); }, [&] { fail(); });
  }
  reader_done_ = true;
  finish_if_done();
}

void tcp_connection::wake_reader() {
  if (reader_paused_) reader_wake_->cancel();
}

// ---------------------------------------------------------------------------------------------
// Writing

bool tcp_connection::send(const line_ptr& line, send_urgency urgency) {
  if (stopping_ || overflowed_ || line.empty()) return false;
  // A line alone is never too much: JSON escaping can make a line of max_line_bytes twice as
  // long, and a reader that keeps up must still get it (nor is a room's run of messages, at
  // most 64 KiB and a line: message_run.hpp). Memory stays bounded by the limit plus one line.
  if (queued_bytes() > 0 && queued_bytes() + line.size() > ctx_.max_outbound_bytes) {
    // A slow consumer: what it has not read is dropped now, so its memory is bounded.
    overflowed_ = true;
    queue_.clear();
    asio::post(socket_.get_executor(), [self = shared_from_this()] {
      guarded([&] { self->end(disconnect_reason::slow_consumer, stop_mode::flush); },
              [&] { return self->task_name("writer"); }, [&] { self->fail(); });
    });
    return false;
  }
  queue_.push(line);
  if (urgency == send_urgency::coalesced) {
    schedule_coalesced();
  } else {
    schedule_writer();
  }
  return true;
}

void tcp_connection::send_last(line_ptr line) {
  if (cut_ || line.empty()) return;
  queue_.push(std::move(line));
  schedule_writer();
}

void tcp_connection::schedule_writer() {
  if (!writer_unscheduled()) return;
  writer_state_ = writer_state::scheduled;
  // A later run, never a nested one: callers may be iterating a member list, and one run
  // writes everything a turn of the loop queued in one call.
  ctx_.writers.add(shared_from_this(), socket_.get_executor());
}

void tcp_connection::schedule_coalesced() {
  if (writer_state_ != writer_state::idle) return;  // a write is coming anyway
  if (ctx_.coalesced.delay().count() == 0) return schedule_writer();
  writer_state_ = writer_state::coalescing;
  ctx_.coalesced.add(shared_from_this(), socket_.get_executor());
}

void tcp_connection::flush_coalesced() {
  if (writer_state_ == writer_state::coalescing) schedule_writer();
}

void tcp_connection::write_due() noexcept {
  guarded([&] { write_now(); }, [&] { return task_name("writer"); }, [&] {
    writer_state_ = writer_state::done;  // this run was the writer; it is over
    fail();
  });
}

void tcp_connection::write_now() {
  if (cut_) return writer_finished(false);
  std::size_t written = 0;
  std::size_t released = 0;
  const auto result = writer_.write(socket_.native_handle(), queue_, written, released);
  ctx_.bytes_sent.inc(static_cast<double>(written));
  switch (result) {
    case gathered_writer::result::drained:
      if (stopping_) return writer_finished(false);
      writer_state_ = writer_state::idle;
      return;
    case gathered_writer::result::failed:
      return writer_finished(true);
    case gathered_writer::result::blocked:
      writer_state_ = writer_state::blocked;
      drain(shared_from_this());
      return;
  }
}

// While the peer's window is full: wait for room, write, until the queue is drained.
detached_coroutine tcp_connection::drain([[maybe_unused]] std::shared_ptr<tcp_connection> self) {
  try {
    for (;;) {
      const asio::error_code ec = co_await completion([this](resume_handler done) {
        socket_.async_wait(asio::socket_base::wait_write, std::move(done));
      });
      if (ec || cut_) co_return writer_finished(!cut_);
      std::size_t written = 0;
      std::size_t released = 0;
      const auto result = writer_.write(socket_.native_handle(), queue_, written, released);
      ctx_.bytes_sent.inc(static_cast<double>(written));
      if (result == gathered_writer::result::failed) co_return writer_finished(true);
      if (result == gathered_writer::result::drained) {
        if (stopping_) co_return writer_finished(false);
        writer_state_ = writer_state::idle;
        co_return;
      }
    }
  } catch (...) {
    task_failed([&] { return task_name("writer"); }, [&] {
      writer_state_ = writer_state::done;
      fail();
    });
  }
}

void tcp_connection::writer_finished(bool failed) {
  writer_state_ = writer_state::done;
  if (failed) return end(disconnect_reason::reset, stop_mode::cut);
  if (!cut_) {
    // Everything is out: tell the peer, and let the reader wait for its side to close, so
    // the kernel does not reset the connection over unread input and lose our last lines.
    asio::error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    deadline_ = std::min(deadline_, std::chrono::steady_clock::now() + linger_after_flush);
  }
  finish_if_done();
}

// ---------------------------------------------------------------------------------------------
// Ending

void tcp_connection::end(disconnect_reason reason, stop_mode mode) {
  if (handler_) handler_->on_transport_end(reason, mode);
  stop(mode, std::chrono::steady_clock::now());
}

// After the guard logged an exception of the reader or the writer.
void tcp_connection::fail() {
  ctx_.failures.inc();
  end(disconnect_reason::error, stop_mode::cut);
}

void tcp_connection::stop(stop_mode mode, steady_time flush_deadline) {
  if (cut_ || (stopping_ && mode == stop_mode::flush)) return;
  if (!stopping_) deadline_ = flush_deadline;
  stopping_ = true;
  if (mode == stop_mode::cut) {
    cut_ = true;
    queue_.clear();
    writer_.drop();
    asio::error_code ignored;
    socket_.close(ignored);  // ends the reader's and the writer's waits
    if (writer_unscheduled()) writer_state_ = writer_state::done;
  } else if (writer_unscheduled()) {
    schedule_writer();  // flushes, then shuts our side down
  }
  wake_reader();
  finish_if_done();
}

void tcp_connection::on_tick(steady_time now) {
  queue_.trim();  // a drained burst's ring goes back here, not after every write
  if (stopping_ && !cut_ && now >= deadline_) stop(stop_mode::cut, now);
}

void tcp_connection::finish_if_done() {
  if (finished_ || !reader_done_ || writer_state_ != writer_state::done) return;
  finished_ = true;
  asio::error_code ignored;
  socket_.close(ignored);
  // From a fresh turn: the handler may be what called us, and on_finished may free it.
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    if (auto* handler = std::exchange(self->handler_, nullptr)) handler->on_finished();
  });
}

}  // namespace chatd
