// End to end with the real netcat (netcat-openbsd): a user pipes three lines into nc.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <sstream>

#include "integration/chat_helpers.hpp"
#include "integration/child_process.hpp"

extern char** environ;

using namespace chatd::integration;

namespace {

using clock_type = std::chrono::steady_clock;

struct shell_result {
  std::string output;    // stdout and stderr
  std::optional<int> exit_code;  // nullopt if it had to be killed at the deadline
};

// Runs `/bin/sh -c script`, collecting its output until it exits or `timeout` passes (then the
// shell's own process group, which this function created, is killed).
shell_result run_shell(const std::string& script, std::chrono::milliseconds timeout) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setpgroup(&attr, 0);  // its own group, so a timeout can end nc as well
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGTERM, SIGINT, SIGPIPE, SIGHUP, SIGALRM}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::string sh = "/bin/sh", dash_c = "-c", body = script;
  char* argv[] = {sh.data(), dash_c.data(), body.data(), nullptr};
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, "/bin/sh", &actions, &attr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    throw std::runtime_error("posix_spawn /bin/sh failed");
  }

  shell_result result;
  const auto deadline = clock_type::now() + timeout;
  bool timed_out = false;
  for (;;) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock_type::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buffer[4096];
    ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    result.output.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  if (timed_out) ::kill(-pid, SIGKILL);  // the group this function created, nothing else
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!timed_out && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

std::vector<std::string> split_crlf_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find("\r\n", start);
    if (end == std::string::npos) {
      lines.push_back(text.substr(start));  // unterminated tail (a failure for the caller)
      break;
    }
    lines.push_back(text.substr(start, end - start));
    start = end + 2;
  }
  return lines;
}

}  // namespace

TEST(NetcatEndToEnd, PipedNcSessionRegistersChatsAndQuits) {
  const std::string nc = find_on_path("nc");
  if (nc.empty()) GTEST_SKIP() << "nc (netcat-openbsd) is not installed; apt-get install netcat-openbsd";

  server_process server;
  test_client bob = json_client(server, "bob");

  // -q 1: quit one second after stdin ends at the latest; the server's close usually ends it
  // sooner. timeout(1) is a second guard besides this test's own deadline.
  const std::string script = "printf 'alice\\nhello from nc\\n/quit off to lunch\\n' | timeout 10 " +
                             nc + " -q 1 127.0.0.1 " + std::to_string(server.port());
  shell_result run = run_shell(script, std::chrono::seconds(15));
  ASSERT_TRUE(run.exit_code.has_value()) << "nc did not finish; output:\n" << printable(run.output);
  EXPECT_EQ(*run.exit_code, 0) << printable(run.output);

  json join = bob.expect_json("join");
  EXPECT_EQ(join["room"], "lobby");
  EXPECT_EQ(join["nick"], "alice");
  check_msg(bob.expect_json("msg"), "lobby", "alice", "hello from nc");
  json quit = bob.expect_json("quit");
  EXPECT_EQ(quit["nick"], "alice");
  EXPECT_EQ(quit["reason"], "off to lunch");
  bob.expect_quiet_json();

  // What the nc user saw: the welcome first, the goodbye last, every line a CRLF-terminated
  // human line, and no message echoed back.
  ASSERT_GE(run.output.size(), 2u);
  EXPECT_EQ(run.output.substr(run.output.size() - 2), "\r\n") << printable(run.output);
  auto lines = split_crlf_lines(run.output);
  ASSERT_GE(lines.size(), 2u) << printable(run.output);
  EXPECT_EQ(lines.front().rfind("* ", 0), 0u) << printable(lines.front());
  EXPECT_NE(lines.front().find("chatd"), std::string::npos) << printable(lines.front());
  EXPECT_EQ(lines.back().rfind("* ", 0), 0u) << printable(lines.back());
  EXPECT_TRUE(lines.back().find("bye") != std::string::npos ||
              lines.back().find("Bye") != std::string::npos)
      << "the last line should be the goodbye: " << printable(lines.back());
  for (const auto& line : lines) {
    EXPECT_EQ(line.rfind("* ", 0), 0u) << printable(line);
    EXPECT_EQ(line.find("hello from nc"), std::string::npos) << printable(line);
  }
}
