// A chat client speaks the protocol over one transport connection: it owns the nick, its
// rooms, the output format and the flood bucket, and handles commands. It hears from the
// connection as its connection_handler and stops through one path, stop().
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "protocol/command.hpp"
#include "protocol/events.hpp"
#include "protocol/line_splitter.hpp"
#include "server/chat/token_bucket.hpp"
#include "server/transport/connection.hpp"
#include "server/transport/disconnect_reason.hpp"

namespace chatd {

class directory;
class room;
struct stored_message;

// How many registries point at an object; freeing it with any left is a bug, caught by an
// assertion in debug and sanitizer builds.
class registry_count {
 public:
  void hold() noexcept { ++count_; }
  void release() noexcept { --count_; }
  int count() const noexcept { return count_; }

 private:
  int count_ = 0;
};

class chat_client final : public connection_handler,
                          public std::enable_shared_from_this<chat_client> {
 public:
  using clock = std::chrono::steady_clock;

  chat_client(directory& dir, std::shared_ptr<connection> conn, std::uint64_t id);
  ~chat_client();
  chat_client(const chat_client&) = delete;
  chat_client& operator=(const chat_client&) = delete;

  // Joins the directory, starts the connection and sends the welcome.
  void start();

  // Ends the client (idempotent): the first call leaves its rooms (peers get one quit), frees
  // the nick, queues a bye where the reason calls for one, and stops the connection with
  // `mode`; a later cut still cuts. `detail` is the quit reason shown to peers.
  void stop(disconnect_reason reason, stop_mode mode, std::string_view detail = {});

  // --- called by rooms and other clients; none of these waits ---
  // Queues bytes already encoded in this client's format.
  void deliver(const line_ptr& line, send_urgency urgency = send_urgency::now) {
    conn_->send(line, urgency);
  }
  // Encodes `ev` in this client's format and queues it.
  void send(const protocol::event& ev);
  // The broadcaster fanned out one of this client's messages: queue its ok.
  void publish_done(const protocol::ok_say_event& ok);
  // The broadcaster fanned out `count` of them: queue their oks, encoded together (a null
  // line: none to show in this client's format).
  void publishes_done(const line_ptr& oks, std::uint32_t count);
  // The engine did not store one of this client's messages: queue the error instead.
  void publish_failed(std::string_view why);

  // The sweep: timeouts, and the connection's upkeep.
  void on_tick(clock::time_point now);
  // A reload changed the limits: the line bound and flood control follow at once.
  void apply_limits(const limits_config& limits);

  std::uint64_t id() const noexcept { return id_; }
  const std::string& peer() const noexcept { return conn_->peer(); }
  const std::string& address() const noexcept { return conn_->address(); }
  const std::string& nick() const noexcept { return nick_; }
  bool registered() const noexcept { return !nick_.empty(); }
  protocol::output_format format() const noexcept { return format_; }
  const std::vector<room*>& rooms() const noexcept { return rooms_; }
  std::size_t queued_bytes() const noexcept { return conn_->queued_bytes(); }

  // Marks for sending one event per peer across several shared rooms (directory::notify_peers).
  std::uint64_t mark = 0;
  registry_count registry_refs;

  // --- connection_handler ---
  steady_time on_input(std::string_view& input) override;
  void on_transport_end(disconnect_reason reason, stop_mode mode) override;
  void on_finished() override;

 private:
  // A line taken from the splitter, with how far its handling got.
  struct pending_line {
    std::string text;  // sanitized; empty for too_long
    bool too_long = false;
    bool have_token = false;                       // its flood-control token is taken
    bool delayed = false;                          // it already waited for a token
    std::optional<protocol::parse_result> parsed;  // parsed once its token was taken
  };

  bool next_line(std::string_view& input, pending_line& line);
  void publish_answered(std::uint32_t count = 1);
  // Handles `line` unless it has to wait; then returns until when (max: until woken).
  std::optional<steady_time> try_handle(pending_line& line);
  bool needs_to_wait_before(const protocol::command& cmd) const;

  // Command handling (chat_commands.cpp); each runs without waiting.
  void handle_command(protocol::command& cmd);  // may move its text away
  void handle_parse_error(const protocol::parse_error& error);
  void handle_nick(const std::string& name);
  // The nick is this client's now (the cluster, if any, agreed): the ok, and what follows.
  void take_nick(const std::string& name);
  // "/join ROOM since SEQ [EPOCH]": where the client says it was.
  struct resume_point {
    std::uint64_t since;
    std::string_view epoch;  // empty: not given
  };
  void handle_join(const std::string& name, bool automatic,
                   std::optional<resume_point> resume = std::nullopt);
  void send_join_ok(const room& r, bool presence, std::size_t presence_limit,
                    const protocol::recovery_info* recovery = nullptr);
  // The rest of a resuming join, after the room is joined (or made current): the ok, the
  // replay and, for a person, what it recovered.
  void resume(room& r, bool presence, std::size_t presence_limit, resume_point at);
  void handle_history(const std::string& name, std::optional<std::size_t> count);
  // History lines encoded for this client, as many as its replay budget holds.
  struct replay_lines {
    std::vector<line_ptr> lines;
    std::uint64_t first = 0;  // seqs of the first and last line (0 when none)
    std::uint64_t last = 0;
    bool cut = false;  // some did not fit
  };
  replay_lines encode_replay(const room& r, const std::vector<const stored_message*>& messages,
                             bool keep_latest) const;
  void handle_part(const std::string& name);
  void handle_publish(room* target, std::string&& text, bool action);
  void handle_msg(const std::string& to, const std::string& text);
  void handle_topic(const std::string& text);
  // LIMIT: the command's count, unset for protocol::default_listing_limit.
  void handle_rooms(const std::string& pattern, std::optional<std::size_t> limit);
  void handle_who(const std::string& name, std::optional<std::size_t> limit);
  void who_remote(const std::string& name, std::optional<std::size_t> limit);
  std::vector<std::string> room_names() const;
  void handle_format(const std::string& name);
  void send_error(protocol::error_code code, std::string_view message);
  room* joined_room(const std::string& canonical) const;
  // The room `name` names, which this client must be in, or its current room when `name` is
  // empty; nullptr after sending the error (`none` when there is no current room).
  room* joined_or_current(const std::string& name, protocol::error_code none,
                          std::string_view none_message);
  void leave_room(room& r);

  directory& dir_;
  const std::shared_ptr<connection> conn_;
  const std::uint64_t id_;

  std::string nick_;
  protocol::output_format format_ = protocol::output_format::human;
  std::vector<room*> rooms_;  // joined rooms, in join order
  room* current_ = nullptr;

  const clock::time_point opened_;
  // When the input being handled arrived, read once per chunk of input rather than per line:
  // a read of 100 lines would otherwise read both clocks 100 times.
  clock::time_point last_input_;
  protocol::timestamp_ms last_input_ms_ = 0;  // the same instant on the wall clock
  token_bucket bucket_;  // flood control: over the rate, lines are read later, never dropped
  protocol::line_splitter splitter_;
  // The line that waits while input is paused; on the heap, as most clients never wait.
  std::unique_ptr<pending_line> held_;

  // Publishes handed to a room's broadcaster whose ok has not been queued yet. Further
  // commands wait for them so that replies keep the order of the commands.
  std::uint32_t pending_publishes_ = 0;
  room* pending_room_ = nullptr;
  // A question to the cluster (a nick claim) is out; every further line waits for its answer.
  bool waiting_for_engine_ = false;

  bool stopping_ = false;
};

}  // namespace chatd
