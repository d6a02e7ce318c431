// listen.proxy_protocol against the real server: a real HAProxy in front sending PROXY v2,
// headers sent by hand (v1, v2 LOCAL, cut in pieces, followed by chat input in the same write),
// malformed and missing headers, a peer that is not listed, a reload, and shutdown while a header
// is awaited. HAProxy is required (Debian package `haproxy`; deploy/quickstart.sh test installs
// it): a missing one fails.
#include <gtest/gtest.h>

#include <csignal>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "integration/abuse_helpers.hpp"
#include "integration/chat_helpers.hpp"
#include "integration/child_process.hpp"
#include "integration/free_ports.hpp"
#include "integration/haproxy_process.hpp"
#include "integration/metrics_helpers.hpp"
#include "integration/tls_helpers.hpp"

using namespace chatd::integration;
using namespace std::chrono_literals;

namespace {

double bad_headers(const server_process& server) {
  return scrape(metrics_port(server))
      .value("chatd_connections_rejected_total", {{"reason", "bad-proxy-header"}});
}

// A v1 header for a TCP4 client at `address`:`port`.
std::string v1_header(const std::string& address, int port) {
  return "PROXY TCP4 " + address + " 127.0.0.1 " + std::to_string(port) + " 7000\r\n";
}

// The "conn N open peer=..." line of the server's log that names `peer`, or "" if none has
// come within 5 s (the log reaches the test through a pipe, a moment after the server wrote it).
std::string open_line(const server_process& server, const std::string& peer) {
  if (!server.wait_for_log("open peer=" + peer)) return {};
  const std::string log = server.log();
  const std::regex line("conn [0-9]+ open peer=" + std::regex_replace(peer, std::regex(R"([.\[\]])"), R"(\$&)") +
                        "[^\n]*");
  std::smatch match;
  return std::regex_search(log, match, line) ? match.str() : std::string();
}

const std::string listed_loopback =
    "listen:\n  proxy_protocol: [127.0.0.1, '::1']\n";

}  // namespace

TEST(ProxyProtocol, BehindHaproxyClientsAreSeenAndLimitedByTheirOwnAddresses) {
  server_process server(listed_loopback + "limits:\n  max_connections_per_ip: 1\n",
                        metrics_listen_args());
  // PROXY v2 with a CRC32c TLV, which chatd skips.
  haproxy_process haproxy({{"chatd", server.port(), 0, "send-proxy-v2 proxy-v2-options crc32c"}});

  test_client a(haproxy.port(), "alice", from_address("127.0.0.2"));
  a.register_json("alice");
  // Everything reaches chatd from HAProxy's 127.0.0.1, yet each client is its own address.
  test_client b(haproxy.port(), "bob", from_address("127.0.0.3"));
  b.register_json("bob");
  EXPECT_EQ(a.expect_json("join")["nick"], "bob");
  test_client again(haproxy.port(), "again", from_address("127.0.0.2"));
  EXPECT_EQ(lines_until_closed(again),
            (std::vector<std::string>{
                "! too-many-connections: too many connections from 127.0.0.2"}));
  a.expect_quiet_json();

  const std::string alice_line = open_line(server, "127.0.0.2:");
  EXPECT_NE(alice_line.find(" via=127.0.0.1:"), std::string::npos) << server.log();
  EXPECT_NE(open_line(server, "127.0.0.3:"), "") << server.log();
  EXPECT_TRUE(server.wait_for_log("rejected: too-many-connections")) << server.log();
  EXPECT_EQ(server.log().find("peer=127.0.0.1:"), std::string::npos) << server.log();
  EXPECT_EQ(bad_headers(server), 0);
  EXPECT_TRUE(no_connections_after_closing(server, {&a, &b, &again})) << haproxy.output();
}

// Behind a balancer TLS clients come with a header too, sent before their handshake: HAProxy
// in TCP mode in front of the TLS port, openssl s_client through it.
TEST(ProxyProtocol, TheTlsPortReadsTheHeaderBeforeTheHandshake) {
  ASSERT_FALSE(openssl_cli().empty()) << "the openssl CLI is not installed";
  temp_dir dir("chatd-tls-proxy");
  const cert_pair pair = make_cert(dir, "server", "chatd-test");
  server_process server("listen:\n  chat_tls: 127.0.0.1:0\n  proxy_protocol: [127.0.0.1]\n"
                        "tls:\n  cert: " + pair.cert + "\n  key: " + pair.key + "\n",
                        metrics_listen_args());
  haproxy_process haproxy({{"chatd", tls_port(server), 0, "send-proxy-v2"}});
  tls_client alice(dir, "alice", haproxy.port());
  ASSERT_TRUE(alice.wait_for("Welcome to chatd")) << alice.output() << server.log();
  alice.send_line("alice");
  ASSERT_TRUE(alice.wait_for("alice")) << alice.output();
  EXPECT_TRUE(server.wait_for_log(" via=127.0.0.1:")) << server.log();
  const std::string line = open_line(server, "127.0.0.1");
  EXPECT_NE(line.find(" via=127.0.0.1:"), std::string::npos) << line;
  EXPECT_NE(line.find(" tls"), std::string::npos) << line;
  EXPECT_EQ(bad_headers(server), 0);
}

TEST(ProxyProtocol, AHeaderSentByHandNamesTheClientAndWhatFollowsItIsChatInput) {
  server_process server(listed_loopback + "limits:\n  max_connections_per_ip: 1\n",
                        metrics_listen_args());
  // v1 with the client's first commands in the same write: none of them may be lost.
  test_client a(server.port(), "alice");
  a.send_raw(v1_header("192.0.2.7", 5555) + "/format json\n/nick alice\n");
  EXPECT_EQ(a.expect_line().rfind("* Welcome", 0), 0u);
  a.expect_line();  // the welcome's second line
  a.expect_ok("format");
  a.expect_ok("nick");
  EXPECT_EQ(a.expect_json("join")["nick"], "alice");
  EXPECT_TRUE(server.wait_for_log("conn 1 open peer=192.0.2.7:5555 via=127.0.0.1:")) << server.log();

  // The per-address limit counts 192.0.2.7, not the 127.0.0.1 every header came through.
  test_client same(server.port(), "same");
  same.send_raw(v1_header("192.0.2.7", 5556));
  EXPECT_EQ(lines_until_closed(same),
            (std::vector<std::string>{
                "! too-many-connections: too many connections from 192.0.2.7"}));

  // A header cut in pieces, with a pause between them.
  const std::string header = v1_header("192.0.2.8", 6000);
  test_client b(server.port(), "bob");
  b.send_raw(header.substr(0, 9));
  std::this_thread::sleep_for(50ms);  // the server reads the first piece alone
  b.send_raw(header.substr(9, 20));
  std::this_thread::sleep_for(50ms);
  b.send_raw(header.substr(29));
  b.register_json("bob");
  EXPECT_TRUE(server.wait_for_log("open peer=192.0.2.8:6000")) << server.log();

  // v2 LOCAL (what a balancer's health check sends): the connection's own address stands.
  test_client local(server.port(), "local");
  local.send_raw(std::string("\r\n\r\n\0\r\nQUIT\n\x20\x00\x00\x00", 16));
  local.register_json("carol");
  EXPECT_NE(open_line(server, "127.0.0.1:"), "") << server.log();

  EXPECT_EQ(bad_headers(server), 0);
  EXPECT_TRUE(no_connections_after_closing(server, {&a, &same, &b, &local}));
}

TEST(ProxyProtocol, AMalformedOrMissingHeaderClosesTheConnectionAndIsCounted) {
  std::vector<std::string> args = metrics_listen_args();
  args.insert(args.end(), {"--log-level", "debug"});  // to see the health check's close
  // 2 s: the timeout's warning then comes after the once-a-second log throttle let the others by.
  server_process server(listed_loopback + "limits:\n  register_timeout: 2s\n", args);
  test_client silent(server.port(), "silent");
  test_client malformed(server.port(), "malformed");
  malformed.send_raw("PROXY TCP4 192.0.2.1 nowhere 1 2\r\nalice\n");
  // Nothing is said to a peer that failed the header: not even the welcome.
  EXPECT_EQ(lines_until_closed(malformed), std::vector<std::string>{});
  EXPECT_TRUE(server.wait_for_log("bad-proxy-header: v1 header with a bad IPv4 address"))
      << server.log();

  test_client plain(server.port(), "plain");
  plain.send_line("alice");  // a client talking to a port that expects a header
  EXPECT_EQ(lines_until_closed(plain), std::vector<std::string>{});

  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(lines_until_closed(silent, 5s), std::vector<std::string>{});
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);  // closed at register_timeout
  EXPECT_TRUE(wait_until([&] { return bad_headers(server) == 3; }, 5s,
                         "three bad-proxy-header rejections"));
  EXPECT_TRUE(server.wait_for_log("bad-proxy-header: no PROXY header in time")) << server.log();
  // Rejected before they were served: none was accepted.
  EXPECT_EQ(scrape(metrics_port(server)).value("chatd_connections_accepted_total"), 0);

  // A peer that connects and closes without a byte (a TCP health check) is not a bad header.
  test_client check(server.port(), "check");
  check.close();
  EXPECT_TRUE(server.wait_for_log("closed before sending anything")) << server.log();
  test_client after = test_client(server.port(), "after");
  after.send_raw(v1_header("192.0.2.9", 1));
  after.register_json("after");
  EXPECT_EQ(bad_headers(server), 3);
  EXPECT_TRUE(no_connections_after_closing(server, {&silent, &malformed, &plain, &after}));
}

TEST(ProxyProtocol, AnUnlistedPeerNeverHasAHeaderRead) {
  server_process server("listen:\n  proxy_protocol: [127.0.0.2]\n", metrics_listen_args());
  test_client a(server.port(), "alice");
  a.send_raw(v1_header("192.0.2.7", 5555));
  // The welcome comes at once, and the header line is taken as a nickname and refused.
  EXPECT_EQ(a.expect_line().rfind("* Welcome", 0), 0u);
  a.expect_line();
  EXPECT_EQ(a.expect_line().rfind("! nick-invalid", 0), 0u);
  a.send_line("/nick alice");
  EXPECT_EQ(a.expect_line(), "* You are now known as alice.");
  EXPECT_NE(open_line(server, "127.0.0.1:"), "") << server.log();
  EXPECT_EQ(server.log().find("192.0.2.7"), std::string::npos) << server.log();
  EXPECT_EQ(bad_headers(server), 0);
  EXPECT_TRUE(no_connections_after_closing(server, {&a}));
}

TEST(ProxyProtocol, AReloadChangesWhoMustSendAHeaderForNewConnections) {
  server_process server("", metrics_listen_args());
  test_client before(server.port(), "before");
  before.register_json("before");

  server.rewrite_config(listed_loopback);
  server.signal(SIGHUP);
  ASSERT_TRUE(server.wait_for_log("configuration reloaded: listen.proxy_protocol '' -> "
                                  "'127.0.0.1/32,::1/128'"))
      << server.log();
  // The connection that was open before keeps its address and is served on.
  before.expect_quiet_json();
  test_client after(server.port(), "after");
  after.send_raw(v1_header("192.0.2.10", 4242));
  after.register_json("after");
  EXPECT_TRUE(server.wait_for_log("open peer=192.0.2.10:4242")) << server.log();
  EXPECT_EQ(before.expect_json("join")["nick"], "after");

  server.rewrite_config("");
  server.signal(SIGHUP);
  ASSERT_TRUE(server.wait_for_log("listen.proxy_protocol '127.0.0.1/32,::1/128' -> ''"))
      << server.log();
  test_client plain(server.port(), "plain");
  plain.register_json("plain");
  EXPECT_TRUE(no_connections_after_closing(server, {&before, &after, &plain}));
}

TEST(ProxyProtocol, ShutdownDoesNotWaitForAHeaderThatHasNotCome) {
  // register_timeout stays 60 s.
  server_process server(listed_loopback, metrics_listen_args());
  test_client silent(server.port(), "silent");
  test_client partial(server.port(), "partial");
  partial.send_raw("PROXY TCP4 ");
  const std::uint16_t metrics = metrics_port(server);
  ASSERT_TRUE(wait_until(
      [&] { return scrape(metrics).value("chatd_proxy_headers_pending") == 2; }, 5s,
      "both connections to wait for their headers"));
  server.signal(SIGTERM);
  EXPECT_EQ(server.wait_exit(5s), 0) << server.log();
  EXPECT_TRUE(silent.wait_closed(1s));
  EXPECT_TRUE(partial.wait_closed(1s));
}
