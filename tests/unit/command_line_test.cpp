#include "config/command_line.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <regex>
#include <string>
#include <vector>

#include "config/config_loader.hpp"

namespace chatd {
namespace {

// What parse_command_line returned and printed for one argv.
struct parse_outcome {
  std::optional<command_line> cli;
  int exit_code = -1;
  std::string out;
  std::string err;
};

parse_outcome parse(std::initializer_list<const char*> args) {
  std::vector<const char*> argv{"chatd"};
  argv.insert(argv.end(), args.begin(), args.end());
  parse_outcome outcome;
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  outcome.cli = parse_command_line(static_cast<int>(argv.size()), argv.data(), outcome.exit_code);
  outcome.out = testing::internal::GetCapturedStdout();
  outcome.err = testing::internal::GetCapturedStderr();
  return outcome;
}

// A config file in the test's temp dir, removed when the test ends.
class temp_config {
 public:
  explicit temp_config(const std::string& text)
      : path_(testing::TempDir() + "chatd-command-line-test-" +
              testing::UnitTest::GetInstance()->current_test_info()->name() + ".yaml") {
    std::ofstream(path_) << text;
  }
  ~temp_config() { std::filesystem::remove(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string resolve_error(const command_line& cli) {
  try {
    resolve_config(cli);
  } catch (const config_error& e) {
    return e.what();
  }
  return {};
}

TEST(CommandLine, LeavesEverythingUnsetWithoutArguments) {
  const auto outcome = parse({});
  ASSERT_TRUE(outcome.cli);
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_FALSE(outcome.cli->config_path);
  EXPECT_FALSE(outcome.cli->check_config);
  EXPECT_FALSE(outcome.cli->listen);
  EXPECT_FALSE(outcome.cli->metrics_listen);
  EXPECT_FALSE(outcome.cli->log_level);
  EXPECT_FALSE(outcome.cli->log_format);
  EXPECT_FALSE(outcome.cli->cluster_nats);
  EXPECT_FALSE(outcome.cli->cluster_node);
}

TEST(CommandLine, ParsesEveryFlagInBothSpellings) {
  for (const auto& args : std::vector<std::vector<const char*>>{
           {"--config", "/etc/chatd.yaml", "--check-config", "--listen", "127.0.0.1:7001",
            "--metrics-listen", "[::1]:9000", "--log-level", "debug", "--log-format", "json",
            "--cluster-nats", "nats://a:4222,nats://b:4222", "--cluster-node", "chat-1"},
           {"--config=/etc/chatd.yaml", "--check-config", "--listen=127.0.0.1:7001",
            "--metrics-listen=[::1]:9000", "--log-level=debug", "--log-format=json",
            "--cluster-nats=nats://a:4222,nats://b:4222", "--cluster-node=chat-1"},
       }) {
    std::vector<const char*> argv{"chatd"};
    argv.insert(argv.end(), args.begin(), args.end());
    int exit_code = -1;
    const auto cli = parse_command_line(static_cast<int>(argv.size()), argv.data(), exit_code);
    ASSERT_TRUE(cli);
    EXPECT_EQ(exit_code, 0);
    EXPECT_EQ(cli->config_path, "/etc/chatd.yaml");
    EXPECT_TRUE(cli->check_config);
    EXPECT_EQ(cli->listen, "127.0.0.1:7001");
    EXPECT_EQ(cli->metrics_listen, "[::1]:9000");
    EXPECT_EQ(cli->log_level, "debug");
    EXPECT_EQ(cli->log_format, "json");
    EXPECT_EQ(cli->cluster_nats, "nats://a:4222,nats://b:4222");
    EXPECT_EQ(cli->cluster_node, "chat-1");
  }
}

TEST(CommandLine, TakesAnEmptyMetricsListenAsAValue) {
  const auto outcome = parse({"--metrics-listen", ""});
  ASSERT_TRUE(outcome.cli) << outcome.err;
  EXPECT_EQ(outcome.cli->metrics_listen, "");
  EXPECT_FALSE(resolve_config(*outcome.cli).listen.metrics_enabled);
}

TEST(CommandLine, PrintsTheVersionAndExitsZero) {
  const auto outcome = parse({"--version"});
  EXPECT_FALSE(outcome.cli);
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_TRUE(std::regex_match(outcome.out, std::regex("chatd [0-9]+\\.[0-9]+\\.[0-9]+.*\n")))
      << outcome.out;
  EXPECT_EQ(outcome.err, "");
}

TEST(CommandLine, PrintsHelpThatSaysFlagsOverrideTheFileAndExitsZero) {
  const auto outcome = parse({"--help"});
  EXPECT_FALSE(outcome.cli);
  EXPECT_EQ(outcome.exit_code, 0);
  for (const char* text : {"TCP chat server", "override", "--config", "--check-config",
                           "--listen", "--metrics-listen", "--log-level", "--log-format",
                           "--cluster-nats", "--cluster-node", "--version", "--help"}) {
    EXPECT_NE(outcome.out.find(text), std::string::npos) << text << " missing from\n"
                                                          << outcome.out;
  }
  EXPECT_EQ(outcome.err, "");
}

TEST(CommandLine, ExitsTwoWithAMessageOnStderrForUsageErrors) {
  for (const auto& args : std::vector<std::vector<const char*>>{
           {"--no-such-flag"}, {"--listen"}, {"stray-argument"}, {"-x"}, {"--config"}}) {
    SCOPED_TRACE(args.front());
    std::vector<const char*> argv{"chatd"};
    argv.insert(argv.end(), args.begin(), args.end());
    int exit_code = -1;
    testing::internal::CaptureStdout();
    testing::internal::CaptureStderr();
    const auto cli = parse_command_line(static_cast<int>(argv.size()), argv.data(), exit_code);
    const std::string out = testing::internal::GetCapturedStdout();
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_FALSE(cli);
    EXPECT_EQ(exit_code, 2);
    EXPECT_FALSE(err.empty());
    EXPECT_EQ(out, "");
  }
}

TEST(CommandLine, ResolvesToTheDefaultsWithoutFileOrFlags) {
  const config c = resolve_config(command_line{});
  EXPECT_EQ(c.listen.chat.to_string(), "0.0.0.0:7000");
  EXPECT_EQ(c.listen.metrics.to_string(), "127.0.0.1:9102");
  EXPECT_TRUE(c.listen.metrics_enabled);
  EXPECT_EQ(c.log.level, "info");
  EXPECT_EQ(c.limits.max_line_bytes, 4096u);
}

TEST(CommandLine, LetsTheFileOverrideDefaultsAndFlagsOverrideTheFile) {
  const temp_config file(
      "listen:\n  chat: 127.0.0.1:7100\n  metrics: 127.0.0.1:9100\n"
      "log:\n  level: warn\n  format: json\nlimits:\n  burst: 3\n");
  struct row {
    std::vector<const char*> flags;
    std::string chat, metrics, level, format;
    bool metrics_enabled;
  };
  for (const row& r : std::vector<row>{
           {{}, "127.0.0.1:7100", "127.0.0.1:9100", "warn", "json", true},
           {{"--listen", "[::]:7200"}, "[::]:7200", "127.0.0.1:9100", "warn", "json", true},
           {{"--metrics-listen", "0.0.0.0:9300"}, "127.0.0.1:7100", "0.0.0.0:9300", "warn", "json",
            true},
           {{"--metrics-listen", ""}, "127.0.0.1:7100", "127.0.0.1:9100", "warn", "json", false},
           {{"--log-level", "trace", "--log-format", "text"}, "127.0.0.1:7100", "127.0.0.1:9100",
            "trace", "text", true},
       }) {
    std::vector<const char*> argv{"chatd", "--config", file.path().c_str()};
    argv.insert(argv.end(), r.flags.begin(), r.flags.end());
    SCOPED_TRACE(r.flags.empty() ? "no flags" : r.flags.front());
    int exit_code = -1;
    const auto cli = parse_command_line(static_cast<int>(argv.size()), argv.data(), exit_code);
    ASSERT_TRUE(cli);
    const config c = resolve_config(*cli);
    EXPECT_EQ(c.listen.chat.to_string(), r.chat);
    EXPECT_EQ(c.listen.metrics.to_string(), r.metrics);
    EXPECT_EQ(c.listen.metrics_enabled, r.metrics_enabled);
    EXPECT_EQ(c.log.level, r.level);
    EXPECT_EQ(c.log.format, r.format);
    EXPECT_EQ(c.limits.burst, 3u);  // not a flag: the file's value stands
  }
}

TEST(CommandLine, OverridesTheClusterServersAndNodeOfTheFile) {
  const temp_config file(
      "cluster:\n  nats: [nats://10.0.0.1:4222]\n  node: file-node\n  replicas: 1\n");
  command_line cli;
  cli.config_path = file.path();
  config c = resolve_config(cli);
  EXPECT_EQ(c.cluster.nats, std::vector<std::string>{"nats://10.0.0.1:4222"});
  EXPECT_EQ(c.cluster.node, "file-node");

  cli.cluster_nats = "nats://10.0.0.2:4222,tls://10.0.0.3:4222";
  cli.cluster_node = "flag-node";
  c = resolve_config(cli);
  EXPECT_EQ(c.cluster.nats,
            (std::vector<std::string>{"nats://10.0.0.2:4222", "tls://10.0.0.3:4222"}));
  EXPECT_EQ(c.cluster.node, "flag-node");
  EXPECT_EQ(c.cluster.replicas, 1u);  // not a flag: the file's value stands

  // An empty list runs standalone whatever the file says.
  cli.cluster_nats = "";
  EXPECT_FALSE(resolve_config(cli).cluster.enabled());
}

TEST(CommandLine, ReenablesMetricsDisabledInTheFileWhenTheFlagGivesAnAddress) {
  const temp_config file("listen:\n  metrics: ''\n");
  command_line cli;
  cli.config_path = file.path();
  EXPECT_FALSE(resolve_config(cli).listen.metrics_enabled);
  cli.metrics_listen = "127.0.0.1:9500";
  const config c = resolve_config(cli);
  EXPECT_TRUE(c.listen.metrics_enabled);
  EXPECT_EQ(c.listen.metrics.to_string(), "127.0.0.1:9500");
}

TEST(CommandLine, NamesTheFlagWhenItsValueIsBad) {
  struct row {
    std::optional<std::string> command_line::*flag;
    std::string value;
    std::string message;
  };
  for (const row& r : std::vector<row>{
           {&command_line::listen, "x",
            "--listen: expected host:port with a numeric IP address, e.g. 0.0.0.0:7000 or "
            "[::]:7000, got 'x'"},
           {&command_line::listen, "0.0.0.0:70000",
            "--listen: expected a port from 0 to 65535, got '0.0.0.0:70000'"},
           {&command_line::metrics_listen, "localhost:9102",
            "--metrics-listen: expected a numeric IP address (chatd does not resolve host names), "
            "e.g. 127.0.0.1:7000, got 'localhost:9102'"},
           {&command_line::log_level, "loud",
            "--log-level: expected one of trace, debug, info, warn, error, critical, off, got "
            "'loud'"},
           {&command_line::log_format, "xml",
            "--log-format: expected one of text, json, got 'xml'"},
           {&command_line::cluster_nats, "nats://a:4222,nats://b",
            "--cluster-nats: expected host:port with the NATS port, e.g. nats://127.0.0.1:4222 "
            "(in 'nats://b'), got 'nats://a:4222,nats://b'"},
           {&command_line::cluster_nats, "nats://a:4222, nats://b:4222",
            "--cluster-nats: expected a NATS URL without spaces or control characters (in ' "
            "nats://b:4222'), got 'nats://a:4222, nats://b:4222'"},
           {&command_line::cluster_node, "chat.1",
            "--cluster-node: expected a node name of 1 to 64 of A-Z, a-z, 0-9, _ and -, got "
            "'chat.1'"},
       }) {
    SCOPED_TRACE(r.value);
    command_line cli;
    cli.*r.flag = r.value;
    EXPECT_EQ(resolve_error(cli), r.message);
  }
}

TEST(CommandLine, NamesTheFlagWhenItClashesWithAnotherKey) {
  command_line cli;
  cli.metrics_listen = "0.0.0.0:7000";
  EXPECT_EQ(resolve_error(cli),
            "--metrics-listen: expected a port other than listen.chat's (0.0.0.0:7000), got "
            "'0.0.0.0:7000'");
  cli = command_line{};
  cli.listen = "127.0.0.1:9102";
  EXPECT_EQ(resolve_error(cli),
            "--listen: conflicts with listen.metrics: expected a port other than listen.chat's "
            "(127.0.0.1:9102), got '127.0.0.1:9102'");
}

TEST(CommandLine, ReportsFileErrorsWithTheFileAndLine) {
  const temp_config file("limits:\n  rate: fast\n");
  command_line cli;
  cli.config_path = file.path();
  cli.listen = "127.0.0.1:7000";  // a good flag does not hide a bad file
  EXPECT_EQ(resolve_error(cli), file.path() +
                                    ":2: limits.rate: expected a positive number up to 1000000, "
                                    "e.g. 10 or 0.5, got 'fast'");
}

TEST(CommandLine, ReportsAMissingConfigFileAsAConfigError) {
  command_line cli;
  cli.config_path = testing::TempDir() + "chatd-missing.yaml";
  EXPECT_EQ(resolve_error(cli),
            *cli.config_path + ": cannot read config file: No such file or directory");
}

}  // namespace
}  // namespace chatd
