#include "integration/server_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <regex>
#include <stdexcept>

extern char** environ;

namespace chatd::integration {

namespace {

using clock_type = std::chrono::steady_clock;

// How long the server may take to log its listening address.
constexpr std::chrono::seconds startup_timeout{10};

std::string errno_text(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

// Writes `yaml` to the open file `fd` (closing it); `path` is removed on failure.
void write_config_to(int fd, const std::string& path, const std::string& yaml) {
  // A blank file would be a YAML null rather than a mapping; "{}" is the empty mapping.
  const bool blank = yaml.find_first_not_of(" \t\r\n") == std::string::npos;
  const std::string text = blank ? std::string("{}\n") : yaml;
  std::size_t written = 0;
  while (written < text.size()) {
    ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::string error = errno_text("write config");
      ::close(fd);
      ::unlink(path.c_str());
      throw std::runtime_error(error);
    }
    written += static_cast<std::size_t>(n);
  }
  ::close(fd);
}

// Creates the config file and returns its path.
std::string write_config(const std::string& yaml) {
  const char* tmpdir = std::getenv("TMPDIR");
  std::string path = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/chatd-it-XXXXXX.yaml";
  int fd = ::mkstemps(path.data(), 5);
  if (fd < 0) throw std::runtime_error(errno_text("mkstemps"));
  write_config_to(fd, path, yaml);
  return path;
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

server_process::server_process(std::string config_yaml, std::vector<std::string> extra_args,
                               launch_options options) {
  config_path_ = write_config(config_yaml);
  try {
    spawn(extra_args, options);
    if (options.wait_for_listening) await_port();
  } catch (...) {
    cleanup();
    throw;
  }
}

server_process::~server_process() { cleanup(); }

void server_process::rewrite_config(const std::string& config_yaml) {
  const int fd = ::open(config_path_.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(errno_text("open config"));
  write_config_to(fd, config_path_, config_yaml);
}

void server_process::spawn(const std::vector<std::string>& extra_args,
                           const launch_options& options) {
  std::vector<std::string> args = options.wrapper;
  for (std::string arg : {std::string(CHATD_BINARY), std::string("--config"), config_path_}) {
    args.push_back(std::move(arg));
  }
  if (options.listen_flags) {
    // A flag the caller gives in extra_args replaces the default (CLI11 takes each flag once).
    const auto given = [&extra_args](const char* flag) {
      return std::find(extra_args.begin(), extra_args.end(), flag) != extra_args.end();
    };
    if (!given("--listen")) args.insert(args.end(), {"--listen", "127.0.0.1:0"});
    if (!given("--metrics-listen")) args.insert(args.end(), {"--metrics-listen", ""});
  }
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e) env_storage.emplace_back(*e);
  env_storage.insert(env_storage.end(), options.env.begin(), options.env.end());
  std::vector<char*> envp;
  for (auto& entry : env_storage) envp.push_back(entry.data());
  envp.push_back(nullptr);
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(errno_text("pipe2"));
  output_fd_ = fds[0];

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);

  // The child starts with default dispositions and nothing blocked, whatever the test runner set.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2}) {
    sigaddset(&defaults, sig);
  }
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  pid_t child = -1;
  int rc = ::posix_spawnp(&child, argv[0], &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(fds[1]);
  if (rc != 0) {
    throw std::runtime_error(std::string("posix_spawn ") + CHATD_BINARY + ": " +
                             std::strerror(rc));
  }
  pid_ = child;
  reader_ = std::thread([this] { read_output(); });
}

void server_process::read_output() {
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(output_fd_, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    std::lock_guard lock(mutex_);
    if (n <= 0) {
      output_ended_ = true;
      log_changed_.notify_all();
      return;
    }
    log_.append(buffer, static_cast<std::size_t>(n));
    log_changed_.notify_all();
  }
}

void server_process::await_port() {
  static const std::regex listening(R"(chat listening on 127\.0\.0\.1:([0-9]+))");
  std::unique_lock lock(mutex_);
  std::smatch match;
  const bool found = log_changed_.wait_for(lock, startup_timeout, [&] {
    return std::regex_search(log_, match, listening) || output_ended_;
  });
  if (found && !match.empty()) {
    port_ = static_cast<std::uint16_t>(std::stoul(match[1].str()));
    if (port_ != 0) return;
  }
  throw std::runtime_error(
      std::string(found ? "chatd ended its output" : "timed out") +
      " before logging 'chat listening on 127.0.0.1:PORT'; log so far:\n" + log_);
}

std::string server_process::log() const {
  std::lock_guard lock(mutex_);
  return log_;
}

bool server_process::wait_for_log(std::string_view needle,
                                  std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return log_changed_.wait_for(lock, timeout, [&] {
    return log_.find(needle) != std::string::npos || output_ended_;
  }) && log_.find(needle) != std::string::npos;
}

void server_process::signal(int sig) {
  if (pid_ > 0 && !try_reap()) ::kill(pid_, sig);
}

bool server_process::try_reap() noexcept {
  if (exit_code_) return true;
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_code_ = decode_status(status);
    return true;
  }
  return false;
}

std::optional<int> server_process::wait_exit(std::chrono::milliseconds timeout) {
  // Poll the child with a deadline: waitpid has no timeout, and a SIGCHLD handler would be
  // process-wide state shared with other tests.
  const auto deadline = clock_type::now() + timeout;
  while (!try_reap()) {
    if (clock_type::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return exit_code_;
}

void server_process::cleanup() noexcept {
  if (pid_ > 0 && !try_reap()) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    exit_code_ = decode_status(status);
  }
  if (reader_.joinable()) reader_.join();
  if (output_fd_ >= 0) {
    ::close(output_fd_);
    output_fd_ = -1;
  }
  if (!config_path_.empty()) {
    ::unlink(config_path_.c_str());
    config_path_.clear();
  }
}

}  // namespace chatd::integration
