#include "integration/test_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace chatd::integration {

namespace {

using clock_type = std::chrono::steady_clock;
using nlohmann::json;

// Milliseconds left until `deadline`, rounded up so that poll() never returns early.
int ms_until(clock_type::time_point deadline) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock_type::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

}  // namespace

std::string printable(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  return out;
}

test_client::test_client(std::uint16_t port, std::string label) : label_(std::move(label)) {
  connect(port);
}

test_client::test_client(std::uint16_t port, std::string label, const connect_options& options)
    : label_(std::move(label)) {
  connect(port, options);
}

test_client::~test_client() { close(); }

test_client::test_client(test_client&& other) noexcept
    : fd_(other.fd_),
      label_(std::move(other.label_)),
      buffer_(std::move(other.buffer_)),
      peer_closed_(other.peer_closed_),
      sync_count_(other.sync_count_) {
  other.fd_ = -1;
}

test_client& test_client::operator=(test_client&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = other.fd_;
    label_ = std::move(other.label_);
    buffer_ = std::move(other.buffer_);
    peer_closed_ = other.peer_closed_;
    sync_count_ = other.sync_count_;
    other.fd_ = -1;
  }
  return *this;
}

void test_client::connect(std::uint16_t port) {
  close();
  buffer_.clear();
  peer_closed_ = false;
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    std::string error = std::strerror(errno);
    close();
    throw std::runtime_error(label_ + ": connect to 127.0.0.1:" + std::to_string(port) + ": " +
                             error);
  }
}

void test_client::connect(std::uint16_t port, const connect_options& options) {
  close();
  buffer_.clear();
  peer_closed_ = false;
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  auto give_up = [&](const std::string& what) {
    std::string error = label_ + ": " + what + ": " + std::strerror(errno);
    close();
    throw std::runtime_error(error);
  };
  if (options.receive_buffer > 0 &&
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &options.receive_buffer,
                   sizeof options.receive_buffer) != 0) {
    give_up("SO_RCVBUF");
  }
  if (!options.source_address.empty()) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_port = 0;
    if (::inet_pton(AF_INET, options.source_address.c_str(), &local.sin_addr) != 1) {
      errno = EINVAL;
      give_up("source address '" + options.source_address + "'");
    }
    if (::bind(fd_, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) {
      give_up("bind to " + options.source_address);
    }
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    give_up("connect to 127.0.0.1:" + std::to_string(port));
  }
}

void test_client::fail(const std::string& what) const { throw protocol_failure(label_ + ": " + what); }

void test_client::send_raw(std::string_view bytes) {
  if (fd_ < 0) fail("send on a closed client");
  const auto deadline = clock_type::now() + default_timeout;
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd_, POLLOUT, 0};
      if (::poll(&p, 1, ms_until(deadline)) == 0) fail("send timed out: the server is not reading");
      continue;
    }
    fail(std::string("send failed: ") + std::strerror(errno));
  }
}

void test_client::send_line(std::string_view text) {
  std::string line(text);
  line += '\n';
  send_raw(line);
}

bool test_client::fill(std::chrono::milliseconds timeout) {
  if (fd_ < 0 || peer_closed_) return false;
  pollfd p{fd_, POLLIN, 0};
  int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
  if (ready < 0 && errno == EINTR) return false;
  if (ready < 0) fail(std::string("poll failed: ") + std::strerror(errno));
  if (ready == 0) return false;
  char chunk[65536];
  ssize_t n = ::recv(fd_, chunk, sizeof chunk, MSG_DONTWAIT);
  if (n > 0) {
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
  if (n == 0 || errno == ECONNRESET) {
    peer_closed_ = true;
    return false;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return false;
  fail(std::string("recv failed: ") + std::strerror(errno));
}

std::optional<std::string> test_client::read_line(std::chrono::milliseconds timeout) {
  const auto deadline = clock_type::now() + timeout;
  for (;;) {
    auto lf = buffer_.find('\n');
    if (lf != std::string::npos) {
      std::string line = buffer_.substr(0, lf);
      buffer_.erase(0, lf + 1);
      if (line.empty() || line.back() != '\r') {
        fail("server line does not end in CRLF: '" + printable(line) + "\\n'");
      }
      line.pop_back();
      return line;
    }
    if (fd_ < 0 || peer_closed_) return std::nullopt;
    const int left = ms_until(deadline);
    if (left == 0) return std::nullopt;
    fill(std::chrono::milliseconds(left));
  }
}

std::string test_client::expect_line(std::chrono::milliseconds timeout) {
  auto line = read_line(timeout);
  if (!line) {
    std::string partial = buffer_.empty() ? "" : " (unterminated bytes: '" + printable(buffer_) + "')";
    if (peer_closed_) fail("expected a line, but the server closed the connection" + partial);
    fail("expected a line within " + std::to_string(timeout.count()) + " ms, got none" + partial);
  }
  return *line;
}

json test_client::read_json(std::chrono::milliseconds timeout) {
  std::string line = expect_line(timeout);
  json parsed = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object() || !parsed.contains("type") ||
      !parsed["type"].is_string()) {
    fail("expected a JSON object with a \"type\", got '" + printable(line) + "'");
  }
  return parsed;
}

json test_client::expect_json(std::string_view type, std::chrono::milliseconds timeout) {
  json j = read_json(timeout);
  if (j["type"] != type) {
    fail("expected a \"" + std::string(type) + "\" line, got " + j.dump());
  }
  return j;
}

json test_client::expect_ok(std::string_view cmd, std::chrono::milliseconds timeout) {
  json j = read_json(timeout);
  if (j["type"] != "ok" || !j.contains("cmd") || j["cmd"] != cmd) {
    fail("expected {\"type\":\"ok\",\"cmd\":\"" + std::string(cmd) + "\"...}, got " + j.dump());
  }
  return j;
}

json test_client::expect_error(std::string_view code, std::chrono::milliseconds timeout) {
  json j = read_json(timeout);
  if (j["type"] != "error" || !j.contains("code") || j["code"] != code) {
    fail("expected error \"" + std::string(code) + "\", got " + j.dump());
  }
  if (!j.contains("message") || !j["message"].is_string() ||
      j["message"].get<std::string>().empty()) {
    fail("error without a human message: " + j.dump());
  }
  return j;
}

std::vector<json> test_client::register_json(std::string_view nick,
                                             std::string_view auto_join_room) {
  label_ = std::string(nick);
  send_line("/format json");
  // The human welcome comes first, then the format ok already in JSON.
  std::size_t welcome_lines = 0;
  for (;;) {
    std::string line = expect_line();
    if (starts_with(line, "{")) {
      json j = json::parse(line, nullptr, false);
      if (j.is_discarded() || j.value("type", "") != "ok" || j.value("cmd", "") != "format") {
        fail("expected the /format ok, got '" + printable(line) + "'");
      }
      break;
    }
    if (!starts_with(line, "* ")) fail("welcome line does not start with '* ': '" + printable(line) + "'");
    ++welcome_lines;
  }
  if (welcome_lines == 0) fail("no human welcome before the /format reply");

  send_line("/nick " + std::string(nick));
  json ok = expect_ok("nick");
  if (ok.value("nick", "") != nick) fail("nick ok names the wrong nick: " + ok.dump());
  if (!auto_join_room.empty()) {
    json join = expect_json("join");
    if (join.value("room", "") != auto_join_room || join.value("nick", "") != nick) {
      fail("expected the automatic join of " + std::string(nick) + " to " +
           std::string(auto_join_room) + ", got " + join.dump());
    }
  }
  return sync_json();
}

std::vector<json> test_client::sync_json(std::chrono::milliseconds timeout) {
  const std::string token = "sync-" + std::to_string(++sync_count_);
  send_line("/ping " + token);
  std::vector<json> before;
  const auto deadline = clock_type::now() + timeout;
  for (;;) {
    json j = read_json(std::chrono::milliseconds(ms_until(deadline)));
    if (j["type"] == "pong") {
      if (j.value("token", "") != token) fail("pong with the wrong token: " + j.dump());
      return before;
    }
    before.push_back(std::move(j));
  }
}

void test_client::expect_quiet_json(std::chrono::milliseconds timeout) {
  auto extra = sync_json(timeout);
  if (!extra.empty()) {
    std::string all;
    for (const auto& j : extra) all += "\n  " + j.dump();
    fail("expected nothing before the pong, got:" + all);
  }
}

std::vector<std::string> test_client::sync_human(std::chrono::milliseconds timeout) {
  const std::string token = "hsync-" + std::to_string(++sync_count_);
  send_line("/ping " + token);
  std::vector<std::string> before;
  const auto deadline = clock_type::now() + timeout;
  for (;;) {
    std::string line = expect_line(std::chrono::milliseconds(ms_until(deadline)));
    if (line.find(token) != std::string::npos) {
      if (!starts_with(line, "* ")) fail("human pong does not start with '* ': '" + printable(line) + "'");
      return before;
    }
    before.push_back(std::move(line));
  }
}

void test_client::expect_quiet_human(std::chrono::milliseconds timeout) {
  auto extra = sync_human(timeout);
  if (!extra.empty()) {
    std::string all;
    for (const auto& line : extra) all += "\n  " + printable(line);
    fail("expected nothing before the pong, got:" + all);
  }
}

bool test_client::wait_closed(std::chrono::milliseconds timeout) {
  const auto deadline = clock_type::now() + timeout;
  while (!peer_closed_) {
    if (fd_ < 0) return false;
    const int left = ms_until(deadline);
    if (left == 0) return false;
    fill(std::chrono::milliseconds(left));
  }
  return true;
}

std::string test_client::read_raw_lines(std::size_t lines, std::chrono::milliseconds timeout) {
  const auto deadline = clock_type::now() + timeout;
  for (;;) {
    std::size_t end = 0;
    std::size_t found = 0;
    while (found < lines) {
      const auto lf = buffer_.find('\n', end);
      if (lf == std::string::npos) break;
      end = lf + 1;
      ++found;
    }
    if (found == lines || fd_ < 0 || peer_closed_ || ms_until(deadline) == 0) {
      if (found < lines) end = buffer_.size();
      std::string out = buffer_.substr(0, end);
      buffer_.erase(0, end);
      return out;
    }
    fill(std::chrono::milliseconds(ms_until(deadline)));
  }
}

std::string test_client::read_raw_until_quiet(std::chrono::milliseconds quiet) {
  while (fill(quiet)) {
  }
  std::string out = std::move(buffer_);
  buffer_.clear();
  return out;
}

void test_client::close() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

void test_client::reset() {
  if (fd_ < 0) return;
  linger abort_on_close{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
  close();
}

void test_client::shutdown_write() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

}  // namespace chatd::integration
