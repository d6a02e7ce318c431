#include "server/chat/session.hpp"

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <utility>

#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "config/config.hpp"
#include "protocol/format.hpp"
#include "protocol/names.hpp"
#include "protocol/sanitize.hpp"
#include "server/chat/room.hpp"
#include "server/daemon/server.hpp"
#include "server/loop/spawn.hpp"

namespace chatd {

namespace {

using protocol::command_kind;
using protocol::error_code;

// A publisher may have this many messages in one room's queue before its next command waits
// for their oks. It bounds what one client can park in a room, and still lets a burst of lines
// from one read go to the broadcaster as one batch.
constexpr std::uint32_t max_pipelined_publishes = 256;

// The writer hands the kernel at most this much per send call. Under fan-out load a member's
// queue holds many small lines; one call for all of them is what keeps the cost per delivery
// low (the kernel accepts up to 1024 iovecs). The queue's byte bound caps a member's turn.
constexpr std::size_t max_lines_per_write = 512;
constexpr std::size_t max_bytes_per_write = 256 * 1024;

// Sends what the socket takes now of batch[first..], starting `offset` bytes into the first
// line, in one sendmsg. Returns the bytes sent, 0 if the socket buffer is full (EAGAIN), or -1
// with errno set. Asio's async_write would split the gather at 64 buffers and go through the
// loop once per call; this writes straight away and waits only when the peer is slow.
ssize_t send_gathered(int fd, const std::vector<line_ptr>& batch, std::size_t first,
                      std::size_t offset) {
  std::array<iovec, max_lines_per_write> iov;
  std::size_t count = 0;
  for (std::size_t i = first; i < batch.size() && count < iov.size(); ++i, ++count) {
    const std::string& line = *batch[i];
    const std::size_t skip = i == first ? offset : 0;
    iov[count].iov_base = const_cast<char*>(line.data() + skip);
    iov[count].iov_len = line.size() - skip;
  }
  msghdr message{};
  message.msg_iov = iov.data();
  message.msg_iovlen = count;
  for (;;) {
    const ssize_t sent = ::sendmsg(fd, &message, MSG_NOSIGNAL);  // no SIGPIPE on a gone peer
    if (sent >= 0) return sent;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    return -1;
  }
}

// Once our last byte is out, how long the peer gets to close its side before the socket is
// cut. Waiting for its FIN keeps the kernel from resetting the connection over unread input
// (which can destroy our last lines, the bye among them, before the peer reads them).
constexpr std::chrono::seconds linger_after_flush{1};


}  // namespace

session::session(server& owner, asio::ip::tcp::socket socket, std::uint64_t id,
                 std::string peer, std::string ip)
    : server_(owner),
      socket_(std::move(socket)),
      id_(id),
      peer_(std::move(peer)),
      ip_(std::move(ip)),
      opened_(clock::now()),
      last_input_(opened_),
      bucket_(owner.cfg().limits.rate, static_cast<double>(owner.cfg().limits.burst), opened_),
      splitter_(owner.cfg().limits.max_line_bytes) {}

session::~session() { server_.forget_session(id_, ip_); }

void session::start() {
  asio::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);  // we batch writes ourselves
  socket_.non_blocking(true, ignored);
  send(protocol::welcome_event{CHATD_VERSION});  // wakes the writer
  await_input();
}

void session::callback_failed(std::string_view what, const char* why) {
  if (why != nullptr) {
    spdlog::error("conn {} {} failed: {}", id_, what, why);
  } else {
    spdlog::error("conn {} {} failed with a non-standard exception", id_, what);
  }
  server_.metrics().session_failures.inc();
  close(disconnect_reason::error);
  force_close();
}

// ---------------------------------------------------------------------------------------------
// Output

void session::deliver(const line_ptr& line) {
  if (closing_ || slow_ || line->empty()) return;
  if (queued_bytes_ + line->size() > server_.cfg().limits.max_outbound_bytes) {
    slow_ = true;
    queued_bytes_ -= out_.clear();
    server_.metrics().slow_consumers.inc();
    asio::post(socket_.get_executor(), [self = shared_from_this()] {
      self->close(disconnect_reason::slow_consumer);
    });
    return;
  }
  queued_bytes_ += line->size();
  out_.push(line);
  wake_writer();
}

void session::send(const protocol::event& ev) {
  std::string bytes = protocol::encode(ev, format_);
  if (bytes.empty()) return;
  deliver(make_line(std::move(bytes)));
}

void session::publish_done(const protocol::ok_say_event& ok) {
  if (pending_publishes_ > 0) --pending_publishes_;
  send(ok);
  if (pending_publishes_ == 0) {
    pending_room_ = nullptr;
    if (reader_sleeping_) {
      reader_sleeping_ = false;
      reader_wake_->cancel();
    }
  }
}

void session::wake_writer() {
  if (writer_sleeping_) {
    writer_sleeping_ = false;
    // A later run, never a nested one: callers may be iterating a member list.
    asio::post(socket_.get_executor(), [self = shared_from_this()] {
      try {
        self->write_queued();
      } catch (const std::exception& e) {
        self->callback_failed("writer", e.what());
      } catch (...) {
        self->callback_failed("writer", nullptr);
      }
    });
  }
}

// Writes batches until the queue is empty (the writer sleeps, or ends if closing) or the socket
// is full (a wait for writability owns the batch).
void session::write_queued() {
  write_batch batch;
  // The loop-wide scratch vector keeps its capacity between runs, so a sleeping connection
  // holds no batch of its own; it is given back whenever the batch is done.
  batch.lines.swap(server_.write_scratch());
  for (;;) {
    if (out_.empty()) {
      server_.write_scratch().swap(batch.lines);
      if (closing_) return end_writing(false);
      writer_sleeping_ = true;
      return;
    }
    batch.bytes = out_.take(batch.lines, max_lines_per_write, max_bytes_per_write);
    batch.first = batch.offset = batch.written = 0;
    switch (send_batch(batch)) {
      case write_result::sent:
        continue;
      case write_result::failed:
        server_.write_scratch().swap(batch.lines);
        return end_writing(true);
      case write_result::blocked:
        return await_writable(std::move(batch));
    }
  }
}

session::write_result session::send_batch(write_batch& batch) {
  while (batch.first < batch.lines.size()) {
    const ssize_t sent =
        send_gathered(socket_.native_handle(), batch.lines, batch.first, batch.offset);
    if (sent < 0) {
      finish_batch(batch);
      return write_result::failed;
    }
    if (sent == 0) return write_result::blocked;  // the peer's window is full
    batch.written += static_cast<std::size_t>(sent);
    for (auto left = static_cast<std::size_t>(sent); left > 0;) {
      const std::size_t rest = batch.lines[batch.first]->size() - batch.offset;
      if (left < rest) {
        batch.offset += left;
        break;
      }
      left -= rest;
      ++batch.first;
      batch.offset = 0;
    }
  }
  finish_batch(batch);
  return write_result::sent;
}

void session::finish_batch(write_batch& batch) {
  server_.metrics().bytes_sent.inc(static_cast<double>(batch.written));
  queued_bytes_ -= batch.bytes;
  batch.lines.clear();
}

// Waits until the socket takes more; the handler owns the batch meanwhile.
void session::await_writable(write_batch batch) {
  socket_.async_wait(asio::socket_base::wait_write,
                     [self = shared_from_this(), batch = std::move(batch)](
                         const asio::error_code& ec) mutable {
                       try {
                         self->on_writable(ec, batch);
                       } catch (const std::exception& e) {
                         self->callback_failed("writer", e.what());
                       } catch (...) {
                         self->callback_failed("writer", nullptr);
                       }
                     });
}

void session::on_writable(const asio::error_code& ec, write_batch& batch) {
  if (ec) {
    finish_batch(batch);
    return end_writing(true);
  }
  switch (send_batch(batch)) {
    case write_result::sent:
      return write_queued();
    case write_result::failed:
      return end_writing(true);
    case write_result::blocked:
      return await_writable(std::move(batch));
  }
}

void session::end_writing(bool failed) {
  writer_done_ = true;
  if (failed) {
    close(disconnect_reason::reset);
    force_close();
  } else {
    // Everything is out: tell the peer, and let the reader wait for its side to close, so
    // the kernel does not reset the connection over unread input and lose our last lines.
    asio::error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    deadline_ = std::min(deadline_, clock::now() + linger_after_flush);
    finish_if_done();
  }
}

// ---------------------------------------------------------------------------------------------
// Input

void session::await_input() {
  socket_.async_wait(asio::ip::tcp::socket::wait_read,
                     [self = shared_from_this()](const asio::error_code& ec) {
                       try {
                         self->on_readable(ec);
                       } catch (const std::exception& e) {
                         self->callback_failed("reader", e.what());
                       } catch (...) {
                         self->callback_failed("reader", nullptr);
                       }
                     });
}

// Reads what arrived and handles its lines straight from the shared buffer. Then it waits for
// more input, or, if a line has to wait, hands that line and the rest of the chunk (saved in
// inbox_, since other readers reuse the buffer) to read_held.
void session::on_readable(const asio::error_code& wait_error) {
  disconnect_reason end = disconnect_reason::reset;
  try {
    if (!wait_error) {
      asio::error_code ec;
      auto& buffer = server_.read_buffer();
      const std::size_t n = socket_.read_some(asio::buffer(buffer), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) return await_input();
      if (ec == asio::error::eof) return end_reading(disconnect_reason::closed);
      if (!ec) {
        server_.metrics().bytes_received.inc(static_cast<double>(n));
        if (closing_) return await_input();  // draining until the peer closes
        last_input_ = clock::now();
        std::string_view input(buffer.data(), n);
        pending_line line;
        const hold why = handle_input(input, line);
        if (why == hold::none) return await_input();
        inbox_.assign(input);
        auto cut = [self = shared_from_this()] {
          self->server_.metrics().session_failures.inc();
          self->close(disconnect_reason::error);
          self->force_close();
        };
        spawn_logged(socket_.get_executor(), read_held(shared_from_this(), std::move(line), why),
                     "conn " + std::to_string(id_) + " reader", cut);
        return;
      }
    }
  } catch (const std::exception& e) {
    spdlog::error("conn {} peer={} session failed: {}", id_, peer_, e.what());
    server_.metrics().session_failures.inc();
    end = disconnect_reason::error;
  }
  end_reading(end);
}

// Takes the next non-empty line from `input` into `line`; false once input is used up.
bool session::next_line(std::string_view& input, pending_line& line) {
  while (auto frame = splitter_.next(input)) {
    line.too_long = frame->kind == protocol::frame_kind::too_long;
    line.text = line.too_long ? std::string() : protocol::sanitize(frame->text);
    if (!line.too_long && line.text.empty()) continue;
    line.have_token = false;
    line.parsed.reset();
    return true;
  }
  return false;
}

// Handles `line` unless it has to wait; then says what for. Called again after the wait, it
// goes on from where it stopped (the token is not taken twice, the line not parsed twice).
session::hold session::try_handle(pending_line& line) {
  if (!line.have_token) {
    if (!bucket_.try_take(clock::now())) return hold::token;
    line.have_token = true;
  }
  if (!line.parsed) {
    line.parsed = line.too_long ? protocol::parse_result{protocol::parse_error{
                                      error_code::line_too_long,
                                      "line longer than " +
                                          std::to_string(splitter_.max_line_bytes()) +
                                          " bytes; discarded"}}
                                : protocol::parse_command(line.text);
  }
  const auto* cmd = std::get_if<protocol::command>(&*line.parsed);
  // Replies, errors included, keep the order of the lines that caused them.
  if (cmd == nullptr ? pending_publishes_ > 0 : needs_to_wait_before(*cmd)) {
    return hold::publishes;
  }
  if (cmd == nullptr) {
    handle_parse_error(std::get<protocol::parse_error>(*line.parsed), line.text);
  } else {
    handle_line(*cmd);
  }
  return hold::none;
}

// Handles the lines of `input` until it is used up or the session closes (none), or until one
// has to wait: then `line` is that line and `input` what follows it.
session::hold session::handle_input(std::string_view& input, pending_line& line) {
  while (next_line(input, line)) {
    const hold why = try_handle(line);
    if (why != hold::none) return why;
    if (closing_) break;
  }
  return hold::none;
}

// Waits for what `line` needs, handles it and the rest of the chunk (in inbox_), and goes back
// to waiting for input once the chunk is done.
asio::awaitable<void> session::read_held([[maybe_unused]] std::shared_ptr<session> self,
                                         pending_line line, hold why) {
  try {
    for (;;) {
      if (why == hold::token) {
        co_await wait_for_token();
        if (closing_) break;
        line.have_token = true;
      } else {
        co_await wait_for_publishes();
        if (closing_) break;
      }
      why = try_handle(line);
      if (why != hold::none) continue;
      if (closing_) break;
      std::string_view input = inbox_;
      why = handle_input(input, line);
      if (why == hold::none) break;
      inbox_.erase(0, inbox_.size() - input.size());  // keep what follows the held line
    }
    inbox_.clear();
    if (inbox_.capacity() > 4096) inbox_.shrink_to_fit();
    await_input();
    co_return;
  } catch (const std::exception& e) {
    spdlog::error("conn {} peer={} session failed: {}", id_, peer_, e.what());
    server_.metrics().session_failures.inc();
  }
  end_reading(disconnect_reason::error);
}

void session::end_reading(disconnect_reason end) {
  close(end);
  reader_done_ = true;
  finish_if_done();
}

bool session::needs_to_wait_before(const protocol::command& cmd) const {
  if (pending_publishes_ == 0) return false;
  if (pending_publishes_ >= max_pipelined_publishes) return true;
  room* target = nullptr;
  switch (cmd.kind) {
    case command_kind::text:
    case command_kind::me:
      target = current_;
      break;
    case command_kind::say:
      if (auto canonical = protocol::normalize_room(cmd.arg)) target = joined_room(*canonical);
      break;
    default:
      return true;
  }
  // Consecutive messages to one room keep their order in its queue without waiting.
  return target == nullptr || target != pending_room_;
}

asio::awaitable<void> session::wait_for_publishes() {
  while (pending_publishes_ > 0 && !closing_) co_await sleep_reader(clock::time_point::max());
}

asio::awaitable<void> session::wait_for_token() {
  server_.metrics().flood_delays.inc();
  server_.log_offence(id_, peer_, "flood-delayed");
  for (;;) {
    const auto now = clock::now();
    if (closing_ || bucket_.try_take(now)) break;
    co_await sleep_reader(now + bucket_.wait_time(now));
  }
}

// Sleeps until `until` or an early wake-up (publish_done, close); callers re-check.
asio::awaitable<void> session::sleep_reader(clock::time_point until) {
  if (!reader_wake_) reader_wake_ = std::make_unique<asio::steady_timer>(socket_.get_executor());
  reader_sleeping_ = true;
  reader_wake_->expires_at(until);
  asio::error_code ignored;
  co_await reader_wake_->async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  reader_sleeping_ = false;
}

// ---------------------------------------------------------------------------------------------
// Closing

void session::close(disconnect_reason reason, std::string_view detail) {
  if (closing_) return;
  closing_ = true;
  reason_ = reason;
  server_.metrics().disconnects(reason).inc();
  const std::string why = detail.empty() ? std::string(to_string(reason)) : std::string(detail);
  spdlog::info("conn {} closed peer={} nick={} reason={}", id_, peer_,
               nick_.empty() ? "-" : nick_, to_string(reason));

  if (registered()) {
    server_.notify_peers(*this, protocol::quit_event{nick_, why});
    while (!rooms_.empty()) leave_room(rooms_.back());
    server_.release_nick(nick_);
  }
  if (sends_bye(reason)) {
    // The bye goes out even past the outbound bound: the queue was emptied if that was hit.
    std::string bye = protocol::encode(protocol::bye_event{why}, format_);
    queued_bytes_ += bye.size();
    out_.push(make_line(std::move(bye)));
  }
  // Flushing what is queued may take up to shutdown_grace, for every kind of close.
  deadline_ = clock::now() + std::chrono::duration_cast<clock::duration>(
                                 server_.cfg().limits.shutdown_grace);
  wake_writer();
  if (reader_sleeping_) {
    reader_sleeping_ = false;
    reader_wake_->cancel();
  }
}

void session::force_close() {
  closing_ = true;
  asio::error_code ignored;
  socket_.close(ignored);
  wake_writer();
  if (reader_sleeping_) {
    reader_sleeping_ = false;
    reader_wake_->cancel();
  }
}

void session::finish_if_done() {
  if (reader_done_ && writer_done_) {
    asio::error_code ignored;
    socket_.close(ignored);
  }
}

void session::apply_limits(const limits_config& limits) {
  splitter_.set_max_line_bytes(limits.max_line_bytes);
  bucket_.reconfigure(limits.rate, static_cast<double>(limits.burst));
}

void session::on_tick(clock::time_point now) {
  out_.trim();  // a drained burst's ring goes back here, not after every write
  if (closing_) {
    if (now >= deadline_) force_close();
    return;
  }
  const auto& limits = server_.cfg().limits;
  if (!registered() && now - opened_ >= limits.register_timeout) {
    close(disconnect_reason::register_timeout);
  } else if (limits.idle_timeout.count() > 0 && now - last_input_ >= limits.idle_timeout) {
    close(disconnect_reason::idle_timeout);
  }
}

}  // namespace chatd
