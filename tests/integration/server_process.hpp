// The real chatd binary, run on 127.0.0.1 with an ephemeral port for one test.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "integration/child_process.hpp"

namespace chatd::integration {

// Starts `chatd --config FILE --listen 127.0.0.1:0 --metrics-listen "" EXTRA...`, where FILE is a
// temporary file holding exactly `config_yaml` ("{}" when it is blank); a --listen or
// --metrics-listen in EXTRA replaces the default one. The process is a child_process
// (child_process.hpp): its stdout and stderr are log(). The constructor returns once the server
// has logged "chat listening on 127.0.0.1:PORT" and throws std::runtime_error (with the log so
// far) if that does not happen within 10 s or the process exits first.
//
// Only the process this object started is ever signalled, by its PID. The destructor sends
// SIGKILL to it if it is still running, reaps it, and removes the config file.
// How to start it, beyond the config and flags.
struct launch_options {
  // Added to the inherited environment (replacing a variable of the same name), e.g.
  // "NOTIFY_SOCKET=/tmp/x".
  std::vector<std::string> env;
  // Removed from the inherited environment, e.g. "NOTIFY_SOCKET".
  std::vector<std::string> unset_env;
  // A command that runs chatd, e.g. {"systemd-socket-activate", "-l", "127.0.0.1:7000"}.
  std::vector<std::string> wrapper;
  // When false the constructor returns at once and port() stays 0 (for a wrapper that starts
  // chatd only on the first connection).
  bool wait_for_listening = true;
  // When false, no --listen/--metrics-listen flags are added: the config file decides (it must
  // then put listen.chat on 127.0.0.1).
  bool listen_flags = true;
};

class server_process {
 public:
  explicit server_process(std::string config_yaml = {}, std::vector<std::string> extra_args = {},
                          launch_options options = {});
  ~server_process();

  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  const std::string& config_path() const noexcept { return config_path_; }
  // Replaces the config file's contents (for reload tests; send SIGHUP after).
  void rewrite_config(const std::string& config_yaml);
  pid_t pid() const noexcept { return process_ ? process_->pid() : -1; }

  // Everything the server wrote to stdout and stderr so far.
  std::string log() const;

  // True once log() contains `needle`; false if the timeout passes or the output ends first.
  bool wait_for_log(std::string_view needle,
                    std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;

  // Sends `sig` to the server process; does nothing once it has been reaped.
  void signal(int sig);

  // Waits for the process to end. Returns its exit code (128 + signal number if a signal killed
  // it), or nullopt if it is still running when the timeout passes.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  void spawn(const std::vector<std::string>& extra_args, const launch_options& options);
  void await_port();
  void cleanup() noexcept;  // kill if running, reap, remove the config file

  std::string config_path_;
  std::unique_ptr<child_process> process_;
  std::uint16_t port_ = 0;
};

}  // namespace chatd::integration
