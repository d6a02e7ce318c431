// chatd as a service: sd_notify messages caught on a test-owned NOTIFY_SOCKET, listeners passed by
// the real systemd-socket-activate, SIGHUP reload, the file-descriptor budget and --health-check.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "integration/chat_helpers.hpp"
#include "integration/child_process.hpp"
#include "integration/http_client.hpp"
#include "integration/metrics_helpers.hpp"
#include "integration/poll.hpp"
#include "integration/server_process.hpp"
#include "integration/test_client.hpp"

namespace chatd::integration {
namespace {

using namespace std::chrono_literals;

// A datagram socket standing in for systemd's notification socket.
class notify_socket {
 public:
  notify_socket() {
    char dir_template[] = "/tmp/chatd-notify-XXXXXX";
    if (::mkdtemp(dir_template) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = dir_template;
    path_ = dir_ + "/notify";
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    path_.copy(address.sun_path, sizeof address.sun_path - 1);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
      throw std::runtime_error("cannot bind " + path_);
  }
  ~notify_socket() {
    ::close(fd_);
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }
  notify_socket(const notify_socket&) = delete;
  notify_socket& operator=(const notify_socket&) = delete;

  const std::string& path() const { return path_; }

  // The next datagram, or nullopt after `timeout`.
  std::optional<std::string> receive(std::chrono::milliseconds timeout) {
    timeval tv{static_cast<time_t>(timeout.count() / 1000),
               static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buffer[4096];
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n < 0) return std::nullopt;
    return std::string(buffer, static_cast<std::size_t>(n));
  }

  // Reads datagrams until one contains `needle` (returned) or `timeout` passes (throws). Every
  // datagram read on the way is appended to `seen`.
  std::string wait_for(const std::string& needle, std::chrono::milliseconds timeout,
                       std::vector<std::string>& seen) {
    std::string found;
    const auto result = wait_until(
        [&] {
          auto message = receive(50ms);  // blocks: no interval needed
          if (!message) return false;
          seen.push_back(*message);
          if (message->find(needle) == std::string::npos) return false;
          found = *message;
          return true;
        },
        timeout, "a notification with '" + needle + "'", 0ms);
    if (result) return found;
    std::string all;
    for (const auto& m : seen) all += "[" + m + "] ";
    throw std::runtime_error(std::string(result.message()) + "; got: " + all);
  }

 private:
  std::string dir_;
  std::string path_;
  int fd_ = -1;
};

std::size_t count_of(const std::vector<std::string>& messages, const std::string& needle) {
  std::size_t n = 0;
  for (const auto& m : messages) n += m.find(needle) != std::string::npos;
  return n;
}

// A loopback port that was free a moment ago (for listeners created by another program).
std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

// Runs `chatd ARGS... --health-check` to its end (10 s at most).
program_result health_check(std::vector<std::string> args) {
  args.insert(args.begin(), CHATD_BINARY);
  args.push_back("--health-check");
  return run_program(std::move(args), 10s);
}

std::string line_of(std::size_t bytes) { return std::string(bytes, 'x'); }

// Voluntary context switches of all threads of `pid`: each is the process going to sleep (in
// epoll_wait), so for an idle process they count its wake-ups.
std::uint64_t voluntary_switches(pid_t pid) {
  std::uint64_t total = 0;
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  for (const auto& task : std::filesystem::directory_iterator(tasks)) {
    std::ifstream status(task.path() / "status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.rfind("voluntary_ctxt_switches:", 0) == 0) total += std::stoull(line.substr(24));
    }
  }
  return total;
}

// How long a wake-up count is taken over.
constexpr std::chrono::milliseconds probe_window{500};

// The wake-ups of the idle process `pid` over `window`.
std::uint64_t idle_wakeups(pid_t pid, std::chrono::milliseconds window) {
  const auto before = voluntary_switches(pid);
  std::this_thread::sleep_for(window);  // the measurement window, not a synchronisation
  return voluntary_switches(pid) - before;
}

// ---------------------------------------------------------------------------------------------
// sd_notify

TEST(ServiceNotify, ReadyStatusWatchdogReloadingAndStopping) {
  notify_socket notify;
  launch_options options;
  options.env = {"NOTIFY_SOCKET=" + notify.path(), "WATCHDOG_USEC=200000"};
  server_process server({}, {}, options);
  std::vector<std::string> seen;

  const std::string ready = notify.wait_for("READY=1", 5s, seen);
  EXPECT_NE(ready.find("STATUS=0 connections, 0 rooms, 0 messages/s"), std::string::npos)
      << ready;
  EXPECT_TRUE(server.wait_for_log("watchdog ping every 100 ms"));

  // Pings come from the loop every half interval: a handful within a second.
  const auto since = seen.size();
  const auto until = std::chrono::steady_clock::now() + 1s;
  while (std::chrono::steady_clock::now() < until) {
    if (auto message = notify.receive(100ms)) seen.push_back(*message);
  }
  const std::vector<std::string> last_second(seen.begin() + static_cast<long>(since), seen.end());
  EXPECT_GE(count_of(last_second, "WATCHDOG=1"), 5u);

  // STATUS follows the live figures.
  test_client alice = json_client(server, "alice");
  const std::string status = notify.wait_for("STATUS=1 connections, 1 rooms", 8s, seen);
  EXPECT_EQ(status.find("READY=1"), std::string::npos);

  server.signal(SIGHUP);
  const std::string reloading = notify.wait_for("RELOADING=1", 5s, seen);
  EXPECT_NE(reloading.find("MONOTONIC_USEC="), std::string::npos) << reloading;
  notify.wait_for("READY=1", 5s, seen);

  server.signal(SIGTERM);
  const std::string stopping = notify.wait_for("STOPPING=1", 5s, seen);
  EXPECT_NE(stopping.find("STATUS=shutting down: 1 connections flushing"), std::string::npos)
      << stopping;
  EXPECT_EQ(server.wait_exit(10s), 0) << "what it logged:\n" << server.log();
}

TEST(ServiceNotify, WithoutNotifySocketNothingIsSentAndNoWatchdogRuns) {
  // WATCHDOG_USEC alone (no NOTIFY_SOCKET) must not start pings or fail the start. A watchdog
  // loop without a socket sends nothing anyone could catch, so the probe is what a loop costs:
  // an idle chatd wakes up only for its 250 ms sweep, a watchdog asked for every 20 ms pings
  // every 10 ms. The same probe first runs with NOTIFY_SOCKET set, to show that it sees them.
  const std::string watchdog = "WATCHDOG_USEC=20000";
  // Not inherited from a test runner that itself runs under systemd.
  const std::vector<std::string> inherited = {"NOTIFY_SOCKET", "WATCHDOG_PID"};
  std::uint64_t pings = 0, wakeups_with_socket = 0;
  {
    notify_socket notify;
    launch_options options;
    options.env = {"NOTIFY_SOCKET=" + notify.path(), watchdog};
    options.unset_env = inherited;
    server_process server({}, {}, options);
    std::vector<std::string> seen;
    notify.wait_for("READY=1", 5s, seen);
    ASSERT_TRUE(server.wait_for_log("told systemd we are ready; watchdog ping every 10 ms"))
        << server.log();
    const auto before = voluntary_switches(server.pid());
    const auto until = std::chrono::steady_clock::now() + probe_window;
    while (std::chrono::steady_clock::now() < until) {  // the window, read as it goes
      if (auto message = notify.receive(10ms)) {
        pings += message->find("WATCHDOG=1") != std::string::npos;
      }
    }
    wakeups_with_socket = voluntary_switches(server.pid()) - before;
  }
  EXPECT_GE(pings, 25u) << "the probe's control run saw no watchdog";
  EXPECT_GE(wakeups_with_socket, 25u) << "the probe does not see a watchdog loop's wake-ups";

  launch_options options;
  options.env = {watchdog};
  options.unset_env = inherited;
  server_process server({}, {}, options);
  test_client alice = json_client(server, "alice");
  // Logged after the notifier has started (or not): the log holds whatever it said.
  ASSERT_TRUE(server.wait_for_log("registered peer=")) << server.log();
  EXPECT_EQ(server.log().find("told systemd"), std::string::npos) << server.log();
  EXPECT_EQ(server.log().find("sd_notify"), std::string::npos) << server.log();
  const auto wakeups = idle_wakeups(server.pid(), probe_window);
  EXPECT_LT(wakeups, 15u) << "an idle chatd without NOTIFY_SOCKET woke " << wakeups
                          << " times in " << probe_window.count() << " ms (" << wakeups_with_socket
                          << " with a watchdog): a timer runs that should not";
  // And it serves as usual.
  alice.send_line("/ping still here");
  EXPECT_EQ(alice.expect_json("pong")["token"], "still here");
}

// ---------------------------------------------------------------------------------------------
// Socket activation

TEST(SocketActivation, ServesTheListenersPassedBySystemdSocketActivate) {
  const std::uint16_t chat = free_port();
  const std::uint16_t metrics = free_port();
  // systemd-socket-activate binds both, then starts chatd on the first connection with
  // LISTEN_FDS=2 and LISTEN_FDNAMES=chat:metrics.
  launch_options options;
  options.wrapper = {"systemd-socket-activate", "-l", "127.0.0.1:" + std::to_string(chat), "-l",
                     "127.0.0.1:" + std::to_string(metrics), "--fdname=chat:metrics"};
  options.wait_for_listening = false;
  server_process server({}, metrics_listen_args(), options);

  test_client alice;
  std::string refused;
  ASSERT_TRUE(wait_until(
      [&] {
        try {
          alice.connect(chat);
          return true;
        } catch (const std::exception& e) {
          refused = e.what();
          return false;
        }
      },
      5s, "systemd-socket-activate to accept on 127.0.0.1:" + std::to_string(chat), 50ms))
      << refused;
  alice.register_json("alice");
  ASSERT_TRUE(server.wait_for_log("chat listening on 127.0.0.1:" + std::to_string(chat) +
                                  " (socket from the service manager)"))
      << server.log();
  ASSERT_TRUE(server.wait_for_log("metrics listening on 127.0.0.1:" + std::to_string(metrics) +
                                  " (socket from the service manager)"))
      << server.log();

  EXPECT_EQ(http_get(metrics, "/healthz").status, 200);
  EXPECT_EQ(scrape(metrics).value("chatd_connections_active"), 1);
  test_client bob(chat, "bob");
  bob.register_json("bob");
  alice.sync_json();  // bob's join
  alice.send_line("hello from an activated socket");
  alice.expect_ok("say");
  const auto msg = bob.expect_json("msg");
  EXPECT_EQ(msg["text"], "hello from an activated socket");
}

// ---------------------------------------------------------------------------------------------
// SIGHUP reload

TEST(ConfigReload, AValidFileAppliesLiveToExistingAndNewConnections) {
  server_process server("limits:\n  max_line_bytes: 4096\n", metrics_listen_args());
  test_client alice = json_client(server, "alice");
  alice.send_line(line_of(200));
  alice.expect_ok("say");

  server.rewrite_config("limits:\n  max_line_bytes: 100\n  rate: 50\nlog:\n  level: warn\n");
  server.signal(SIGHUP);
  ASSERT_TRUE(server.wait_for_log("configuration reloaded: ")) << server.log();
  const std::string log = server.log();
  EXPECT_NE(log.find("configuration reloaded: log.level 'info' -> 'warn', "
                     "limits.max_line_bytes '4KiB' -> '100', limits.rate '10' -> '50'"),
            std::string::npos)
      << log;

  // The existing connection has the new bound at once, and so does a new one.
  alice.send_line(line_of(200));
  alice.expect_error("line-too-long");
  test_client bob = json_client(server, "bob");
  bob.send_line(line_of(200));
  bob.expect_error("line-too-long");
  bob.send_line(line_of(90));
  bob.expect_ok("say");

  // The new level applies too: info lines ("conn N open") are gone.
  EXPECT_EQ(server.log().find("nick=bob"), std::string::npos) << server.log();

  const auto scraped = scrape(metrics_port(server));
  EXPECT_EQ(scraped.value("chatd_config_reloads_total", {{"result", "ok"}}), 1);
  EXPECT_EQ(scraped.value("chatd_config_reloads_total", {{"result", "failed"}}), 0);
}

TEST(ConfigReload, AnInvalidFileKeepsTheCurrentConfigurationAndIsCounted) {
  server_process server("limits:\n  max_line_bytes: 100\n", metrics_listen_args());
  test_client alice = json_client(server, "alice");

  server.rewrite_config("limits:\n  max_line_bytes: 10\n");  // below the 64-byte minimum
  server.signal(SIGHUP);
  ASSERT_TRUE(server.wait_for_log("config reload failed, keeping the current configuration: "))
      << server.log();
  EXPECT_NE(server.log().find(server.config_path() + ":2: limits.max_line_bytes: expected"),
            std::string::npos)
      << server.log();

  server.rewrite_config("limits: [unclosed\n");
  server.signal(SIGHUP);
  ASSERT_TRUE(server.wait_for_log("SIGHUP received", 5s));
  const auto failed_reloads = [&] {
    return scrape(metrics_port(server)).value("chatd_config_reloads_total", {{"result", "failed"}});
  };
  ASSERT_TRUE(wait_until([&] { return failed_reloads() >= 2; }, 5s,
                         "chatd_config_reloads_total{result=\"failed\"} to reach 2", 20ms))
      << "it is " << failed_reloads() << "; log:\n" << server.log();

  // Still the old bound: 90 bytes pass, 200 do not.
  alice.send_line(line_of(90));
  alice.expect_ok("say");
  alice.send_line(line_of(200));
  alice.expect_error("line-too-long");
  const auto scraped = scrape(metrics_port(server));
  EXPECT_EQ(scraped.value("chatd_config_reloads_total", {{"result", "failed"}}), 2);
  EXPECT_EQ(scraped.value("chatd_config_reloads_total", {{"result", "ok"}}), 0);
}

TEST(ConfigReload, ListenerChangesAreLoggedAndNotApplied) {
  const std::string listen = "listen:\n  chat: 127.0.0.1:0\n  metrics: \"\"\n";
  launch_options options;
  options.listen_flags = false;
  server_process server(listen, {}, options);
  server.rewrite_config("listen:\n  chat: 127.0.0.1:7\n  metrics: \"\"\nrooms:\n  history: 5\n");
  server.signal(SIGHUP);
  ASSERT_TRUE(server.wait_for_log("configuration reloaded: rooms.history '50' -> '5'"))
      << server.log();
  EXPECT_NE(server.log().find("listen.chat changed from 127.0.0.1:0 to 127.0.0.1:7 but listeners "
                              "are bound once; restart chatd to move it"),
            std::string::npos)
      << server.log();
  // Still serving on the original port.
  test_client alice = json_client(server, "alice");
}

TEST(ConfigReload, ClusterChangesAreLoggedAndWaitForARestart) {
  server_process server("cluster:\n  node: chat-1\n");
  server.rewrite_config("cluster:\n  node: chat-2\n  replicas: 1\nrooms:\n  history: 5\n");
  server.signal(SIGHUP);
  ASSERT_TRUE(server.wait_for_log("configuration reloaded: rooms.history '50' -> '5'"))
      << server.log();
  for (const char* change : {"cluster.node changed from chat-1 to chat-2",
                             "cluster.replicas changed from 3 to 1"}) {
    EXPECT_NE(server.log().find(std::string("config reload: ") + change +
                                " but the cluster is joined once, at start; restart chatd to "
                                "apply it"),
              std::string::npos)
        << server.log();
  }
  // Kept, so a second reload with the same file reports the same pending change.
  server.signal(SIGHUP);
  ASSERT_TRUE(server.wait_for_log("configuration reloaded: nothing changed")) << server.log();
  EXPECT_NE(server.log().rfind("cluster.node changed from chat-1 to chat-2"),
            server.log().find("cluster.node changed from chat-1 to chat-2"))
      << server.log();
}

// ---------------------------------------------------------------------------------------------
// File descriptors

TEST(FdLimit, RaisesTheSoftLimitToTheHardLimit) {
  launch_options options;
  options.wrapper = {"prlimit", "--nofile=1024:4096"};
  server_process server("limits:\n  max_connections: 2000\n", {}, options);
  EXPECT_TRUE(server.wait_for_log("file descriptor limit 4096 (was 1024, hard limit 4096)"))
      << server.log();
  std::ifstream limits("/proc/" + std::to_string(server.pid()) + "/limits");
  std::stringstream text;
  text << limits.rdbuf();
  EXPECT_NE(text.str().find("Max open files            4096                 4096"),
            std::string::npos)
      << text.str();
}

TEST(FdLimit, RefusesAMaxConnectionsItCannotHonour) {
  launch_options options;
  options.wrapper = {"prlimit", "--nofile=256:256"};
  options.wait_for_listening = false;
  server_process server("limits:\n  max_connections: 1000\n", {}, options);
  EXPECT_EQ(server.wait_exit(10s), 1);
  EXPECT_NE(server.log().find("cannot start: limits.max_connections 1000 needs 1064 file "
                              "descriptors (64 more for listeners and housekeeping) but the "
                              "limit is 256"),
            std::string::npos)
      << server.log();
  EXPECT_EQ(server.log().find("chat listening"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// --health-check

TEST(HealthCheck, ExitsZeroWhileServingAndOneWhenNothingAnswers) {
  server_process server({}, metrics_listen_args());
  const std::string port = std::to_string(metrics_port(server));
  const auto healthy = health_check({"--metrics-listen", "127.0.0.1:" + port});
  EXPECT_EQ(healthy.exit_code, 0) << healthy.output;
  EXPECT_EQ(healthy.output, "chatd: healthy: 200 OK from 127.0.0.1:" + port + "\n");

  const std::string closed = std::to_string(free_port());
  const auto down = health_check({"--metrics-listen", "127.0.0.1:" + closed});
  EXPECT_EQ(down.exit_code, 1) << down.output;
  EXPECT_NE(down.output.find("chatd: unhealthy: 127.0.0.1:" + closed), std::string::npos)
      << down.output;

  const auto off = health_check({"--metrics-listen", ""});
  EXPECT_EQ(off.exit_code, 1);
  EXPECT_EQ(off.output, "chatd: unhealthy: listen.metrics is off, so there is no /healthz to ask\n");
}

}  // namespace
}  // namespace chatd::integration
