// A blocking HTTP/1.1 client on a raw loopback socket, with a deadline on every wait, for the
// metrics endpoint (header-only; the test target compiles only *_test.cpp, test_client.cpp and
// server_process.cpp).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace chatd::integration {

inline constexpr std::chrono::milliseconds http_timeout{5000};

struct http_reply {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;

  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

inline std::string ascii_lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A blocking HTTP client on a raw socket. Every wait has a deadline; nothing sleeps.
class raw_client {
 public:
  using steady = std::chrono::steady_clock;

  explicit raw_client(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
      const int err = errno;
      ::close(fd_);
      throw std::system_error(err, std::generic_category(), "connect");
    }
  }
  ~raw_client() { close(); }
  raw_client(const raw_client&) = delete;
  raw_client& operator=(const raw_client&) = delete;

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // False if the server has already gone (reset).
  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // One response framed by its Content-Length; nullopt on timeout or close before it is whole.
  std::optional<http_reply> read_reply(std::chrono::milliseconds timeout = http_timeout) {
    const auto deadline = steady::now() + timeout;
    std::size_t head_end;
    while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos)
      if (!fill(deadline)) return std::nullopt;
    http_reply reply;
    std::istringstream head(buffer_.substr(0, head_end));
    std::string line;
    std::getline(head, line);
    if (line.rfind("HTTP/1.1 ", 0) != 0) throw std::runtime_error("bad status line: " + line);
    reply.status = std::stoi(line.substr(9, 3));
    while (std::getline(head, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      const auto colon = line.find(": ");
      if (colon == std::string::npos) throw std::runtime_error("bad header: " + line);
      reply.headers[ascii_lower(line.substr(0, colon))] = line.substr(colon + 2);
    }
    buffer_.erase(0, head_end + 4);
    body_length_ = std::stoul(reply.header("content-length"));  // throws if it is missing
    return reply;
  }

  // The body of the reply just read (HEAD replies have none: pass 0).
  std::optional<std::string> read_body(std::chrono::milliseconds timeout = http_timeout) {
    const auto deadline = steady::now() + timeout;
    while (buffer_.size() < body_length_)
      if (!fill(deadline)) return std::nullopt;
    std::string body = buffer_.substr(0, body_length_);
    buffer_.erase(0, body_length_);
    return body;
  }

  std::optional<http_reply> request(std::string_view bytes) {
    if (!send(bytes)) return std::nullopt;
    auto reply = read_reply();
    if (!reply) return std::nullopt;
    auto body = read_body();
    if (!body) return std::nullopt;
    reply->body = std::move(*body);
    return reply;
  }

  // True once the server has closed the connection (EOF or reset) within `timeout`; bytes that
  // arrive first are kept in the buffer.
  bool wait_closed(std::chrono::milliseconds timeout = http_timeout) {
    const auto deadline = steady::now() + timeout;
    while (fill(deadline)) {
    }
    return closed_;
  }

  const std::string& unread() const noexcept { return buffer_; }

 private:
  // Reads what is available before `deadline`; false on timeout or close.
  bool fill(steady::time_point deadline) {
    if (closed_) return false;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char chunk[8192];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  std::string buffer_;
  std::size_t body_length_ = 0;
  bool closed_ = false;
};

// GET `target` from 127.0.0.1:port on a connection of its own. Throws std::runtime_error if no
// whole reply arrives within 5 s.
inline http_reply http_get(std::uint16_t port, std::string_view target) {
  raw_client client(port);
  auto reply = client.request("GET " + std::string(target) +
                              " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  if (!reply) {
    throw std::runtime_error("GET " + std::string(target) + " on port " + std::to_string(port) +
                             ": no complete reply");
  }
  return *reply;
}

// GET `target` from 127.0.0.1:port as HTTP/1.0 and read the answer up to the server's close: for
// servers that frame their answers by closing rather than with Content-Length (Prometheus's API
// may). Throws std::runtime_error if the answer is not whole within `timeout`.
inline http_reply http_get_to_close(std::uint16_t port, std::string_view target,
                                    std::chrono::milliseconds timeout = http_timeout) {
  const std::string what = "GET " + std::string(target) + " on port " + std::to_string(port);
  raw_client client(port);
  if (!client.send("GET " + std::string(target) + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n") ||
      !client.wait_closed(timeout)) {
    throw std::runtime_error(what + ": no complete answer");
  }
  const std::string& raw = client.unread();
  const auto head_end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.", 0) != 0 || head_end == std::string::npos || raw.size() < 12) {
    throw std::runtime_error(what + ": not an HTTP answer: " + raw.substr(0, 200));
  }
  http_reply reply;
  reply.status = std::stoi(raw.substr(9, 3));
  std::istringstream head(raw.substr(0, head_end));
  std::string line;
  std::getline(head, line);  // the status line
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto colon = line.find(':');
    if (colon == std::string::npos) throw std::runtime_error(what + ": bad header: " + line);
    const auto value_start = line.find_first_not_of(' ', colon + 1);
    reply.headers[ascii_lower(line.substr(0, colon))] =
        value_start == std::string::npos ? std::string() : line.substr(value_start);
  }
  if (reply.header("transfer-encoding").find("chunked") != std::string::npos) {
    throw std::runtime_error(what + ": chunked answer to an HTTP/1.0 request");
  }
  reply.body = raw.substr(head_end + 4);
  return reply;
}

}  // namespace chatd::integration
