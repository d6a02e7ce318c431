#include "config/config_loader.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "config/config_keys.hpp"
#include "protocol/names.hpp"

namespace chatd {
namespace {

using namespace std::literals;

// Every field of a config on its own line, so a mismatch shows exactly which key differs.
std::string dump(const config& c) {
  std::ostringstream out;
  out << "listen.chat=" << c.listen.chat.to_string() << "\n"
      << "listen.metrics_enabled=" << c.listen.metrics_enabled << "\n"
      << "listen.metrics=" << c.listen.metrics.to_string() << "\n"
      << "listen.chat_tls_enabled=" << c.listen.chat_tls_enabled << "\n"
      << "listen.chat_tls=" << c.listen.chat_tls.to_string() << "\n"
      << "tls.cert=" << c.tls.cert << "\n"
      << "tls.key=" << c.tls.key << "\n"
      << "tls.min_version=" << c.tls.min_version << "\n"
      << "tls.handshake_timeout=" << c.tls.handshake_timeout.count() << "ms\n";
  for (const ip_range& range : c.listen.proxy_protocol)
    out << "listen.proxy_protocol[]=" << range.to_string() << "\n";
  out << "log.level=" << c.log.level << "\n"
      << "log.format=" << c.log.format << "\n"
      << "log.pattern=" << c.log.pattern << "\n"
      << "limits.max_line_bytes=" << c.limits.max_line_bytes << "\n"
      << "limits.max_connections=" << c.limits.max_connections << "\n"
      << "limits.max_connections_per_ip=" << c.limits.max_connections_per_ip << "\n"
      << "limits.register_timeout=" << c.limits.register_timeout.count() << "ms\n"
      << "limits.idle_timeout=" << c.limits.idle_timeout.count() << "ms\n"
      << "limits.rate=" << c.limits.rate << "\n"
      << "limits.burst=" << c.limits.burst << "\n"
      << "limits.max_outbound_bytes=" << c.limits.max_outbound_bytes << "\n"
      << "limits.max_rooms=" << c.limits.max_rooms << "\n"
      << "limits.max_rooms_per_client=" << c.limits.max_rooms_per_client << "\n"
      << "limits.nick_max=" << c.limits.nick_max << "\n"
      << "limits.shutdown_grace=" << c.limits.shutdown_grace.count() << "ms\n"
      << "limits.drain_period=" << c.limits.drain_period.count() << "ms\n"
      << "rooms.default=" << c.rooms.default_room << "\n"
      << "rooms.history=" << c.rooms.history << "\n"
      << "rooms.history_replay=" << c.rooms.history_replay << "\n"
      << "rooms.presence_max_members=" << c.rooms.presence_max_members << "\n";
  for (const std::string& url : c.cluster.nats) out << "cluster.nats[]=" << url << "\n";
  out << "cluster.node=" << c.cluster.node << "\n"
      << "cluster.replicas=" << c.cluster.replicas << "\n"
      << "cluster.prefix=" << c.cluster.prefix << "\n"
      << "cluster.credentials=" << c.cluster.credentials << "\n"
      << "cluster.user=" << c.cluster.user << "\n"
      << "cluster.password=" << c.cluster.password << "\n"
      << "cluster.tls.ca=" << c.cluster.tls.ca << "\n"
      << "cluster.tls.cert=" << c.cluster.tls.cert << "\n"
      << "cluster.tls.key=" << c.cluster.tls.key << "\n"
      << "cluster.publish_timeout=" << c.cluster.publish_timeout.count() << "ms\n"
      << "cluster.node_timeout=" << c.cluster.node_timeout.count() << "ms\n"
      << "cluster.purge_after=" << c.cluster.purge_after.count() << "ms\n";
  return out.str();
}

config load(std::string_view yaml) { return load_config_text(yaml, "test.yaml"); }

// The message load() throws, or "" if it accepted the text.
std::string error_of(std::string_view yaml) {
  try {
    load(yaml);
  } catch (const config_error& e) {
    return e.what();
  }
  return {};
}

// One bad config and what its message must contain.
struct bad_case {
  std::string yaml;
  int line;             // 0: the message has no line (it cannot know one)
  std::string key;      // the dotted key the message names first
  std::string details;  // e.g. "got 'fast'" or "expected a size"
};

void expect_rejected(const std::vector<bad_case>& cases) {
  for (const bad_case& c : cases) {
    SCOPED_TRACE("yaml: " + c.yaml);
    const std::string message = error_of(c.yaml);
    ASSERT_FALSE(message.empty()) << "accepted";
    std::string prefix = "test.yaml:";
    if (c.line > 0) prefix += std::to_string(c.line) + ":";
    prefix += " " + c.key + ":";
    EXPECT_EQ(message.rfind(prefix, 0), 0u) << message;
    EXPECT_NE(message.find(c.details), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << "not one line: " << message;
  }
}

TEST(ConfigLoader, GivesTheDefaultsForAnEmptyOrCommentOnlyFile) {
  for (std::string_view yaml :
       {""sv, "\n\n"sv, "# nothing set\n"sv, "---\n"sv, "---\n...\n"sv, "limits:\n"sv,
        "listen:\nlog:\nlimits:\nrooms:\ncluster:\n"sv, "limits: {}\n"sv,
        "cluster:\n  tls:\n"sv}) {
    SCOPED_TRACE(yaml);
    EXPECT_EQ(dump(load(yaml)), dump(config{}));
  }
}

TEST(ConfigLoader, ReadsEveryKeyOfAFullFile) {
  const config c = load(R"(# a full file
listen:
  chat: "[::1]:7001"
  metrics: 127.0.0.2:9200
log:
  level: debug
  format: json
  pattern: "%v"
limits:
  max_line_bytes: 8KiB
  max_connections: 500
  max_connections_per_ip: 5
  register_timeout: 30s
  idle_timeout: 1h
  rate: 2.5
  burst: 7
  max_outbound_bytes: 2MB
  max_rooms: 100
  max_rooms_per_client: 4
  nick_max: 16
  shutdown_grace: 1500ms
  drain_period: 2s
rooms:
  default: "#Main"
  history: 200
  history_replay: 200
  presence_delay: 250ms
  presence_max_members: 250
)");
  EXPECT_EQ(c.listen.chat.host, "::1");
  EXPECT_EQ(c.listen.chat.port, 7001);
  EXPECT_TRUE(c.listen.metrics_enabled);
  EXPECT_EQ(c.listen.metrics.to_string(), "127.0.0.2:9200");
  EXPECT_EQ(c.log.level, "debug");
  EXPECT_EQ(c.log.format, "json");
  EXPECT_EQ(c.log.pattern, "%v");
  EXPECT_EQ(c.limits.max_line_bytes, 8192u);
  EXPECT_EQ(c.limits.max_connections, 500u);
  EXPECT_EQ(c.limits.max_connections_per_ip, 5u);
  EXPECT_EQ(c.limits.register_timeout, 30s);
  EXPECT_EQ(c.limits.idle_timeout, 1h);
  EXPECT_EQ(c.limits.rate, 2.5);
  EXPECT_EQ(c.limits.burst, 7u);
  EXPECT_EQ(c.limits.max_outbound_bytes, 2'000'000u);
  EXPECT_EQ(c.limits.max_rooms, 100u);
  EXPECT_EQ(c.limits.max_rooms_per_client, 4u);
  EXPECT_EQ(c.limits.nick_max, 16u);
  EXPECT_EQ(c.limits.shutdown_grace, 1500ms);
  EXPECT_EQ(c.limits.drain_period, 2s);
  EXPECT_EQ(c.rooms.default_room, "main");
  EXPECT_EQ(c.rooms.history, 200u);
  EXPECT_EQ(c.rooms.history_replay, 200u);
  EXPECT_EQ(c.rooms.presence_delay, 250ms);
  EXPECT_EQ(c.rooms.presence_max_members, 250u);
}

TEST(ConfigLoader, TakesZeroAsNoPresenceLimit) {
  EXPECT_EQ(config{}.rooms.presence_max_members, 1000u);
  EXPECT_EQ(load("rooms:\n  presence_max_members: 0\n").rooms.presence_max_members, 0u);
  EXPECT_EQ(load("rooms:\n  presence_max_members: 1\n").rooms.presence_max_members, 1u);
  EXPECT_EQ(load("rooms:\n  presence_max_members: 1000000\n").rooms.presence_max_members,
            1'000'000u);
}

TEST(ConfigLoader, LoadsTheSampleConfigAsExactlyTheDefaults) {
  // The sample documents every key; if a default changes, the sample must change with it.
  const auto repo = std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
  const config c = load_config_file((repo / "deploy" / "chatd.yaml").string());
  EXPECT_EQ(dump(c), dump(config{}));
}

// The sample's commented-out cluster section, uncommented: what an operator would start from.
std::string sample_cluster_section() {
  const auto repo = std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
  std::ifstream in(repo / "deploy" / "chatd.yaml");
  std::string section;
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    if (line == "#cluster:") inside = true;
    if (inside && !line.starts_with("#")) break;
    if (inside) section += line.substr(1) + "\n";
  }
  return section;
}

TEST(ConfigLoader, LoadsTheSampleClusterSectionOnceUncommented) {
  const std::string section = sample_cluster_section();
  ASSERT_FALSE(section.empty()) << "no '#cluster:' block in deploy/chatd.yaml";
  const config c = load(section);
  EXPECT_TRUE(c.cluster.enabled());
  // Apart from the servers and the node name, the sample shows the defaults.
  config expected;
  expected.cluster.nats = c.cluster.nats;
  expected.cluster.node = c.cluster.node;
  EXPECT_EQ(dump(c), dump(expected));
}

TEST(ConfigLoader, LoadsOnTopOfTheGivenBaseConfig) {
  config base;
  base.limits.burst = 99;
  base.log.level = "warn";
  const config c = load_config_text("log:\n  level: error\n", "test.yaml", base);
  EXPECT_EQ(c.log.level, "error");
  EXPECT_EQ(c.limits.burst, 99u);
}

TEST(ConfigLoader, AcceptsEveryDurationForm) {
  struct row {
    std::string_view key;
    std::string_view text;
    std::chrono::milliseconds expected;
  };
  for (const row& r : std::vector<row>{{"shutdown_grace", "500ms", 500ms},
                                       {"shutdown_grace", "1500ms", 1500ms},
                                       {"shutdown_grace", "60s", 60s},
                                       {"shutdown_grace", "10m", 10min},
                                       {"shutdown_grace", "90", 90s},
                                       {"shutdown_grace", "0", 0ms},
                                       {"shutdown_grace", "0s", 0ms},
                                       {"idle_timeout", "1h", 1h},
                                       {"idle_timeout", "7d", 7 * 24h},
                                       {"idle_timeout", "0", 0ms}}) {
    SCOPED_TRACE(std::string(r.key) + ": " + std::string(r.text));
    const std::string yaml = "limits:\n  " + std::string(r.key) + ": " + std::string(r.text);
    const config c = load(yaml);
    EXPECT_EQ(r.key == "idle_timeout" ? c.limits.idle_timeout : c.limits.shutdown_grace,
              r.expected);
  }
}

TEST(ConfigLoader, AcceptsEverySizeUnit) {
  struct row {
    std::string_view text;
    std::size_t expected;
  };
  for (const row& r : std::vector<row>{{"4096", 4096},
                                       {"5000B", 5000},
                                       {"64KiB", 64 * 1024},
                                       {"1MiB", 1 << 20},
                                       {"1GiB", 1 << 30},
                                       {"10kB", 10'000},
                                       {"1MB", 1'000'000},
                                       {"1GB", 1'000'000'000},
                                       {"'8KiB'", 8192}}) {
    SCOPED_TRACE(r.text);
    const std::string yaml = "limits:\n  max_outbound_bytes: " + std::string(r.text) + "\n";
    EXPECT_EQ(load(yaml).limits.max_outbound_bytes, r.expected) << error_of(yaml);
  }
}

TEST(ConfigLoader, AcceptsNumericAddressesAndDisablingMetrics) {
  struct row {
    std::string_view yaml;
    std::string_view chat;
    bool metrics_enabled;
  };
  for (const row& r : std::vector<row>{
           {"listen:\n  chat: 127.0.0.1:0\n", "127.0.0.1:0", true},
           {"listen:\n  chat: '[::]:7000'\n", "[::]:7000", true},
           {"listen:\n  chat: '[::ffff:10.0.0.1]:65535'\n", "[::ffff:10.0.0.1]:65535", true},
           {"listen:\n  metrics: ''\n", "0.0.0.0:7000", false},
           {"listen:\n  metrics:\n", "0.0.0.0:7000", false},
           {"listen:\n  metrics: ~\n", "0.0.0.0:7000", false},
       }) {
    SCOPED_TRACE(r.yaml);
    const config c = load(r.yaml);
    EXPECT_EQ(c.listen.chat.to_string(), r.chat);
    EXPECT_EQ(c.listen.metrics_enabled, r.metrics_enabled);
  }
}

TEST(ConfigLoader, FoldsTheDefaultRoomAndAcceptsNone) {
  EXPECT_EQ(load("rooms:\n  default: '#General'\n").rooms.default_room, "general");
  EXPECT_EQ(load("rooms:\n  default: dev-ops_2\n").rooms.default_room, "dev-ops_2");
  EXPECT_EQ(load("rooms:\n  default: ''\n").rooms.default_room, "");
  EXPECT_EQ(load("rooms:\n  default:\n").rooms.default_room, "");
}

TEST(ConfigLoader, AcceptsFractionalAndQuotedRates) {
  EXPECT_EQ(load("limits:\n  rate: 0.5\n").limits.rate, 0.5);
  EXPECT_EQ(load("limits:\n  rate: 2e3\n").limits.rate, 2000.0);
  EXPECT_EQ(load("limits:\n  rate: '10'\n").limits.rate, 10.0);
  EXPECT_EQ(load("limits:\n  rate: 1000000\n").limits.rate, 1e6);
}

TEST(ConfigLoader, ReportsYamlSyntaxErrorsWithTheirLine) {
  for (const auto& [yaml, line] : std::vector<std::pair<std::string_view, int>>{
           {"limits:\n  rate: [1, 2\n", 3},
           {"limits:\n  rate: 1\n burst: 2\n", 3},
           {"log:\n  level: {a: 1\n", 3},
       }) {
    SCOPED_TRACE(yaml);
    const std::string message = error_of(yaml);
    EXPECT_EQ(message.rfind("test.yaml:" + std::to_string(line) + ": YAML syntax error: ", 0), 0u)
        << message;
  }
}

TEST(ConfigLoader, TellsToQuoteIpv6AddressesWrittenBare) {
  const std::string message = error_of("log:\n  level: info\nlisten:\n  chat: [::]:7000\n");
  EXPECT_EQ(message.rfind("test.yaml:4: YAML syntax error: ", 0), 0u) << message;
  EXPECT_NE(message.find("quote IPv6 addresses in YAML, e.g. chat: '[::]:7000'"), std::string::npos)
      << message;
  expect_rejected({{"listen:\n  chat: [::1]\n", 2, "listen.chat",
                    "got a list; quote IPv6 addresses in YAML"}});
}

TEST(ConfigLoader, RejectsUnknownSectionsAndKeysWithASuggestion) {
  expect_rejected({
      {"limts:\n  rate: 1\n", 1, "limts", "unknown section; did you mean 'limits'?"},
      {"# comment\nserver:\n  port: 1\n", 2, "server", "unknown section"},
      {"limits:\n  rate: 1\n  max_conections: 5\n", 3, "limits.max_conections",
       "unknown key; did you mean 'max_connections'?"},
      {"limits:\n  history: 5\n", 2, "limits.history",
       "unknown key; did you mean 'rooms.history'?"},
      {"max_line_bytes: 4096\n", 1, "max_line_bytes",
       "unknown section; did you mean 'limits.max_line_bytes'?"},
      {"rooms:\n  colour: blue\n", 2, "rooms.colour", "unknown key"},
  });
  EXPECT_EQ(error_of("rooms:\n  colour: blue\n").find("did you mean"), std::string::npos);
}

TEST(ConfigLoader, RejectsValuesOfTheWrongType) {
  expect_rejected({
      {"limits:\n  rate: {per_second: 10}\n", 2, "limits.rate",
       "expected a positive number up to 1000000, e.g. 10 or 0.5, got a map"},
      {"rooms:\n  history:\n    - 1\n    - 2\n", 2, "rooms.history", "got a list"},
      {"listen:\n  chat: [127.0.0.1, 7000]\n", 2, "listen.chat", "got a list"},
      {"limits: 5\n", 1, "limits", "expected a map of limits keys, got '5'"},
      {"log:\n  - level\n", 1, "log", "got a list"},
      {"limits:\n  rate:\n", 2, "limits.rate", "got ''"},
      {"limits:\n  burst: true\n", 2, "limits.burst", "got 'true'"},
  });
  // The top level has no key to name, so only the place and the problem.
  for (std::string_view yaml : {"just text\n"sv, "- a\n- b\n"sv}) {
    const std::string message = error_of(yaml);
    EXPECT_EQ(message.rfind("test.yaml:1: expected a map of sections", 0), 0u) << message;
  }
  const std::string message = error_of("? [a, b]\n: 1\n");
  EXPECT_EQ(message.rfind("test.yaml:1: expected a key name, got a list", 0), 0u) << message;
}

TEST(ConfigLoader, RejectsNumbersOutOfRange) {
  expect_rejected({
      {"limits:\n  max_line_bytes: 10\n", 2, "limits.max_line_bytes",
       "expected a size from 64 to 1MiB, e.g. 4096, 64KiB, 1MiB or 10kB, got '10'"},
      {"limits:\n  max_line_bytes: 2MiB\n", 2, "limits.max_line_bytes", "got '2MiB'"},
      {"limits:\n  max_connections: 0\n", 2, "limits.max_connections",
       "expected an integer from 1 to 1000000, got '0'"},
      {"limits:\n  max_connections: 1000001\n", 2, "limits.max_connections", "got '1000001'"},
      {"limits:\n  max_connections: 99999999999999999999999\n", 2, "limits.max_connections",
       "got '99999999999999999999999'"},
      {"limits:\n  max_connections_per_ip: 0\n", 2, "limits.max_connections_per_ip", "got '0'"},
      {"limits:\n  register_timeout: 500ms\n", 2, "limits.register_timeout",
       "expected a duration from 1s to 1h, e.g. 500ms, 60s, 10m or 1h, got '500ms'"},
      {"limits:\n  register_timeout: 2h\n", 2, "limits.register_timeout", "got '2h'"},
      {"limits:\n  idle_timeout: 8d\n", 2, "limits.idle_timeout",
       "expected 0 (off) or a duration from 1s to 7d"},
      {"limits:\n  idle_timeout: 999ms\n", 2, "limits.idle_timeout", "got '999ms'"},
      {"limits:\n  rate: 0\n", 2, "limits.rate", "got '0'"},
      {"limits:\n  rate: 1000001\n", 2, "limits.rate", "got '1000001'"},
      {"limits:\n  burst: 0\n", 2, "limits.burst", "got '0'"},
      {"limits:\n  max_outbound_bytes: 1KiB\n", 2, "limits.max_outbound_bytes",
       "expected a size from 4KiB to 1GiB"},
      {"limits:\n  max_outbound_bytes: 2GiB\n", 2, "limits.max_outbound_bytes", "got '2GiB'"},
      {"limits:\n  max_rooms: 0\n", 2, "limits.max_rooms", "got '0'"},
      {"limits:\n  max_rooms_per_client: 10001\n", 2, "limits.max_rooms_per_client",
       "expected an integer from 1 to 10000"},
      {"limits:\n  nick_max: 65\n", 2, "limits.nick_max", "expected an integer from 1 to 64"},
      {"limits:\n  shutdown_grace: 11m\n", 2, "limits.shutdown_grace",
       "expected a duration from 0s to 10m"},
      {"limits:\n  drain_period: 999ms\n", 2, "limits.drain_period",
       "expected a duration from 1s to 1h"},
      {"limits:\n  drain_period: 61m\n", 2, "limits.drain_period", "got '61m'"},
      {"rooms:\n  history: 100001\n", 2, "rooms.history", "expected an integer from 0 to 100000"},
      {"rooms:\n  presence_delay: 11s\n", 2, "rooms.presence_delay",
       "expected a duration from 0s to 10s"},
      {"rooms:\n  presence_max_members: 1000001\n", 2, "rooms.presence_max_members",
       "expected 0 (no limit) or an integer from 1 to 1000000, got '1000001'"},
  });
}

TEST(ConfigLoader, RejectsNegativeNumbers) {
  expect_rejected({
      {"limits:\n  max_connections: -5\n", 2, "limits.max_connections", "got '-5'"},
      {"limits:\n  rate: -1\n", 2, "limits.rate", "expected a positive number"},
      {"limits:\n  register_timeout: -1s\n", 2, "limits.register_timeout", "got '-1s'"},
      {"limits:\n  max_line_bytes: -4096\n", 2, "limits.max_line_bytes", "got '-4096'"},
      {"rooms:\n  history_replay: -1\n", 2, "rooms.history_replay", "got '-1'"},
      {"rooms:\n  presence_max_members: -1\n", 2, "rooms.presence_max_members", "got '-1'"},
  });
}

TEST(ConfigLoader, RejectsUnparsableDurations) {
  for (std::string_view text : {"10 parsecs", "1.5.2s", "1.5s", "60sec", "s", "10S", "1m30s",
                                "+5s", "0x10", "ten"}) {
    SCOPED_TRACE(text);
    expect_rejected({{"limits:\n  register_timeout: '" + std::string(text) + "'\n", 2,
                      "limits.register_timeout", "got '" + std::string(text) + "'"}});
  }
}

TEST(ConfigLoader, RejectsUnparsableSizes) {
  for (std::string_view text :
       {"1KB", "lots", "1.5MiB", "64 KiB", "1mb", "64k", "KiB", "1e6", "99999999999999999999GiB"}) {
    SCOPED_TRACE(text);
    expect_rejected({{"limits:\n  max_outbound_bytes: '" + std::string(text) + "'\n", 2,
                      "limits.max_outbound_bytes", "got '" + std::string(text) + "'"}});
  }
}

TEST(ConfigLoader, ExplainsWhyKilobytesAreAmbiguous) {
  expect_rejected({{"limits:\n  max_line_bytes: 8KB\n", 2, "limits.max_line_bytes",
                    "expected KiB (1024 bytes) or kB (1000 bytes), since KB is ambiguous, "
                    "got '8KB'"}});
}

TEST(ConfigLoader, RejectsUnparsableRates) {
  for (std::string_view text : {"fast", "nan", "inf", "1e", "0x10", "1,5", "+1", "1e400"}) {
    SCOPED_TRACE(text);
    expect_rejected({{"limits:\n  rate: '" + std::string(text) + "'\n", 2, "limits.rate",
                      "expected a positive number up to 1000000, e.g. 10 or 0.5, got '" +
                          std::string(text) + "'"}});
  }
}

TEST(ConfigLoader, RejectsBadAddressesAndPortsWithTheReason) {
  expect_rejected({
      {"listen:\n  chat: localhost:7000\n", 2, "listen.chat",
       "chatd does not resolve host names), e.g. 127.0.0.1:7000, got 'localhost:7000'"},
      {"listen:\n  chat: 7000\n", 2, "listen.chat", "expected host:port"},
      {"listen:\n  chat: ':7000'\n", 2, "listen.chat", "expected a host before the port"},
      {"listen:\n  chat: '::1:7000'\n", 2, "listen.chat", "IPv6 address in brackets"},
      {"listen:\n  chat: '[::1]7000'\n", 2, "listen.chat", "expected host:port"},
      {"listen:\n  chat: '[localhost]:7000'\n", 2, "listen.chat", "numeric IPv6 address"},
      {"listen:\n  chat: '[127.0.0.1]:7000'\n", 2, "listen.chat", "numeric IPv6 address"},
      {"listen:\n  chat: 1.2.3:7000\n", 2, "listen.chat", "numeric IPv4 address"},
      {"listen:\n  chat: 256.0.0.1:7000\n", 2, "listen.chat", "numeric IPv4 address"},
      {"listen:\n  chat: '[::1]:'\n", 2, "listen.chat", "expected a port from 0 to 65535"},
      {"listen:\n  chat: 0.0.0.0:65536\n", 2, "listen.chat",
       "expected a port from 0 to 65535, got '0.0.0.0:65536'"},
      {"listen:\n  chat: 0.0.0.0:http\n", 2, "listen.chat", "expected a port"},
      {"listen:\n  chat: 0.0.0.0:-1\n", 2, "listen.chat", "expected a port"},
      {"listen:\n  metrics: nowhere\n", 2, "listen.metrics", "got 'nowhere'"},
  });
}

TEST(ConfigLoader, RejectsBadLogSettings) {
  expect_rejected({
      {"log:\n  level: loud\n", 2, "log.level",
       "expected one of trace, debug, info, warn, error, critical, off, got 'loud'"},
      {"log:\n  level: INFO\n", 2, "log.level", "got 'INFO'"},
      {"log:\n  level: warning\n", 2, "log.level", "got 'warning'"},
      {"log:\n  format: xml\n", 2, "log.format", "expected one of text, json, got 'xml'"},
      {"log:\n  pattern: ''\n", 2, "log.pattern", "expected a non-empty spdlog pattern"},
  });
}

TEST(ConfigLoader, RejectsInvalidDefaultRooms) {
  expect_rejected({
      {"rooms:\n  default: 'bad room'\n", 2, "rooms.default", "got 'bad room'"},
      {"rooms:\n  default: '#'\n", 2, "rooms.default", "expected a room name"},
      {"rooms:\n  default: " + std::string(33, 'a') + "\n", 2, "rooms.default",
       "1 to 32 of a-z, 0-9, _ and -"},
      {"rooms:\n  default: caf\xc3\xa9\n", 2, "rooms.default", "got 'caf\xc3\xa9'"},
  });
}

TEST(ConfigLoader, RejectsKeysThatContradictEachOtherOnTheRightLine) {
  expect_rejected({
      {"limits:\n  max_line_bytes: 64KiB\n  max_outbound_bytes: 16KiB\n", 3,
       "limits.max_outbound_bytes", "expected at least limits.max_line_bytes (64KiB), got '16KiB'"},
      {"listen:\n  chat: 127.0.0.1:9102\n", 2, "listen.metrics",
       "expected a port other than listen.chat's (127.0.0.1:9102), got '127.0.0.1:9102'"},
      {"listen:\n  metrics: 0.0.0.0:7000\n", 2, "listen.metrics", "expected a port other than"},
  });
  // Limits that others cap anyway need not be lowered with them.
  EXPECT_EQ(error_of("rooms:\n  history: 5\n"), "");
  EXPECT_EQ(error_of("limits:\n  max_connections: 2\n"), "");
  // Ephemeral ports never collide, and different hosts may share a port.
  EXPECT_EQ(error_of("listen:\n  chat: 127.0.0.1:0\n  metrics: 127.0.0.1:0\n"), "");
  EXPECT_EQ(error_of("listen:\n  chat: 127.0.0.1:9000\n  metrics: 127.0.0.2:9000\n"), "");
  EXPECT_EQ(error_of("listen:\n  chat: 127.0.0.1:9102\n  metrics: ''\n"), "");
}

TEST(ConfigLoader, RejectsDuplicateKeysAndSections) {
  expect_rejected({
      {"limits:\n  rate: 5\n  burst: 3\n  rate: 6\n", 4, "limits.rate",
       "duplicate key (first given on line 2)"},
      {"rooms:\n  history: 5\nlog:\n  level: info\nrooms:\n  history: 6\n", 5, "rooms",
       "duplicate key (first given on line 1)"},
  });
}

TEST(ConfigLoader, RejectsASecondYamlDocument) {
  const std::string message = error_of("limits:\n  rate: 5\n---\nlimits:\n  rate: 6\n");
  EXPECT_EQ(message.rfind("test.yaml:4: expected one YAML document", 0), 0u) << message;
}

TEST(ConfigLoader, KeepsControlCharactersOutOfTheOneLineMessage) {
  const std::string message = error_of("log:\n  level: \"in\\nfo\\u001b[31m\"\n");
  EXPECT_NE(message.find("got 'in\\nfo\\x1b[31m'"), std::string::npos) << message;
}

TEST(ConfigLoader, ReportsAMissingOrUnreadableFileByName) {
  const std::string missing = testing::TempDir() + "chatd-no-such-file.yaml";
  try {
    load_config_file(missing);
    FAIL() << "loaded a missing file";
  } catch (const config_error& e) {
    EXPECT_EQ(std::string(e.what()),
              missing + ": cannot read config file: No such file or directory");
  }
  EXPECT_THROW(load_config_file(testing::TempDir()), config_error);
}

TEST(ConfigLoader, NamesTheFileItReadsInErrors) {
  const std::string path = testing::TempDir() + "chatd-config-loader-test.yaml";
  std::ofstream(path) << "# header\n\nlimits:\n  rate: fast\n";
  try {
    load_config_file(path);
    FAIL() << "accepted rate: fast";
  } catch (const config_error& e) {
    EXPECT_EQ(std::string(e.what()),
              path + ":4: limits.rate: expected a positive number up to 1000000, e.g. 10 or 0.5, "
                     "got 'fast'");
  }
  std::filesystem::remove(path);
}

TEST(ConfigCluster, IsStandaloneByDefault) {
  const cluster_config c = config{}.cluster;
  EXPECT_TRUE(c.nats.empty());
  EXPECT_FALSE(c.enabled());
  EXPECT_EQ(c.node, default_node_name());
  EXPECT_EQ(c.replicas, 3u);
  EXPECT_EQ(c.prefix, "chatd");
  EXPECT_EQ(c.credentials, "");
  EXPECT_EQ(c.user, "");
  EXPECT_EQ(c.password, "");
  EXPECT_EQ(c.tls.ca, "");
  EXPECT_EQ(c.tls.cert, "");
  EXPECT_EQ(c.tls.key, "");
  EXPECT_EQ(c.publish_timeout, 2s);
  EXPECT_EQ(c.node_timeout, 15s);
  EXPECT_EQ(c.purge_after, 30min);
}

TEST(ConfigCluster, NamesTheNodeAfterTheHost) {
  std::array<char, 256> host{};
  ASSERT_EQ(gethostname(host.data(), host.size() - 1), 0);
  const std::string node = config{}.cluster.node;
  EXPECT_EQ(node, config_detail::node_name_from_host(host.data()));
  EXPECT_TRUE(protocol::is_name_token(node, 64)) << node;
  // A file that leaves cluster.node out gets it too.
  EXPECT_EQ(load("cluster:\n  nats: nats://127.0.0.1:4222\n").cluster.node, node);
}

TEST(ConfigCluster, FoldsAHostNameIntoANodeName) {
  using config_detail::node_name_from_host;
  EXPECT_EQ(node_name_from_host("chat-1"), "chat-1");
  EXPECT_EQ(node_name_from_host("Web_01"), "Web_01");
  EXPECT_EQ(node_name_from_host("web-1.example.org"), "web-1-example-org");
  EXPECT_EQ(node_name_from_host("h\xc3\xa9te"), "h--te");
  EXPECT_EQ(node_name_from_host(std::string(70, 'a') + ".b"), std::string(64, 'a'));
  EXPECT_EQ(node_name_from_host(""), "chatd");
}

TEST(ConfigCluster, ReadsAFullSection) {
  const config c = load(R"(cluster:
  nats:
    - nats://10.0.0.1:4222
    - tls://nats-2.example.org:4223
    - '[::1]:4224'
  node: chat_2
  replicas: 5
  prefix: chat-prod
  user: chatd
  password: s3cret
  tls:
    ca: /etc/chatd/ca.pem
    cert: /etc/chatd/client.pem
    key: /etc/chatd/client.key
  publish_timeout: 500ms
  node_timeout: 30s
  purge_after: 2h
)");
  EXPECT_TRUE(c.cluster.enabled());
  EXPECT_EQ(c.cluster.nats, (std::vector<std::string>{"nats://10.0.0.1:4222",
                                                      "tls://nats-2.example.org:4223",
                                                      "[::1]:4224"}));
  EXPECT_EQ(c.cluster.node, "chat_2");
  EXPECT_EQ(c.cluster.replicas, 5u);
  EXPECT_EQ(c.cluster.prefix, "chat-prod");
  EXPECT_EQ(c.cluster.credentials, "");
  EXPECT_EQ(c.cluster.user, "chatd");
  EXPECT_EQ(c.cluster.password, "s3cret");
  EXPECT_EQ(c.cluster.tls.ca, "/etc/chatd/ca.pem");
  EXPECT_EQ(c.cluster.tls.cert, "/etc/chatd/client.pem");
  EXPECT_EQ(c.cluster.tls.key, "/etc/chatd/client.key");
  EXPECT_EQ(c.cluster.publish_timeout, 500ms);
  EXPECT_EQ(c.cluster.node_timeout, 30s);
  EXPECT_EQ(c.cluster.purge_after, 2h);
  EXPECT_NO_THROW(validate(c));
  EXPECT_EQ(load("cluster:\n  credentials: /etc/chatd/chatd.creds\n").cluster.credentials,
            "/etc/chatd/chatd.creds");
}

TEST(ConfigCluster, TakesTheServersAsAListOrOneString) {
  struct row {
    std::string_view yaml;
    std::vector<std::string> nats;
  };
  for (const row& r : std::vector<row>{
           {"nats: nats://127.0.0.1:4222", {"nats://127.0.0.1:4222"}},
           {"nats: 'nats-1:4222'", {"nats-1:4222"}},
           {"nats: [nats://a:4222, nats://b:4223]", {"nats://a:4222", "nats://b:4223"}},
           {"nats:\n    - tls://a:4222", {"tls://a:4222"}},
           {"nats: nats://a:4222,nats://b:4223", {"nats://a:4222", "nats://b:4223"}},
           {"nats: []", {}},
           {"nats: ''", {}},
           {"nats:", {}},
       }) {
    SCOPED_TRACE(r.yaml);
    const std::string yaml = "cluster:\n  " + std::string(r.yaml) + "\n";
    const config c = load(yaml);
    EXPECT_EQ(c.cluster.nats, r.nats);
    EXPECT_EQ(c.cluster.enabled(), !r.nats.empty());
  }
}

TEST(ConfigCluster, RejectsBadServerUrlsNamingTheKey) {
  expect_rejected({
      {"cluster:\n  nats: nats://127.0.0.1\n", 2, "cluster.nats",
       "expected host:port with the NATS port, e.g. nats://127.0.0.1:4222, got "
       "'nats://127.0.0.1'"},
      {"cluster:\n  nats: nats://:4222\n", 2, "cluster.nats", "expected a host before the port"},
      {"cluster:\n  nats: nats://a:0\n", 2, "cluster.nats",
       "expected a port from 1 to 65535, got 'nats://a:0'"},
      {"cluster:\n  nats: nats://a:65536\n", 2, "cluster.nats", "expected a port from 1 to 65535"},
      {"cluster:\n  nats: nats://a:4222/x\n", 2, "cluster.nats", "expected a port from 1 to 65535"},
      {"cluster:\n  nats: http://a:4222\n", 2, "cluster.nats",
       "expected nats://, tls:// or no scheme"},
      {"cluster:\n  nats: 'nats://a :4222'\n", 2, "cluster.nats", "without spaces"},
      {"cluster:\n  nats: nats://bob:pw@a:4222\n", 2, "cluster.nats",
       "expected no user or password in a NATS URL"},
      {"cluster:\n  nats: nats://::1:4222\n", 2, "cluster.nats", "with IPv6 in brackets"},
      {"cluster:\n  nats: '[zz]:4222'\n", 2, "cluster.nats", "numeric IPv6 address"},
      {"cluster:\n  nats: 'a:1,,b:2'\n", 2, "cluster.nats",
       "expected host:port with the NATS port, e.g. nats://127.0.0.1:4222 (in ''), got 'a:1,,b:2'"},
      {"cluster:\n  nats: 'a:1,b:0'\n", 2, "cluster.nats",
       "expected a port from 1 to 65535 (in 'b:0'), got 'a:1,b:0'"},
      {"cluster:\n  nats: {url: a:1}\n", 2, "cluster.nats", "got a map"},
  });
}

TEST(ConfigCluster, NamesTheBadItemOfAServerListOnItsLine) {
  expect_rejected({
      {"cluster:\n  nats:\n    - nats://a:4222\n    - nats://b\n", 4, "cluster.nats",
       "expected host:port with the NATS port, e.g. nats://127.0.0.1:4222, got 'nats://b'"},
      {"cluster:\n  nats:\n    - a:1\n    -\n", 2, "cluster.nats",
       "expected NATS server URLs, each nats://host:port, tls://host:port or host:port"},
      {"cluster:\n  nats:\n    - ''\n", 3, "cluster.nats", "got ''"},
      {"cluster:\n  nats:\n    - [a:1]\n", 3, "cluster.nats", "got a list"},
      {"cluster:\n  nats:\n    - a:1,b:2\n", 3, "cluster.nats",
       "expected one value per list item, got 'a:1,b:2'"},
  });
}

TEST(ConfigCluster, RejectsBadNamesAndNumbersNamingTheKey) {
  expect_rejected({
      {"cluster:\n  node: chat.1\n", 2, "cluster.node",
       "expected a node name of 1 to 64 of A-Z, a-z, 0-9, _ and -, got 'chat.1'"},
      {"cluster:\n  node: ''\n", 2, "cluster.node", "got ''"},
      {"cluster:\n  node: " + std::string(65, 'n') + "\n", 2, "cluster.node",
       "expected a node name of 1 to 64"},
      {"cluster:\n  node: 'chat 1'\n", 2, "cluster.node", "got 'chat 1'"},
      {"cluster:\n  prefix: chat.prod\n", 2, "cluster.prefix",
       "expected a prefix of 1 to 32 of A-Z, a-z, 0-9, _ and -, got 'chat.prod'"},
      {"cluster:\n  prefix: 'chat>'\n", 2, "cluster.prefix", "got 'chat>'"},
      {"cluster:\n  prefix: " + std::string(33, 'p') + "\n", 2, "cluster.prefix",
       "expected a prefix of 1 to 32"},
      {"cluster:\n  prefix:\n", 2, "cluster.prefix", "got ''"},
      {"cluster:\n  replicas: 0\n", 2, "cluster.replicas",
       "expected an integer from 1 to 5, got '0'"},
      {"cluster:\n  replicas: 6\n", 2, "cluster.replicas", "got '6'"},
      {"cluster:\n  publish_timeout: 99ms\n", 2, "cluster.publish_timeout",
       "expected a duration from 100ms to 1m, e.g. 500ms, 60s, 10m or 1h, got '99ms'"},
      {"cluster:\n  publish_timeout: 61s\n", 2, "cluster.publish_timeout", "got '61s'"},
      {"cluster:\n  node_timeout: 2s\n", 2, "cluster.node_timeout",
       "expected a duration from 3s to 30s, e.g. 500ms, 60s, 10m or 1h, got '2s'"},
      {"cluster:\n  node_timeout: 31s\n", 2, "cluster.node_timeout", "got '31s'"},
      {"cluster:\n  purge_after: 500ms\n", 2, "cluster.purge_after",
       "expected a duration from 1s to 7d, e.g. 500ms, 60s, 10m or 1h, got '500ms'"},
      {"cluster:\n  purge_after: 8d\n", 2, "cluster.purge_after", "got '8d'"},
      {"cluster:\n  user: [a, b]\n", 2, "cluster.user", "got a list"},
  });
}

TEST(ConfigCluster, RejectsCredentialsThatContradictEachOther) {
  expect_rejected({
      {"cluster:\n  credentials: /c.creds\n  user: bob\n", 3, "cluster.user",
       "expected none, since cluster.credentials is set (a .creds file names the user), got "
       "'bob'"},
      {"cluster:\n  password: pw\n  credentials: /c.creds\n", 2, "cluster.password",
       "expected none, since cluster.credentials is set (a .creds file names the user), got "
       "'(hidden)'"},
      {"cluster:\n  password: pw\n", 2, "cluster.user",
       "expected a value, since cluster.password is set, got ''"},
      {"cluster:\n  tls:\n    cert: /c.pem\n", 3, "cluster.tls.key",
       "expected a value, since cluster.tls.cert is set, got ''"},
      {"cluster:\n  tls:\n    key: /c.key\n", 3, "cluster.tls.cert",
       "expected a value, since cluster.tls.key is set, got ''"},
  });
  // Each of them alone, and a user without a password (a token-less user, say), are fine.
  EXPECT_EQ(error_of("cluster:\n  user: bob\n"), "");
  EXPECT_EQ(error_of("cluster:\n  tls:\n    ca: /ca.pem\n"), "");
  // The password never shows, not even in the message about it.
  EXPECT_EQ(error_of("cluster:\n  password: pw\n  credentials: /c.creds\n").find("pw'"),
            std::string::npos);
}

TEST(ConfigTls, IsOffByDefaultAndReadsAFullSection) {
  const config defaults;
  EXPECT_FALSE(defaults.listen.chat_tls_enabled);
  EXPECT_EQ(defaults.tls.min_version, "1.2");
  EXPECT_EQ(defaults.tls.handshake_timeout, 10s);
  const config c = load(
      "listen:\n  chat_tls: '[::]:7443'\n"
      "tls:\n  cert: /etc/chatd/tls.crt\n  key: /etc/chatd/tls.key\n"
      "  min_version: '1.3'\n  handshake_timeout: 3s\n");
  EXPECT_TRUE(c.listen.chat_tls_enabled);
  EXPECT_EQ(c.listen.chat_tls.host, "::");
  EXPECT_EQ(c.listen.chat_tls.port, 7443);
  EXPECT_EQ(c.tls.cert, "/etc/chatd/tls.crt");
  EXPECT_EQ(c.tls.key, "/etc/chatd/tls.key");
  EXPECT_EQ(c.tls.min_version, "1.3");
  EXPECT_EQ(c.tls.handshake_timeout, 3s);
  // "" turns it off again (a later layer over an earlier one).
  EXPECT_FALSE(load_config_text("listen:\n  chat_tls: ''\n", "test.yaml", c).listen.chat_tls_enabled);
}

TEST(ConfigTls, RejectsBadValuesAndAListenerWithoutItsPair) {
  const std::string pair = "tls:\n  cert: /c.pem\n  key: /k.pem\n";
  expect_rejected({
      {"tls:\n  min_version: '1.1'\n", 2, "tls.min_version", "expected one of 1.2, 1.3"},
      {"tls:\n  handshake_timeout: 0\n", 2, "tls.handshake_timeout", "expected a duration"},
      {"tls:\n  handshake_timeout: 10m\n", 2, "tls.handshake_timeout", "expected a duration"},
      {"listen:\n  chat_tls: localhost:7443\n", 2, "listen.chat_tls", "numeric"},
      {"listen:\n  chat_tls: 127.0.0.1:7443\n", 2, "tls.cert",
       "expected a value, since listen.chat_tls is set"},
      {"listen:\n  chat_tls: 127.0.0.1:7443\ntls:\n  cert: /c.pem\n", 2, "tls.key",
       "expected a value, since listen.chat_tls is set"},
      {"listen:\n  chat: 0.0.0.0:7000\n  chat_tls: 127.0.0.1:7000\n" + pair, 3,
       "listen.chat_tls", "expected a port other than listen.chat's"},
      {"listen:\n  chat_tls: 127.0.0.1:9102\n" + pair, 2, "listen.chat_tls",
       "expected a port other than listen.metrics's"},
  });
  EXPECT_EQ(error_of("listen:\n  chat_tls: 127.0.0.1:7443\n" + pair), "");
}

TEST(ConfigCluster, RejectsUnknownAndMisplacedKeysWithASuggestion) {
  expect_rejected({
      {"cluster:\n  replica: 3\n", 2, "cluster.replica", "unknown key; did you mean 'replicas'?"},
      {"cluster:\n  tl:\n    ca: x\n", 2, "cluster.tl", "unknown key; did you mean 'tls'?"},
      {"cluster:\n  tls:\n    certs: x\n", 3, "cluster.tls.certs",
       "unknown key; did you mean 'cert'?"},
      {"cluster:\n  ca: /ca.pem\n", 2, "cluster.ca", "unknown key; did you mean 'cluster.tls.ca'?"},
      {"rooms:\n  node: a\n", 2, "rooms.node", "did you mean 'cluster.node'?"},
      {"clustre:\n  node: a\n", 1, "clustre", "unknown section; did you mean 'cluster'?"},
      {"cluster:\n  tls: /ca.pem\n", 2, "cluster.tls",
       "expected a map of cluster.tls keys, got '/ca.pem'"},
      {"cluster:\n  tls.ca: /ca.pem\n", 2, "cluster.tls.ca", "expected a key name without '.'"},
      {"cluster:\n  tls:\n    ca: a\n    ca: b\n", 4, "cluster.tls.ca",
       "duplicate key (first given on line 3)"},
  });
  const std::string message = error_of("- a\n");
  EXPECT_NE(message.find("(listen, log, limits, rooms, cluster, tls)"), std::string::npos) << message;
}

TEST(ConfigProxyProtocol, IsOffByDefaultAndTakesAListOrOneString) {
  EXPECT_TRUE(config{}.listen.proxy_protocol.empty());
  struct row {
    std::string_view yaml;
    std::vector<std::string> ranges;
  };
  for (const row& r : std::vector<row>{
           {"proxy_protocol: 127.0.0.1", {"127.0.0.1/32"}},
           {"proxy_protocol: [10.0.0.0/8, '2001:db8::/32']", {"10.0.0.0/8", "2001:db8::/32"}},
           {"proxy_protocol:\n    - 192.0.2.0/24\n    - '::1'", {"192.0.2.0/24", "::1/128"}},
           {"proxy_protocol: 10.0.0.1,10.0.0.2", {"10.0.0.1/32", "10.0.0.2/32"}},
           {"proxy_protocol: []", {}},
           {"proxy_protocol: ''", {}},
           {"proxy_protocol:", {}},
       }) {
    SCOPED_TRACE(r.yaml);
    const config c = load("listen:\n  " + std::string(r.yaml) + "\n");
    std::vector<std::string> shown;
    for (const ip_range& range : c.listen.proxy_protocol) shown.push_back(range.to_string());
    EXPECT_EQ(shown, r.ranges);
    EXPECT_NO_THROW(validate(c));
  }
}

TEST(ConfigProxyProtocol, RejectsBadRangesNamingTheItemAndItsLine) {
  expect_rejected({
      {"listen:\n  proxy_protocol: localhost\n", 2, "listen.proxy_protocol",
       "expected an IP address or a CIDR range, e.g. 10.0.0.0/8, 192.0.2.7, 2001:db8::/32 or "
       "::1, got 'localhost'"},
      {"listen:\n  proxy_protocol: 10.0.0.1/8\n", 2, "listen.proxy_protocol",
       "expected no address bits set past the prefix length, e.g. 10.0.0.0/8, got '10.0.0.1/8'"},
      {"listen:\n  proxy_protocol: '10.0.0.0/8,10.0.0.0/40'\n", 2, "listen.proxy_protocol",
       "expected a prefix length from 0 to 32 after '/' (in '10.0.0.0/40'), got "
       "'10.0.0.0/8,10.0.0.0/40'"},
      {"listen:\n  proxy_protocol:\n    - 10.0.0.0/8\n    - 10.0.0.300\n", 4,
       "listen.proxy_protocol", "got '10.0.0.300'"},
      {"listen:\n  proxy_protocol: {a: 1}\n", 2, "listen.proxy_protocol", "got a map"},
  });
}

TEST(ConfigValidate, AcceptsTheDefaults) { EXPECT_NO_THROW(validate(config{})); }

TEST(ConfigValidate, AppliesTheFileRangesToConfigsBuiltInCode) {
  struct row {
    std::string_view what;
    void (*change)(config&);
    std::string_view message;
  };
  for (const row& r : std::vector<row>{
           {"nick_max 0", [](config& c) { c.limits.nick_max = 0; },
            "limits.nick_max: expected an integer from 1 to 64, got '0'"},
           {"negative timeout", [](config& c) { c.limits.register_timeout = -1s; },
            "limits.register_timeout: expected a duration from 1s to 1h, e.g. 500ms, 60s, 10m or "
            "1h, got '-1000ms'"},
           {"NaN rate", [](config& c) { c.limits.rate = std::nan(""); },
            "limits.rate: expected a positive number up to 1000000, e.g. 10 or 0.5, got 'nan'"},
           {"bad level", [](config& c) { c.log.level = "loud"; },
            "log.level: expected one of trace, debug, info, warn, error, critical, off, got "
            "'loud'"},
           {"outbound below a line", [](config& c) { c.limits.max_outbound_bytes = 4096; c.limits.max_line_bytes = 8192; },
            "limits.max_outbound_bytes: expected at least limits.max_line_bytes (8KiB), got '4KiB'"},
           {"hostname", [](config& c) { c.listen.chat.host = "localhost"; },
            "listen.chat: expected a numeric IP address (chatd does not resolve host names), e.g. "
            "127.0.0.1:7000, got 'localhost:7000'"},
           {"NATS URL", [](config& c) { c.cluster.nats = {"nats://a:4222", "nats://b"}; },
            "cluster.nats: expected host:port with the NATS port, e.g. nats://127.0.0.1:4222 (in "
            "'nats://b'), got 'nats://a:4222,nats://b'"},
           {"node name", [](config& c) { c.cluster.node = "a.b"; },
            "cluster.node: expected a node name of 1 to 64 of A-Z, a-z, 0-9, _ and -, got 'a.b'"},
           {"password alone", [](config& c) { c.cluster.password = "pw"; },
            "cluster.user: expected a value, since cluster.password is set, got ''"},
           {"password with credentials",
            [](config& c) {
              c.cluster.password = "pw";
              c.cluster.credentials = "/c.creds";
            },
            "cluster.password: expected none, since cluster.credentials is set (a .creds file "
            "names the user), got '(hidden)'"},
       }) {
    SCOPED_TRACE(r.what);
    config c;
    r.change(c);
    try {
      validate(c);
      ADD_FAILURE() << "accepted";
    } catch (const config_error& e) {
      EXPECT_EQ(std::string(e.what()), r.message);
    }
  }
}

TEST(ConfigListenAddress, PrintsIpv6InBrackets) {
  EXPECT_EQ((listen_address{"0.0.0.0", 7000}.to_string()), "0.0.0.0:7000");
  EXPECT_EQ((listen_address{"::", 7000}.to_string()), "[::]:7000");
  EXPECT_EQ((listen_address{"::1", 0}.to_string()), "[::1]:0");
}

}  // namespace
}  // namespace chatd
