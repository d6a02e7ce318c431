// The TLS listener with real TLS clients (openssl s_client) beside plain ones: chat across
// both ports, the minimum version, the handshake timeout, the wrong client on either port,
// --check-config on the certificate, and reloading it with SIGHUP.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <ctime>
#include <memory>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include "integration/chat_helpers.hpp"
#include "integration/metrics_helpers.hpp"
#include "integration/promtool_check.hpp"
#include "integration/tls_helpers.hpp"

using namespace chatd::integration;
using namespace std::chrono_literals;

namespace {

// The openssl CLI is a test package (deploy/quickstart.sh test installs it): a missing one
// fails the test rather than skipping it.
#define REQUIRE_OPENSSL() \
  ASSERT_FALSE(openssl_cli().empty()) << "the openssl CLI is not installed; apt-get install openssl"

double handshakes(std::uint16_t metrics, const char* result) {
  return scrape(metrics).value("chatd_tls_handshakes_total", {{"result", result}});
}

double disconnects(std::uint16_t metrics, const char* reason) {
  return scrape(metrics).value("chatd_disconnects_total", {{"reason", reason}});
}

// Runs `chatd --check-config --config FILE` with `yaml` in FILE.
program_result check_config(const temp_dir& dir, const std::string& yaml) {
  const std::string path = dir.file("check.yaml");
  write_file_text(path, yaml);
  return run_program({CHATD_BINARY, "--check-config", "--config", path}, 10s);
}

}  // namespace

TEST(TlsListener, ATlsClientChatsWithAPlainClientInTheSameRoom) {
  REQUIRE_OPENSSL();
  temp_dir dir("chatd-tls");
  const cert_pair pair = make_cert(dir, "server", "chatd-test");
  server_process server(tls_config_yaml(pair), metrics_listen_args());
  const std::uint16_t metrics = metrics_port(server);
  test_client bob = json_client(server, "bob");

  tls_client alice(dir, "alice", tls_port(server));
  ASSERT_TRUE(alice.wait_for("Welcome to chatd")) << alice.output();  // the welcome, decrypted
  EXPECT_NE(alice.output().find("CN = chatd-test"), std::string::npos) << alice.output();
  alice.send_line("alice");
  json join = bob.expect_json("join");
  EXPECT_EQ(join["nick"], "alice");
  alice.send_line("hello over TLS");
  check_msg(bob.expect_json("msg"), "lobby", "alice", "hello over TLS");
  bob.send_line("hello in plain text");
  bob.expect_ok("say");
  EXPECT_TRUE(alice.wait_for("hello in plain text")) << alice.output();

  EXPECT_EQ(handshakes(metrics, "ok"), 1);
  EXPECT_EQ(scrape(metrics).value("chatd_tls_connections"), 1);
  // Valid for two days from now: the gauge says when, in Unix seconds.
  const double expiry = scrape(metrics).value("chatd_tls_certificate_expiry_timestamp_seconds");
  const double now = static_cast<double>(std::time(nullptr));
  EXPECT_GT(expiry, now + 47 * 3600);
  EXPECT_LT(expiry, now + 49 * 3600);

  alice.send_line("/quit done");
  EXPECT_EQ(bob.expect_json("quit")["nick"], "alice");
  EXPECT_TRUE(alice.wait_exit(5s).has_value()) << "s_client did not end after /quit";
  EXPECT_TRUE(wait_until([&] { return scrape(metrics).value("chatd_tls_connections") == 0; }, 5s,
                         "chatd_tls_connections to fall to 0"));
  EXPECT_TRUE(no_connections_after_closing(server, {&bob}));
}

TEST(TlsListener, MinVersion13RefusesATls12ClientAndServesATls13One) {
  REQUIRE_OPENSSL();
  temp_dir dir("chatd-tls");
  const cert_pair pair = make_cert(dir, "server", "chatd-test");
  server_process server(tls_config_yaml(pair, "  min_version: \"1.3\"\n"), metrics_listen_args());
  const std::uint16_t metrics = metrics_port(server);
  const std::uint16_t port = tls_port(server);

  tls_client old_client(dir, "old", port, {"-tls1_2"});
  ASSERT_TRUE(old_client.wait_exit(10s).has_value()) << "a TLS 1.2 client was kept";
  EXPECT_EQ(old_client.output().find("Welcome"), std::string::npos) << old_client.output();
  EXPECT_TRUE(wait_until([&] { return handshakes(metrics, "failed") == 1; }, 5s,
                         "the refused handshake to be counted"));

  tls_client new_client(dir, "new", port, {"-tls1_3"});
  EXPECT_TRUE(new_client.wait_for("Welcome to chatd")) << new_client.output();
  EXPECT_EQ(handshakes(metrics, "ok"), 1);
}

TEST(TlsListener, AHandshakeNotDoneInTimeIsClosedAndCounted) {
  REQUIRE_OPENSSL();
  temp_dir dir("chatd-tls");
  const cert_pair pair = make_cert(dir, "server", "chatd-test");
  server_process server(tls_config_yaml(pair, "  handshake_timeout: 1s\n"),
                        metrics_listen_args());
  const std::uint16_t metrics = metrics_port(server);

  // Connected, and silent: no ClientHello ever comes.
  const auto opened = std::chrono::steady_clock::now();
  test_client silent(tls_port(server), "silent");
  EXPECT_TRUE(silent.wait_closed(5s)) << "the silent connection was kept";
  const auto waited = std::chrono::steady_clock::now() - opened;
  EXPECT_GE(waited, 900ms);  // not before the timeout
  EXPECT_EQ(handshakes(metrics, "timeout"), 1);
  EXPECT_EQ(disconnects(metrics, "tls-handshake-timeout"), 1);
  EXPECT_TRUE(server.wait_for_log("TLS handshake timed out"));
  EXPECT_TRUE(wait_connections_active(server, 0));
}

TEST(TlsListener, TheWrongClientOnEitherPortIsClosedAndCountedWhileAChatGoesOn) {
  REQUIRE_OPENSSL();
  temp_dir dir("chatd-tls");
  const cert_pair pair = make_cert(dir, "server", "chatd-test");
  server_process server(tls_config_yaml(pair), metrics_listen_args());
  const std::uint16_t metrics = metrics_port(server);
  test_client bob = json_client(server, "bob");
  test_client carol = json_client(server, "carol");
  bob.expect_json("join");  // carol's

  // Plain text on the TLS port: the handshake fails, and nothing is said back.
  test_client plain_on_tls(tls_port(server), "plain-on-tls");
  plain_on_tls.send_line("mallory");
  EXPECT_TRUE(plain_on_tls.wait_closed(5s));
  EXPECT_TRUE(wait_until([&] { return handshakes(metrics, "failed") == 1; }, 5s,
                         "the failed handshake to be counted"));
  EXPECT_EQ(disconnects(metrics, "tls-handshake-failed"), 1);

  // TLS on the plain port: closed at its ClientHello, no plain line sent to it.
  tls_client tls_on_plain(dir, "tls-on-plain", server.port());
  ASSERT_TRUE(tls_on_plain.wait_exit(10s).has_value()) << "s_client was kept on the plain port";
  EXPECT_EQ(tls_on_plain.output().find("Welcome"), std::string::npos) << tls_on_plain.output();
  EXPECT_TRUE(wait_until([&] { return disconnects(metrics, "tls-on-plain-port") == 1; }, 5s,
                         "the TLS client on the plain port to be counted"));
  EXPECT_TRUE(server.wait_for_log("reason=tls-on-plain-port"));

  // The chat went on throughout.
  bob.send_line("still here");
  bob.expect_ok("say");
  check_msg(carol.expect_json("msg"), "lobby", "bob", "still here");
  bob.expect_quiet_json(200ms);
  EXPECT_TRUE(no_connections_after_closing(server, {&bob, &carol}));
}

TEST(TlsListener, CheckConfigRefusesAMissingFileAMismatchedPairAndAnExpiredCertificate) {
  REQUIRE_OPENSSL();
  temp_dir dir("chatd-tls");
  const cert_pair good = make_cert(dir, "good", "good");
  const cert_pair other = make_cert(dir, "other", "other");
  const auto one_line_naming = [](const program_result& run, const std::string& file) {
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_NE(run.output.find(file), std::string::npos) << run.output;
    EXPECT_EQ(run.output.find('\n'), run.output.size() - 1) << "not one line: " << run.output;
  };

  const program_result valid = check_config(dir, tls_config_yaml(good));
  EXPECT_EQ(valid.exit_code, 0) << valid.output;

  const std::string missing = dir.file("missing.crt");
  const program_result no_file = check_config(dir, tls_config_yaml({missing, good.key}));
  one_line_naming(no_file, missing);
  EXPECT_NE(no_file.output.find("tls.cert: cannot read"), std::string::npos) << no_file.output;

  const program_result mismatched = check_config(dir, tls_config_yaml({good.cert, other.key}));
  one_line_naming(mismatched, other.key);
  EXPECT_NE(mismatched.output.find("tls.key:"), std::string::npos) << mismatched.output;

  const cert_pair expired = make_expired_cert(dir, good, "expired");
  const program_result too_late = check_config(dir, tls_config_yaml(expired));
  one_line_naming(too_late, expired.cert);
  EXPECT_NE(too_late.output.find("expired on"), std::string::npos) << too_late.output;
}

TEST(TlsListener, SighupGivesNewConnectionsANewPairAndKeepsTheOldOnesAndABadPairIsRefused) {
  REQUIRE_OPENSSL();
  temp_dir dir("chatd-tls");
  const cert_pair first = make_cert(dir, "first", "first-cert", 2);
  server_process server(tls_config_yaml(first), metrics_listen_args());
  const std::uint16_t metrics = metrics_port(server);
  const std::uint16_t port = tls_port(server);
  test_client bob = json_client(server, "bob");

  tls_client alice(dir, "alice", port);
  ASSERT_TRUE(alice.wait_for("Welcome to chatd")) << alice.output();
  EXPECT_NE(alice.output().find("CN = first-cert"), std::string::npos) << alice.output();
  alice.send_line("alice");
  bob.expect_json("join");
  const double first_expiry =
      scrape(metrics).value("chatd_tls_certificate_expiry_timestamp_seconds");

  // A new pair, valid longer: new connections get it, alice keeps hers.
  const cert_pair second = make_cert(dir, "second", "second-cert", 5);
  server.rewrite_config(tls_config_yaml(second));
  server.signal(SIGHUP);
  ASSERT_TRUE(server.wait_for_log("loaded for new connections")) << server.log();
  tls_client dave(dir, "dave", port);
  ASSERT_TRUE(dave.wait_for("Welcome to chatd")) << dave.output();
  EXPECT_NE(dave.output().find("CN = second-cert"), std::string::npos) << dave.output();
  EXPECT_GT(scrape(metrics).value("chatd_tls_certificate_expiry_timestamp_seconds"),
            first_expiry + 2 * 86400);
  alice.send_line("still on the first certificate");
  check_msg(bob.expect_json("msg"), "lobby", "alice", "still on the first certificate");

  // A bad pair: the second stays, the reason is logged and the reload counted as failed.
  const cert_pair third = make_cert(dir, "third", "third-cert");
  server.rewrite_config(tls_config_yaml({third.cert, first.key}));
  server.signal(SIGHUP);
  ASSERT_TRUE(server.wait_for_log("TLS reload failed")) << server.log();
  EXPECT_NE(server.log().find(first.key), std::string::npos) << server.log();
  EXPECT_EQ(scrape(metrics).value("chatd_config_reloads_total", {{"result", "failed"}}), 1);
  tls_client erin(dir, "erin", port);
  ASSERT_TRUE(erin.wait_for("Welcome to chatd")) << erin.output();
  EXPECT_NE(erin.output().find("CN = second-cert"), std::string::npos) << erin.output();
  alice.send_line("and still here");
  check_msg(bob.expect_json("msg"), "lobby", "alice", "and still here");
}

TEST(TlsListener, PromtoolFindsNoProblemInTheTlsMetrics) {
  REQUIRE_OPENSSL();
  temp_dir dir("chatd-tls");
  const cert_pair pair = make_cert(dir, "server", "chatd-test");
  server_process server(tls_config_yaml(pair), metrics_listen_args());
  tls_client alice(dir, "alice", tls_port(server));
  ASSERT_TRUE(alice.wait_for("Welcome to chatd")) << alice.output();

  const std::string text = scrape_text(metrics_port(server));
  EXPECT_NE(text.find("# TYPE chatd_tls_handshakes_total counter"), std::string::npos);
  EXPECT_NE(text.find("# TYPE chatd_tls_certificate_expiry_timestamp_seconds gauge"),
            std::string::npos);
  EXPECT_TRUE(promtool_accepts(text));
}

TEST(TlsListener, ThePerAddressLimitCountsBothPortsAndATlsRefusalSaysNothing) {
  REQUIRE_OPENSSL();
  temp_dir dir("chatd-tls");
  const cert_pair pair = make_cert(dir, "server", "chatd-test");
  server_process server(tls_config_yaml(pair, "", "limits:\n  max_connections_per_ip: 1\n"),
                        metrics_listen_args());
  const std::uint16_t metrics = metrics_port(server);
  test_client bob = json_client(server, "bob");

  // bob holds 127.0.0.1's one connection: the TLS port refuses a second one, without the
  // plain error line a TLS client could not read.
  test_client second(tls_port(server), "second");
  EXPECT_TRUE(second.wait_closed(5s));
  EXPECT_EQ(second.read_raw_until_quiet(50ms), "");
  EXPECT_EQ(scrape(metrics).value("chatd_connections_rejected_total",
                                  {{"reason", "too-many-connections"}}),
            1);
  EXPECT_EQ(handshakes(metrics, "ok") + handshakes(metrics, "failed"), 0);

  // Once bob is gone, a TLS client from the same address is served.
  bob.close();
  ASSERT_TRUE(wait_connections_active(server, 0));
  tls_client alice(dir, "alice", tls_port(server));
  EXPECT_TRUE(alice.wait_for("Welcome to chatd")) << alice.output();
}

TEST(TlsListener, ServesTheTlsSocketPassedBySystemdSocketActivate) {
  REQUIRE_OPENSSL();
  if (find_on_path("systemd-socket-activate").empty())
    GTEST_SKIP() << "systemd-socket-activate is not installed; apt-get install systemd";
  temp_dir dir("chatd-tls");
  const cert_pair pair = make_cert(dir, "server", "chatd-test");
  // Ports free a moment ago, for systemd-socket-activate to bind; chatd binds neither.
  std::uint16_t ports[2] = {};
  for (auto& port : ports) {
    asio::io_context io;
    asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
    port = probe.local_endpoint().port();
  }
  launch_options options;
  options.wrapper = {"systemd-socket-activate", "-l", "127.0.0.1:" + std::to_string(ports[0]),
                     "-l", "127.0.0.1:" + std::to_string(ports[1]), "--fdname=chat:chat-tls"};
  options.wait_for_listening = false;
  server_process server(tls_config_yaml(pair), {}, options);

  // The first connection starts chatd, which takes both sockets.
  std::unique_ptr<tls_client> alice;
  int attempt = 0;
  ASSERT_TRUE(wait_until(
      [&] {
        alice.reset();  // a client that was not served gives its place to the next one
        alice = std::make_unique<tls_client>(dir, "alice" + std::to_string(attempt++), ports[1]);
        return alice->wait_for("Welcome to chatd", 2s);
      },
      10s, "a TLS client served on the activated socket", 100ms))
      << alice->output() << server.log();
  EXPECT_TRUE(server.wait_for_log("chat TLS listening on 127.0.0.1:" + std::to_string(ports[1]) +
                                  " (socket from the service manager)"))
      << server.log();
  test_client bob(ports[0], "bob");
  bob.register_json("bob");
  alice->send_line("alice");
  EXPECT_EQ(bob.expect_json("join")["nick"], "alice");
}
