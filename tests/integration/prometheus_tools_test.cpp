// chatd's /metrics against the real Prometheus tools (Debian package `prometheus`): promtool's
// linter on a live scrape, and a real Prometheus server on loopback scraping chatd every second.
// The tools are required: `deploy/quickstart.sh test` installs them, and a missing one fails.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "integration/chat_helpers.hpp"
#include "integration/child_process.hpp"
#include "integration/free_ports.hpp"
#include "integration/metrics_helpers.hpp"
#include "integration/poll.hpp"
#include "integration/promtool_check.hpp"

using namespace chatd::integration;
using namespace std::chrono_literals;

namespace {

// How long Prometheus may take to start and to see the target up (it takes a few seconds).
constexpr auto prometheus_wait = 20s;

// The path of a tool of the `prometheus` package; fails the test (rather than skipping it) when
// the tool is missing.
std::string required_tool(const std::string& name) {
  const std::string path = find_on_path(name);
  if (path.empty()) {
    ADD_FAILURE() << name << " is not installed: the tests need the Debian package prometheus "
                  << "(deploy/quickstart.sh test installs it; or apt-get install prometheus)";
  }
  return path;
}

// GET on the Prometheus API: the JSON answer, or nullopt while the server does not answer yet.
std::optional<nlohmann::json> api_get(std::uint16_t port, const std::string& target) {
  try {
    const http_reply reply = http_get_to_close(port, target, 2s);
    if (reply.status != 200) return std::nullopt;
    return nlohmann::json::parse(reply.body);
  } catch (const std::exception&) {
    return std::nullopt;  // not listening yet, or an answer cut short
  }
}

// A Prometheus server on 127.0.0.1 scraping chatd's metrics every second, with its config and
// data in a temporary folder and its log captured. Stopped by its PID and removed when the
// object goes.
class prometheus_server {
 public:
  prometheus_server(const std::string& binary, std::uint16_t target_port)
      : dir_("chatd-prometheus") {
    write_file_text(dir_.file("prometheus.yml"),
               "global:\n"
               "  scrape_interval: 1s\n"
               "  scrape_timeout: 1s\n"
               "scrape_configs:\n"
               "  - job_name: chatd\n"
               "    static_configs:\n"
               "      - targets: ['127.0.0.1:" + std::to_string(target_port) + "']\n");
    // Another process may take the free port before Prometheus binds it: then try another.
    for (int attempt = 0; attempt < 3; ++attempt) {
      port_ = free_loopback_port();
      process_.emplace(
          std::vector<std::string>{binary, "--config.file=" + dir_.file("prometheus.yml"),
                                   "--storage.tsdb.path=" + dir_.file("data"),
                                   "--web.listen-address=127.0.0.1:" + std::to_string(port_),
                                   "--log.level=warn"});
      const auto ready = wait_ready();
      if (ready) return;
      const bool port_taken = log().find("address already in use") != std::string::npos;
      const std::string log_text = log();
      process_.reset();  // stops it
      if (!port_taken) {
        throw std::runtime_error(std::string(ready.message()) + "; its log:\n" + log_text);
      }
    }
    throw std::runtime_error("prometheus found its port taken three times");
  }

  std::uint16_t port() const noexcept { return port_; }
  pid_t pid() const noexcept { return process_ ? process_->pid() : -1; }
  std::string log() const { return process_ ? process_->output() : std::string(); }
  bool running() { return process_ && process_->running(); }

 private:
  // Ready, or a failure once it has exited or prometheus_wait has passed.
  ::testing::AssertionResult wait_ready() {
    bool exited = false;
    auto ready = wait_until(
        [&] {
          try {
            if (http_get_to_close(port_, "/-/ready", 2s).status == 200) return true;
          } catch (const std::exception&) {
          }
          exited = !process_->running();
          return exited;
        },
        prometheus_wait, "prometheus to answer 200 on /-/ready", 100ms);
    if (ready && exited) {
      return ::testing::AssertionFailure() << "prometheus exited before it was ready";
    }
    return ready;
  }

  temp_dir dir_;  // declared before process_: removed only after the process has been stopped
  std::uint16_t port_ = 0;
  std::optional<child_process> process_;
};

TEST(PrometheusTools, PromtoolFindsNoProblemInALiveScrape) {
  server_process server("", metrics_listen_args());
  // Some traffic first, so that histograms and labelled counters hold real values.
  test_client alice = json_client(server, "alice");
  test_client bob = json_client(server, "bob");
  alice.sync_json();  // bob's join
  alice.send_line("hello \"bob\" \\ back");
  alice.expect_ok("say");
  alice.send_line("/nick bob");
  alice.expect_error("nick-taken");

  EXPECT_TRUE(promtool_accepts(scrape_text(metrics_port(server))));
}

TEST(PrometheusTools, PrometheusScrapesChatdAndReportsTheOpenConnections) {
  const std::string binary = required_tool("prometheus");
  ASSERT_FALSE(binary.empty());
  server_process server("", metrics_listen_args());
  const std::uint16_t metrics = metrics_port(server);

  // Three connections held open for the whole test: two registered, one not.
  test_client alice = json_client(server, "alice");
  test_client bob = json_client(server, "bob");
  test_client newcomer(server.port(), "newcomer");
  read_human_welcome(newcomer);
  constexpr int held = 3;
  ASSERT_EQ(scrape(metrics).value("chatd_connections_active"), held);

  prometheus_server prometheus(binary, metrics);
  ASSERT_GT(prometheus.pid(), 0);

  // The target turns "up" after the first successful scrape.
  std::string health = "unknown", last_error;
  ASSERT_TRUE(wait_until(
      [&] {
        if (!prometheus.running()) return true;  // reported below
        if (auto targets = api_get(prometheus.port(), "/api/v1/targets?state=active")) {
          const auto& active = (*targets)["data"]["activeTargets"];
          if (active.is_array() && !active.empty()) {
            health = active[0].value("health", "unknown");
            last_error = active[0].value("lastError", "");
            EXPECT_EQ(active[0].at("labels").value("instance", ""),
                      "127.0.0.1:" + std::to_string(metrics));
          }
        }
        return health == "up";
      },
      prometheus_wait, "Prometheus to report the chatd target up", 200ms))
      << "health " << health << ", lastError: " << last_error << "\nprometheus log:\n"
      << prometheus.log();
  ASSERT_EQ(health, "up") << "prometheus exited; its log:\n" << prometheus.log();

  // Its samples are queryable once the target is up; allow a moment for the head block.
  std::optional<nlohmann::json> result;
  ASSERT_TRUE(wait_until(
      [&] {
        auto answer = api_get(prometheus.port(), "/api/v1/query?query=chatd_connections_active");
        if (answer && answer->value("status", "") == "success" &&
            !(*answer)["data"]["result"].empty()) {
          result = (*answer)["data"]["result"];
        }
        return result.has_value();
      },
      prometheus_wait, "chatd_connections_active to be queryable in Prometheus", 200ms))
      << "its log:\n" << prometheus.log();
  ASSERT_EQ(result->size(), 1u) << result->dump();
  const auto& series = (*result)[0];
  EXPECT_EQ(series.at("metric").value("__name__", ""), "chatd_connections_active");
  EXPECT_EQ(series.at("metric").value("job", ""), "chatd");
  // An instant vector's value is [timestamp, "value as a string"].
  EXPECT_EQ(series.at("value").at(1), std::to_string(held)) << series.dump();
}

}  // namespace
