#include "server/service/listen_fds.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <system_error>

namespace chatd {

inherited_listeners take_listen_fds() {
  inherited_listeners out;
  char** names = nullptr;
  const int count = sd_listen_fds_with_names(1, &names);
  if (count < 0) {
    out.problems.push_back(std::string("cannot read LISTEN_FDS: ") + std::strerror(-count));
    return out;
  }
  for (int i = 0; i < count; ++i) {
    const int fd = SD_LISTEN_FDS_START + i;
    const std::string_view name = names && names[i] ? names[i] : "unknown";
    std::optional<int>* slot = nullptr;
    if (name == "chat") {
      slot = &out.chat;
    } else if (name == "metrics") {
      slot = &out.metrics;
    } else if (name == "chat-tls") {
      slot = &out.chat_tls;
    } else if (count == 1) {
      slot = &out.chat;  // one socket without a name: the chat port, as in a plain chatd.socket
    }
    if (slot == nullptr) {
      out.problems.push_back("fd " + std::to_string(fd) + " named '" + std::string(name) +
                             "': expected FileDescriptorName=chat, metrics or chat-tls; closed");
      ::close(fd);
    } else if (sd_is_socket_inet(fd, AF_UNSPEC, SOCK_STREAM, 1, 0) <= 0) {
      out.problems.push_back("fd " + std::to_string(fd) + " named '" + std::string(name) +
                             "' is not a listening TCP socket; closed");
      ::close(fd);
    } else if (slot->has_value()) {
      out.problems.push_back("fd " + std::to_string(fd) + ": a second '" + std::string(name) +
                             "' socket; closed");
      ::close(fd);
    } else {
      *slot = fd;
    }
  }
  if (names) {
    for (int i = 0; i < count; ++i) std::free(names[i]);
    std::free(names);
  }
  return out;
}

void adopt_listener(asio::ip::tcp::acceptor& acceptor, int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0)
    throw std::system_error(errno, std::generic_category(), "getsockname");
  acceptor.assign(address.ss_family == AF_INET6 ? asio::ip::tcp::v6() : asio::ip::tcp::v4(), fd);
}

}  // namespace chatd
