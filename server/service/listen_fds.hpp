// Socket activation: listening sockets handed over by systemd (LISTEN_FDS), picked by their
// FileDescriptorName= ("chat", "metrics", "chat-tls"), so the service manager owns the ports.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <asio/ip/tcp.hpp>

namespace chatd {

struct inherited_listeners {
  std::optional<int> chat;
  std::optional<int> metrics;
  std::optional<int> chat_tls;  // listen.chat_tls's socket
  std::vector<std::string> problems;  // for the log: fds that were not used, and why
};

// Takes the passed descriptors (and unsets LISTEN_* so children do not see them). With no
// socket activation both fields are empty. A single unnamed descriptor is taken as the chat
// listener; descriptors that are not listening TCP sockets, or carry another name, are closed
// and reported in `problems`.
inherited_listeners take_listen_fds();

// Makes `acceptor` serve the already listening socket `fd` (IPv4 or IPv6). Throws
// std::system_error if it cannot.
void adopt_listener(asio::ip::tcp::acceptor& acceptor, int fd);

}  // namespace chatd
