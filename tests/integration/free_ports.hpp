// Loopback ports for programs a test starts that cannot report an ephemeral port of their own
// (Prometheus, nats-server): free a moment ago, so the caller must retry if one is taken before
// the program binds it (header-only).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <system_error>
#include <vector>

namespace chatd::integration {

// `count` distinct ports of 127.0.0.1 that were free a moment ago. All are bound to port 0 at
// once before any is released: released one by one, the kernel could hand out the same port twice.
inline std::vector<std::uint16_t> free_loopback_ports(std::size_t count) {
  std::vector<int> fds;
  std::vector<std::uint16_t> ports;
  auto release = [&fds] {
    for (const int fd : fds) ::close(fd);
  };
  for (std::size_t i = 0; i < count; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      const int err = errno;
      release();
      throw std::system_error(err, std::generic_category(), "socket");
    }
    fds.push_back(fd);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof addr;
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) != 0) {
      const int err = errno;
      release();
      throw std::system_error(err, std::generic_category(), "bind 127.0.0.1:0");
    }
    ports.push_back(ntohs(addr.sin_port));
  }
  release();
  return ports;
}

// One loopback port that was free a moment ago.
inline std::uint16_t free_loopback_port() { return free_loopback_ports(1).front(); }

}  // namespace chatd::integration
