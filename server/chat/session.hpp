// One client connection: it owns the socket, its reader and writer, the outbound queue, and
// its place in rooms and the nick registry (which it leaves itself on close).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <asio/awaitable.hpp>
#include <asio/error_code.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include "config/config.hpp"
#include "protocol/command.hpp"
#include "protocol/events.hpp"
#include "protocol/line_splitter.hpp"
#include "server/transport/disconnect_reason.hpp"
#include "server/transport/outbound_queue.hpp"
#include "server/chat/token_bucket.hpp"

namespace chatd {

class room;
class server;

class session : public std::enable_shared_from_this<session> {
 public:
  using clock = std::chrono::steady_clock;

  session(server& owner, asio::ip::tcp::socket socket, std::uint64_t id, std::string peer,
          std::string ip);
  session(const session&) = delete;
  session& operator=(const session&) = delete;
  ~session();

  // Sends the welcome and spawns the reader and writer; they keep the session alive.
  void start();

  // --- called by rooms, other sessions and the server; none of these waits ---

  // Queues bytes for this client. Past limits.max_outbound_bytes the client is a slow consumer:
  // its queue is dropped and it is closed from a fresh handler (callers may be iterating a
  // member list that closing would change).
  void deliver(const line_ptr& line);
  // Encodes `ev` in this session's format and queues it.
  void send(const protocol::event& ev);
  // The broadcaster fanned out one of this session's messages: queue its ok.
  void publish_done(const protocol::ok_say_event& ok);

  // Begins a graceful close: leaves rooms (peers get one quit event), frees the nick, queues a
  // bye where the reason calls for one, and lets the writer flush. Idempotent.
  void close(disconnect_reason reason, std::string_view detail = {});
  // Cuts the connection now (grace or linger time ran out).
  void force_close();
  // Called by the server's periodic sweep.
  void on_tick(clock::time_point now);
  // A config reload changed the limits: the line bound and flood control follow at once (the
  // other limits are read from the config where they are checked).
  void apply_limits(const limits_config& limits);

  std::uint64_t id() const noexcept { return id_; }
  const std::string& peer() const noexcept { return peer_; }
  const std::string& nick() const noexcept { return nick_; }
  bool registered() const noexcept { return !nick_.empty(); }
  bool closing() const noexcept { return closing_; }
  protocol::output_format format() const noexcept { return format_; }
  const std::vector<room*>& rooms() const noexcept { return rooms_; }
  std::size_t queued_bytes() const noexcept { return queued_bytes_; }

  // Marks for sending one event per peer across several shared rooms (see server::next_mark).
  std::uint64_t mark = 0;

 private:
  // An idle connection keeps no coroutine: the reader and the writer are callbacks, and only a
  // line that has to wait (flood control, earlier publishes) gets a coroutine until it is handled.
  // Two coroutines per connection (frames, co_spawn's entry frames) were most of its memory.

  // A line taken from the splitter, with how far its handling got.
  struct pending_line {
    std::string text;  // sanitized; empty for too_long
    bool too_long = false;
    bool have_token = false;                      // its flood-control token is taken
    std::optional<protocol::parse_result> parsed;  // parsed once its token was taken
  };
  // What a line waits for before it can be handled.
  enum class hold : std::uint8_t { none, token, publishes };

  // A batch being written. It owns its lines meanwhile: close() may clear the queue.
  struct write_batch {
    std::vector<line_ptr> lines;
    std::size_t bytes = 0;    // their size
    std::size_t first = 0;    // first line not fully sent
    std::size_t offset = 0;   // bytes of it already sent
    std::size_t written = 0;  // bytes sent of the batch so far
  };
  enum class write_result : std::uint8_t { sent, blocked, failed };

  void await_input();
  void on_readable(const asio::error_code& wait_error);
  bool next_line(std::string_view& input, pending_line& line);
  hold try_handle(pending_line& line);
  hold handle_input(std::string_view& input, pending_line& line);
  asio::awaitable<void> read_held(std::shared_ptr<session> self, pending_line line, hold why);
  void end_reading(disconnect_reason end);
  asio::awaitable<void> wait_for_publishes();
  asio::awaitable<void> wait_for_token();
  asio::awaitable<void> sleep_reader(clock::time_point until);

  void wake_writer();
  void write_queued();
  write_result send_batch(write_batch& batch);
  void finish_batch(write_batch& batch);
  void await_writable(write_batch batch);
  void on_writable(const asio::error_code& ec, write_batch& batch);
  void end_writing(bool failed);
  // An exception escaped a callback: log it (`why` is its what(), null if it is not a
  // std::exception), count it, and end only this connection, as spawn_logged does for a
  // coroutine.
  void callback_failed(std::string_view what, const char* why);
  void finish_if_done();

  // Command handling; each runs without waiting.
  void handle_line(const protocol::command& cmd);
  void handle_parse_error(const protocol::parse_error& error, std::string_view line);
  void handle_nick(const std::string& name);
  void handle_join(const std::string& name, bool automatic);
  void handle_part(const std::string& name);
  void handle_publish(room* target, const std::string& text, bool action);
  void handle_msg(const std::string& to, const std::string& text);
  void handle_topic(const std::string& text);
  void handle_rooms();
  void handle_who(const std::string& name);
  void handle_format(const std::string& name);
  void send_error(protocol::error_code code, std::string_view message);
  room* joined_room(const std::string& canonical) const;
  void leave_room(room* r);
  bool needs_to_wait_before(const protocol::command& cmd) const;

  server& server_;
  asio::ip::tcp::socket socket_;
  const std::uint64_t id_;
  const std::string peer_;  // "address:port", for logs
  const std::string ip_;    // address alone, for the per-address connection count

  std::string nick_;
  protocol::output_format format_ = protocol::output_format::human;
  std::vector<room*> rooms_;  // joined rooms, in join order
  room* current_ = nullptr;

  const clock::time_point opened_;
  clock::time_point last_input_;
  token_bucket bucket_;  // flood control: over the rate, lines are read later, never dropped
  protocol::line_splitter splitter_;
  std::string inbox_;  // unread input saved when the reader must wait mid-chunk

  outbound_queue out_;
  std::size_t queued_bytes_ = 0;  // queued plus being written
  // Nothing to write and no write in flight: the next delivery posts a writer run.
  bool writer_sleeping_ = true;

  // Publishes handed to a room's broadcaster whose ok has not been queued yet. Further
  // commands wait for them so that replies keep the order of the commands.
  std::uint32_t pending_publishes_ = 0;
  room* pending_room_ = nullptr;
  std::unique_ptr<asio::steady_timer> reader_wake_;  // made on first need: idle clients never do
  bool reader_sleeping_ = false;

  bool closing_ = false;
  bool slow_ = false;
  bool reader_done_ = false;
  bool writer_done_ = false;
  disconnect_reason reason_ = disconnect_reason::closed;
  clock::time_point deadline_ = clock::time_point::max();
};

}  // namespace chatd
