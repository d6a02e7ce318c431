// Other programs a test runs (chatd itself through server_process, promtool, prometheus, nc,
// chatd --health-check): the one way the integration tests start a child process, wait for it
// with a timeout, signal it by its own PID and capture its output. Also: finding a program on
// PATH and a temporary folder that is always removed (header-only).
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "integration/poll.hpp"

extern char** environ;

namespace chatd::integration {

// The first executable `name` on PATH, or "".
inline std::string find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// The whole content of a file ("" if it cannot be read).
inline std::string read_file_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Writes `text` to `path` (replacing it); throws if that fails.
inline void write_file_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out.flush()) throw std::runtime_error("cannot write " + path);
}

// A fresh folder under $TMPDIR (or /tmp), removed with everything in it by the destructor.
class temp_dir {
 public:
  explicit temp_dir(const std::string& prefix) {
    const char* tmpdir = std::getenv("TMPDIR");
    std::string pattern =
        std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/" + prefix + "-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
    }
    path_ = pattern;
  }
  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

struct spawn_options {
  // "NAME=value" entries that replace or add to the inherited environment.
  std::vector<std::string> env;
  // Names removed from the inherited environment (e.g. NOTIFY_SOCKET, when the test runner
  // itself runs under systemd).
  std::vector<std::string> unset_env;
  // The child's standard input.
  std::string stdin_path = "/dev/null";
  // How the destructor ends a child that is still running: SIGTERM, up to this long, then
  // SIGKILL. 0: SIGKILL at once.
  std::chrono::milliseconds stop_grace{5000};
};

// A program started from `argv` (argv[0] is looked up on PATH), with default signal dispositions
// and nothing blocked, its stdout and stderr captured together into output(). Only this process
// is ever signalled, by its PID, and only until it has been reaped (so the PID cannot have been
// reused). The destructor stops it if it still runs (see spawn_options::stop_grace), reaps it
// and collects the rest of its output.
class child_process {
 public:
  explicit child_process(std::vector<std::string> argv, spawn_options options = {})
      : stop_grace_(options.stop_grace) {
    if (argv.empty()) throw std::invalid_argument("child_process: no program");
    program_ = argv[0];
    std::vector<char*> args;
    for (auto& arg : argv) args.push_back(arg.data());
    args.push_back(nullptr);

    std::vector<std::string> env_storage;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string_view entry(*e);
      const auto name = entry.substr(0, entry.find('='));
      bool dropped = false;
      for (const auto& unset : options.unset_env) dropped = dropped || name == unset;
      for (const auto& set : options.env) dropped = dropped || name == set.substr(0, set.find('='));
      if (!dropped) env_storage.emplace_back(entry);
    }
    env_storage.insert(env_storage.end(), options.env.begin(), options.env.end());
    std::vector<char*> envp;
    for (auto& entry : env_storage) envp.push_back(entry.data());
    envp.push_back(nullptr);

    int output[2];
    if (::pipe2(output, O_CLOEXEC) != 0) {
      throw std::system_error(errno, std::generic_category(), "pipe2");
    }
    int wake[2];
    if (::pipe2(wake, O_CLOEXEC) != 0) {
      const int err = errno;
      ::close(output[0]);
      ::close(output[1]);
      throw std::system_error(err, std::generic_category(), "pipe2");
    }
    output_fd_ = output[0];
    wake_read_fd_ = wake[0];
    wake_write_fd_ = wake[1];

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, options.stdin_path.c_str(), O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, output[1], 1);
    posix_spawn_file_actions_adddup2(&actions, output[1], 2);
    // Default dispositions and nothing blocked, whatever the test runner set.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none;
    sigemptyset(&none);
    sigset_t defaults;
    sigemptyset(&defaults);
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD, SIGALRM, SIGUSR1, SIGUSR2}) {
      sigaddset(&defaults, sig);
    }
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    const int rc = ::posix_spawnp(&pid_, args[0], &actions, &attr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    ::close(output[1]);
    if (rc != 0) {
      pid_ = -1;
      close_fds();
      throw std::runtime_error("posix_spawn " + program_ + ": " + std::strerror(rc));
    }
    reader_ = std::thread([this] { read_output(); });
  }

  ~child_process() {
    if (stop_grace_.count() > 0) {
      stop(stop_grace_);
    } else {
      kill();
    }
    finish_output();
  }
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const noexcept { return pid_; }
  const std::string& program() const noexcept { return program_; }

  // True until the process has ended (and been reaped).
  bool running() { return !try_reap(); }

  // Sends `sig` to this process; does nothing once it has been reaped.
  void signal(int sig) {
    if (pid_ > 0 && !try_reap()) ::kill(pid_, sig);
  }

  // Waits up to `timeout` for the process to end: its exit code (128 + signal number if a signal
  // ended it), or nullopt if it still runs.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout) {
    // waitpid has no timeout, and a SIGCHLD handler would be process-wide state: poll.
    if (!poll_until([this] { return try_reap(); }, timeout, std::chrono::milliseconds(2))) {
      return std::nullopt;
    }
    // The reader thread may not have drained the pipe yet: what the process wrote last (a
    // fatal log line) must be in output() once this returns.
    wait_output_end(std::chrono::seconds(1));
    return exit_code_;
  }

  // SIGTERM, up to `grace` to end, then SIGKILL; reaps the process. Does nothing once it ended.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(5)) noexcept {
    if (pid_ <= 0 || try_reap()) return;
    ::kill(pid_, SIGTERM);
    if (wait_exit(grace)) return;
    kill();
  }

  // SIGKILL and reap. Does nothing once it ended.
  void kill() noexcept {
    if (pid_ <= 0 || try_reap()) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    exit_code_ = decode(status);
  }

  // Everything the process wrote to stdout and stderr so far.
  std::string output() const {
    std::lock_guard lock(mutex_);
    return output_;
  }

  // True once `done(output so far)` holds; false if `timeout` passes or the output ends first
  // (checked once more at the end). Woken by new output, not by polling.
  bool wait_output(const std::function<bool(const std::string&)>& done,
                   std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    output_changed_.wait_for(lock, timeout, [&] { return done(output_) || output_ended_; });
    return done(output_);
  }

  // True once output() contains `needle` (see wait_output).
  bool wait_for_output(std::string_view needle, std::chrono::milliseconds timeout) const {
    return wait_output(
        [needle](const std::string& out) { return out.find(needle) != std::string::npos; },
        timeout);
  }

  // True once every writer of the output has closed it (the process and anything it started).
  bool wait_output_end(std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    return output_changed_.wait_for(lock, timeout, [&] { return output_ended_; });
  }

 private:
  static int decode(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
  }

  bool try_reap() noexcept {
    if (exit_code_) return true;
    if (pid_ <= 0) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = decode(status);
      return true;
    }
    return false;
  }

  void read_output() {
    char buffer[4096];
    for (;;) {
      pollfd fds[2] = {{output_fd_, POLLIN, 0}, {wake_read_fd_, POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (fds[1].revents != 0) break;  // finish_output gave up on the remaining writers
      const ssize_t n = ::read(output_fd_, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      std::lock_guard lock(mutex_);
      output_.append(buffer, static_cast<std::size_t>(n));
      output_changed_.notify_all();
    }
    std::lock_guard lock(mutex_);
    output_ended_ = true;
    output_changed_.notify_all();
  }

  // Once the process is gone: the rest of its output, waiting at most a second for anything it
  // started that still holds the pipe.
  void finish_output() noexcept {
    if (reader_.joinable()) {
      if (!wait_output_end(std::chrono::seconds(1))) {
        const char stop = 1;
        [[maybe_unused]] const auto ignored = ::write(wake_write_fd_, &stop, 1);
      }
      reader_.join();
    }
    close_fds();
  }

  void close_fds() noexcept {
    for (int* fd : {&output_fd_, &wake_read_fd_, &wake_write_fd_}) {
      if (*fd >= 0) ::close(*fd);
      *fd = -1;
    }
  }

  std::string program_;
  std::chrono::milliseconds stop_grace_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  int output_fd_ = -1;
  int wake_read_fd_ = -1;
  int wake_write_fd_ = -1;
  std::thread reader_;

  mutable std::mutex mutex_;
  mutable std::condition_variable output_changed_;
  std::string output_;         // guarded by mutex_
  bool output_ended_ = false;  // guarded by mutex_
};

// What run_program saw: the exit code (nullopt if it had to be killed at the timeout) and
// everything it wrote to stdout and stderr.
struct program_result {
  std::optional<int> exit_code;
  std::string output;
};

// Runs `argv` to its end, at most `timeout` (then it is killed by its PID).
inline program_result run_program(std::vector<std::string> argv, std::chrono::milliseconds timeout,
                                  spawn_options options = {}) {
  options.stop_grace = std::chrono::milliseconds(0);
  child_process child(std::move(argv), std::move(options));
  program_result result;
  result.exit_code = child.wait_exit(timeout);
  child.kill();
  child.wait_output_end(std::chrono::seconds(1));
  result.output = child.output();
  return result;
}

}  // namespace chatd::integration
