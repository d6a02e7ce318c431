// A blocking TCP client for the chat protocol, with a deadline on every wait.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace chatd::integration {

inline constexpr std::chrono::milliseconds default_timeout{5000};

// What the server sent (or failed to send) was not what the test expected. Thrown by the expect_*
// helpers so the test body stops at the first surprise; GoogleTest reports the message.
class protocol_failure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Shows a line with control and non-ASCII bytes escaped, for failure messages.
std::string printable(std::string_view bytes);

// How a test_client sets up its socket before connecting (the defaults match connect(port)).
struct connect_options {
  // Bind the client's end to this local address first, e.g. "127.0.0.2", so that the server sees
  // another peer address. Empty: the kernel picks (127.0.0.1 for a loopback connect).
  std::string source_address{};
  // SO_RCVBUF set before connecting, so that the window is small from the start (a client that
  // does not read then backs the server's output up quickly). 0: the system default.
  int receive_buffer = 0;
};

// One connection to the server. Reads are buffered; every read waits with poll() up to its
// timeout. Every line the server sends must end in CRLF (read_line throws otherwise).
class test_client {
 public:
  test_client() = default;
  explicit test_client(std::uint16_t port, std::string label = "client");
  test_client(std::uint16_t port, std::string label, const connect_options& options);
  ~test_client();

  test_client(test_client&& other) noexcept;
  test_client& operator=(test_client&& other) noexcept;
  test_client(const test_client&) = delete;
  test_client& operator=(const test_client&) = delete;

  // Connects to 127.0.0.1:port. Throws std::runtime_error on failure.
  void connect(std::uint16_t port);
  // Connects to 127.0.0.1:port with the socket set up as `options` says.
  void connect(std::uint16_t port, const connect_options& options);

  // Name used in failure messages (register_json sets it to the nick).
  void set_label(std::string label) { label_ = std::move(label); }
  const std::string& label() const noexcept { return label_; }

  // Sends all of `bytes` (throws if the connection is gone or the peer stops reading for
  // default_timeout). send_line appends "\n".
  void send_raw(std::string_view bytes);
  void send_line(std::string_view text);

  // The next line without its CRLF, or nullopt on timeout or once the server has closed the
  // connection and every buffered line has been read.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout = default_timeout);

  // Like read_line, but a timeout or close is a protocol_failure.
  std::string expect_line(std::chrono::milliseconds timeout = default_timeout);

  // The next line parsed as JSON (protocol_failure on timeout, close or bad JSON).
  nlohmann::json read_json(std::chrono::milliseconds timeout = default_timeout);

  // The next line, which must be a JSON object with "type" == type. Does not skip other lines.
  nlohmann::json expect_json(std::string_view type,
                             std::chrono::milliseconds timeout = default_timeout);
  // The next line must be {"type":"ok","cmd":cmd,...}.
  nlohmann::json expect_ok(std::string_view cmd,
                           std::chrono::milliseconds timeout = default_timeout);
  // The next line must be {"type":"error","code":code,"message":<non-empty string>}.
  nlohmann::json expect_error(std::string_view code,
                              std::chrono::milliseconds timeout = default_timeout);

  // From a fresh connection: reads the human welcome, switches to JSON, sets the nickname and,
  // unless auto_join_room is empty, reads the join event for itself in that room. Then does a
  // /ping round-trip and returns whatever arrived before the pong (history replay, for example).
  std::vector<nlohmann::json> register_json(std::string_view nick,
                                            std::string_view auto_join_room = "lobby");

  // JSON mode: sends "/ping <unique token>", reads up to the matching pong and returns the lines
  // that came before it. Use it to drain events or to prove the absence of more lines.
  std::vector<nlohmann::json> sync_json(std::chrono::milliseconds timeout = default_timeout);
  // sync_json, and fails unless nothing came before the pong.
  void expect_quiet_json(std::chrono::milliseconds timeout = default_timeout);

  // Human mode: sends "/ping <unique token>", reads lines until one contains the token (which
  // must be a "* " line) and returns the lines before it.
  std::vector<std::string> sync_human(std::chrono::milliseconds timeout = default_timeout);
  void expect_quiet_human(std::chrono::milliseconds timeout = default_timeout);

  // True once the server has closed the connection (read returns 0 or ECONNRESET). Bytes that
  // arrive meanwhile are kept and can still be read as lines.
  bool wait_closed(std::chrono::milliseconds timeout = default_timeout);

  // Raw reads, for tests that compare exact bytes (terminators included; nothing is checked or
  // stripped). read_raw_lines returns the bytes up to and including the `lines`-th LF still to
  // come; if the timeout passes or the server closes first, it returns every byte it has (fewer
  // LFs: the caller sees the shortfall). read_raw_until_quiet returns what arrives until nothing
  // has come for `quiet` (or the server has closed).
  std::string read_raw_lines(std::size_t lines,
                             std::chrono::milliseconds timeout = default_timeout);
  std::string read_raw_until_quiet(std::chrono::milliseconds quiet);
  // True once a read has seen the server's close (EOF or reset).
  bool peer_closed() const noexcept { return peer_closed_; }

  // Closes the socket abruptly, as a client that goes away would.
  void close();

  // Closes with SO_LINGER 0, so the server gets a TCP reset instead of an orderly EOF.
  void reset();

  // Half-closes the sending direction (the server reads EOF).
  void shutdown_write();

 private:
  // Reads once (waiting up to `timeout`) into buffer_. False if nothing new arrived.
  bool fill(std::chrono::milliseconds timeout);
  [[noreturn]] void fail(const std::string& what) const;

  int fd_ = -1;
  std::string label_ = "client";
  std::string buffer_;
  bool peer_closed_ = false;
  unsigned sync_count_ = 0;
};

}  // namespace chatd::integration
