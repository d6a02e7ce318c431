// chatd: a chat server for telnet, nc and bots, on one event loop.
#include <cstdio>
#include <cstdlib>
#include <exception>

#include <asio/io_context.hpp>
#include <spdlog/spdlog.h>

#include "config/command_line.hpp"
#include "config/config_loader.hpp"
#include "server/service/fd_limit.hpp"
#include "server/service/health_check.hpp"
#include "server/service/listen_fds.hpp"
#include "server/logging/logging.hpp"
#include "server/daemon/server.hpp"
#include "server/tls/tls_credentials.hpp"

namespace {

// Long enough for a loaded server to answer, short enough for a container HEALTHCHECK.
constexpr std::chrono::seconds health_check_timeout{3};

}  // namespace

int main(int argc, char** argv) {
  int exit_code = 0;
  const auto cli = chatd::parse_command_line(argc, argv, exit_code);
  if (!cli) return exit_code;

  chatd::config cfg;
  try {
    cfg = chatd::resolve_config(*cli);
    // The certificate is checked with the rest, so --check-config catches an expired one.
    if (cfg.listen.chat_tls_enabled) chatd::load_tls_credentials(cfg.tls);
  } catch (const chatd::config_error& e) {
    std::fprintf(stderr, "chatd: %s\n", e.what());
    return 1;
  }
  if (cli->check_config) {
    std::printf("chatd: configuration %s is valid\n",
                cli->config_path ? cli->config_path->c_str() : "(built-in defaults)");
    return 0;
  }
  if (cli->health_check) {
    const auto result = chatd::check_health(cfg.listen, health_check_timeout);
    std::printf("chatd: %s: %s\n", result.healthy ? "healthy" : "unhealthy",
                result.detail.c_str());
    return result.healthy ? 0 : 1;
  }

  chatd::setup_logging(cfg.log);
  spdlog::info("chatd {} starting", CHATD_VERSION);

  // Every connection is a file descriptor: take all the process may have, and refuse to
  // promise more connections than that.
  const auto fds = chatd::raise_fd_limit();
  spdlog::info("file descriptor limit {} (was {}, hard limit {})", fds.soft, fds.before,
               fds.hard);
  if (auto problem = chatd::fd_limit_problem(cfg.limits.max_connections, fds.soft)) {
    spdlog::critical("cannot start: {}", *problem);
    return 1;
  }

  try {
    asio::io_context io(1);
    chatd::server srv(io, cfg);
    srv.set_reload_source([&cli] { return chatd::resolve_config(*cli); });
    try {
      srv.start(chatd::take_listen_fds());
    } catch (const std::system_error& e) {
      spdlog::critical("cannot listen on {}: {}", cfg.listen.chat.to_string(), e.what());
      return 1;
    }
    io.run();
    if (srv.forced_exit()) {
      // Some coroutine did not finish after its socket was cut; do not wait on it.
      spdlog::warn("chatd stopped (forced)");
      spdlog::shutdown();
      std::_Exit(0);
    }
    spdlog::info("chatd stopped");
  } catch (const std::exception& e) {
    spdlog::critical("fatal: {}", e.what());
    return 1;
  }
  return 0;
}
