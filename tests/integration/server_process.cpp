#include "integration/server_process.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <regex>
#include <stdexcept>

namespace chatd::integration {

namespace {

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
  spawn_options spawn;
  spawn.env = options.env;
  spawn.unset_env = options.unset_env;
  spawn.stop_grace = std::chrono::milliseconds(0);  // tests end with SIGKILL: nothing to flush
  process_ = std::make_unique<child_process>(std::move(args), std::move(spawn));
}

void server_process::await_port() {
  static const std::regex listening(R"(chat listening on 127\.0\.0\.1:([0-9]+))");
  std::smatch match;
  std::string log;
  const bool found = process_->wait_output(
      [&](const std::string& out) {
        log = out;
        return std::regex_search(log, match, listening);
      },
      startup_timeout);
  if (found) {
    port_ = static_cast<std::uint16_t>(std::stoul(match[1].str()));
    if (port_ != 0) return;
  }
  throw std::runtime_error(
      std::string(process_->wait_output_end(std::chrono::milliseconds(0)) ? "chatd ended its output"
                                                                          : "timed out") +
      " before logging 'chat listening on 127.0.0.1:PORT'; log so far:\n" + process_->output());
}

std::string server_process::log() const { return process_ ? process_->output() : std::string(); }

bool server_process::wait_for_log(std::string_view needle,
                                  std::chrono::milliseconds timeout) const {
  return process_ && process_->wait_for_output(needle, timeout);
}

void server_process::signal(int sig) {
  if (process_) process_->signal(sig);
}

std::optional<int> server_process::wait_exit(std::chrono::milliseconds timeout) {
  if (!process_) return std::nullopt;
  return process_->wait_exit(timeout);
}

void server_process::cleanup() noexcept {
  process_.reset();  // SIGKILL if still running, reap, collect the rest of the output
  if (!config_path_.empty()) {
    ::unlink(config_path_.c_str());
    config_path_.clear();
  }
}

}  // namespace chatd::integration
