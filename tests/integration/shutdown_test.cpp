// Graceful shutdown on SIGTERM/SIGINT: every client gets bye "server-shutdown", then the close,
// and the process exits 0.
#include <gtest/gtest.h>

#include <signal.h>

#include "integration/chat_helpers.hpp"

using namespace chatd::integration;

namespace {

// Reads up to the bye; before it only quit events of other clients leaving for the same reason
// may arrive. Then the server must close the connection.
void expect_shutdown_bye(test_client& client) {
  for (;;) {
    json j = client.read_json();
    if (j["type"] == "bye") {
      EXPECT_EQ(j["reason"], "server-shutdown") << client.label();
      break;
    }
    ASSERT_EQ(j["type"], "quit") << client.label() << ": unexpected " << j.dump();
    EXPECT_EQ(j["reason"], "server-shutdown") << j.dump();
  }
  EXPECT_TRUE(client.wait_closed()) << client.label();
}

// A human client: the rest of its lines are "* " notices (the goodbye among them), then the close.
void expect_human_shutdown(test_client& client) {
  EXPECT_TRUE(client.wait_closed()) << client.label();
  std::vector<std::string> lines;
  while (auto line = client.read_line(std::chrono::milliseconds(0))) {
    EXPECT_EQ(line->rfind("* ", 0), 0u) << client.label() << ": " << printable(*line);
    lines.push_back(*line);
  }
  ASSERT_FALSE(lines.empty()) << client.label() << " got no goodbye";
  EXPECT_NE(lines.back().find("server-shutdown"), std::string::npos)
      << client.label() << ": the goodbye should give the reason: " << printable(lines.back());
}

}  // namespace

TEST(Shutdown, SigtermSendsServerShutdownByeToEveryClientAndExitsZero) {
  server_process server;
  test_client alice = json_client(server, "alice");
  test_client bob = json_client(server, "bob");
  alice.sync_json();
  test_client carol(server.port(), "carol");  // human, registered
  read_human_welcome(carol);
  carol.send_line("/nick carol");
  carol.sync_human();
  test_client anon(server.port(), "anon");  // human, never registered
  read_human_welcome(anon);
  alice.sync_json();
  bob.sync_json();

  server.signal(SIGTERM);
  expect_shutdown_bye(alice);
  expect_shutdown_bye(bob);
  expect_human_shutdown(carol);
  expect_human_shutdown(anon);
  EXPECT_EQ(server.wait_exit(std::chrono::seconds(10)), std::optional<int>(0)) << server.log();
}

TEST(Shutdown, SigintShutsDownGracefullyToo) {
  server_process server;
  test_client alice = json_client(server, "alice");
  server.signal(SIGINT);
  expect_shutdown_bye(alice);
  EXPECT_EQ(server.wait_exit(std::chrono::seconds(10)), std::optional<int>(0)) << server.log();
}

TEST(Shutdown, SigtermWithoutClientsExitsZero) {
  server_process server;
  server.signal(SIGTERM);
  EXPECT_EQ(server.wait_exit(std::chrono::seconds(10)), std::optional<int>(0)) << server.log();
}

TEST(Shutdown, SigtermFlushesMessagesQueuedBeforeTheBye) {
  server_process server(std::string{fast_limits_yaml});
  test_client alice = json_client(server, "alice");
  test_client bob = json_client(server, "bob");
  alice.sync_json();
  std::string batch;
  for (int k = 1; k <= 100; ++k) batch += "line " + std::to_string(k) + "\n";
  alice.send_raw(batch);
  for (int k = 1; k <= 100; ++k) EXPECT_EQ(alice.expect_ok("say")["seq"], k);
  server.signal(SIGTERM);  // bob has not read anything yet
  for (int k = 1; k <= 100; ++k) {
    json msg = bob.expect_json("msg");
    ASSERT_EQ(msg["seq"], k) << msg.dump();
  }
  expect_shutdown_bye(bob);
  EXPECT_EQ(server.wait_exit(std::chrono::seconds(10)), std::optional<int>(0)) << server.log();
}
