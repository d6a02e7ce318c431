// The chat client in-process: real tcp_connections over socketpairs on one io_context, the
// real directory and rooms, no server around them.
#include "server/chat/chat_client.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include "metrics/registry.hpp"
#include "server/chat/directory.hpp"
#include "server/chat/room.hpp"
#include "server/chat/server_metrics.hpp"
#include "server/transport/tcp_connection.hpp"

using namespace std::chrono_literals;

namespace chatd {
namespace {

class ChatClient : public ::testing::Test {
 protected:
  ChatClient()
      : metrics_(registry_),
        transport_(metrics_.bytes_received, metrics_.bytes_sent, metrics_.session_failures,
                   64 * 1024) {
    cfg_.rooms.default_room = "lobby";
    cfg_.limits.rate = 1000;
    cfg_.limits.burst = 1000;
    dir_ = std::make_unique<directory>(io_.get_executor(), cfg_, metrics_);
  }

  // A client on one end of a socketpair; returns the test's end (non-blocking).
  // `send_buffer`, if set, is the server end's SO_SNDBUF (to make a slow reader).
  int connect(std::uint64_t id, int send_buffer = 0) {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    if (send_buffer > 0) {
      ::setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &send_buffer, sizeof send_buffer);
    }
    ::fcntl(fds[1], F_SETFL, ::fcntl(fds[1], F_GETFL) | O_NONBLOCK);
    asio::ip::tcp::socket socket(io_);
    socket.assign(asio::ip::tcp::v4(), fds[0]);  // the transport only reads and writes it
    auto conn = std::make_shared<tcp_connection>(transport_, std::move(socket), id,
                                                 "peer" + std::to_string(id), "10.0.0.1");
    std::make_shared<chat_client>(*dir_, std::move(conn), id)->start();
    peers_.push_back(fds[1]);
    return fds[1];
  }

  // A client that picked `nick` and is in the lobby; returns the test's end.
  int registered(std::uint64_t id, const std::string& nick) {
    const int fd = connect(id);
    send(fd, nick + "\r\n");
    read_until(fd, "* " + nick + " joined [lobby]\r\n");
    return fd;
  }

  ~ChatClient() override {
    for (int fd : peers_) ::close(fd);
  }

  void send(int fd, const std::string& bytes) {
    ASSERT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }

  // Runs the loop until `fd` has received something containing `want` (or 5 s pass); returns
  // all it received meanwhile.
  std::string read_until(int fd, const std::string& want) {
    std::string got;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (got.find(want) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      io_.run_for(5ms);
      char buffer[4096];
      for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;)
        got.append(buffer, static_cast<std::size_t>(n));
    }
    return got;
  }

  // Runs the loop until the server closes `fd`; returns what came before.
  std::string read_until_closed(int fd) {
    std::string got;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < deadline) {
      io_.run_for(5ms);
      char buffer[4096];
      ssize_t n;
      while ((n = ::read(fd, buffer, sizeof buffer)) > 0) got.append(buffer, static_cast<std::size_t>(n));
      if (n == 0) return got;
    }
    ADD_FAILURE() << "the server did not close the connection; got: " << got;
    return got;
  }

  void run_until(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!done() && std::chrono::steady_clock::now() < deadline) io_.run_for(5ms);
  }

  asio::io_context io_;
  config cfg_;
  metrics::registry registry_;
  server_metrics metrics_;
  transport_context transport_;
  std::unique_ptr<directory> dir_;
  std::vector<int> peers_;
};

TEST_F(ChatClient, RegistersJoinsTheDefaultRoomAndChatsWithAnother) {
  const int ann = connect(1);
  EXPECT_NE(read_until(ann, "Pick a nickname").find("* Welcome to chatd"), std::string::npos);
  send(ann, "ann\r\n");
  const std::string joined = read_until(ann, "* ann joined [lobby]\r\n");
  EXPECT_NE(joined.find("* You are now known as ann.\r\n"), std::string::npos) << joined;

  const int bob = connect(2);
  read_until(bob, "Pick a nickname");
  send(bob, "/format json\r\nbob\r\n");
  read_until(bob, R"({"type":"join","room":"lobby","nick":"bob"})");
  EXPECT_NE(read_until(ann, "* bob joined [lobby]\r\n").find("bob joined"), std::string::npos);

  send(ann, "hello bob\r\n");
  const std::string got = read_until(bob, "hello bob");
  EXPECT_NE(got.find(R"({"type":"msg","room":"lobby","from":"ann","text":"hello bob","seq":1,)"),
            std::string::npos)
      << got;
  EXPECT_EQ(dir_->client_count(), 2u);
  EXPECT_EQ(dir_->find_room("lobby")->members().size(), 2u);
  EXPECT_EQ(metrics_.messages_delivered.value(), 1);
}

TEST_F(ChatClient, QuitLeavesEveryRegistryAndTheOthersHearIt) {
  const int ann = registered(1, "ann");
  const int bob = registered(2, "bob");

  send(bob, "/quit gone fishing\r\n");
  EXPECT_NE(read_until(bob, "* Bye (gone fishing).\r\n").find("Bye"), std::string::npos);
  EXPECT_NE(read_until(ann, "* bob quit (gone fishing)\r\n").find("bob quit"), std::string::npos);
  EXPECT_EQ(dir_->find_nick("bob"), nullptr);
  EXPECT_EQ(dir_->find_room("lobby")->members().size(), 1u);
  // The transport flushed and shut down its side; once the peer closes, the client finishes
  // and leaves the directory.
  ::shutdown(bob, SHUT_WR);
  run_until([&] { return dir_->client_count() == 1; });
  EXPECT_EQ(dir_->client_count(), 1u);
}

TEST_F(ChatClient, APeerThatGoesAwayIsFinishedAndItsRoomsKeptEmptyUntilTheyExpire) {
  const int ann = connect(1);
  send(ann, "ann\r\n/join solo\r\n");
  read_until(ann, "You joined [solo]");
  ASSERT_NE(dir_->find_room("solo"), nullptr);
  const std::string epoch = dir_->find_room("solo")->epoch();
  ::close(ann);
  peers_.clear();
  run_until([&] { return dir_->client_count() == 0; });
  EXPECT_EQ(dir_->client_count(), 0u);
  EXPECT_EQ(dir_->find_nick("ann"), nullptr);
  // rooms.keep_empty (10 minutes by default) keeps both, as they were.
  ASSERT_NE(dir_->find_room("solo"), nullptr);
  EXPECT_TRUE(dir_->find_room("solo")->kept_empty());
  EXPECT_EQ(dir_->find_room("solo")->epoch(), epoch);
  EXPECT_EQ(dir_->kept_empty_count(), 2u);
  EXPECT_EQ(dir_->room_count(), 2u);

  const auto now = std::chrono::steady_clock::now();
  dir_->expire_kept_rooms(now + cfg_.rooms.keep_empty - std::chrono::seconds(1));
  EXPECT_EQ(dir_->kept_empty_count(), 2u);
  dir_->expire_kept_rooms(now + cfg_.rooms.keep_empty + std::chrono::seconds(1));
  EXPECT_EQ(dir_->kept_empty_count(), 0u);
  EXPECT_EQ(dir_->find_room("solo"), nullptr);
  EXPECT_EQ(dir_->find_room("lobby"), nullptr);
}

TEST_F(ChatClient, WithKeepEmptyZeroAnEmptiedRoomGoesAtOnce) {
  cfg_.rooms.keep_empty = std::chrono::milliseconds(0);
  dir_->apply_config(cfg_);
  const int ann = connect(1);
  send(ann, "ann\r\n/join solo\r\n/part solo\r\n");
  read_until(ann, "You left [solo]");
  EXPECT_EQ(dir_->find_room("solo"), nullptr);
  EXPECT_EQ(dir_->kept_empty_count(), 0u);
}

TEST_F(ChatClient, StopWithCutEndsAtOnceAndIsIdempotent) {
  const int ann = registered(1, "ann");
  auto clients = dir_->all_clients();
  ASSERT_EQ(clients.size(), 1u);
  clients[0]->stop(disconnect_reason::error, stop_mode::cut);
  clients[0]->stop(disconnect_reason::quit, stop_mode::flush);  // no second quit, no bye
  clients[0]->stop(disconnect_reason::error, stop_mode::cut);
  EXPECT_EQ(metrics_.disconnects(disconnect_reason::error).value(), 1);
  EXPECT_EQ(metrics_.disconnects(disconnect_reason::quit).value(), 0);
  run_until([&] { return dir_->client_count() == 0; });
  EXPECT_EQ(dir_->client_count(), 0u);
  const std::string rest = read_until_closed(ann);
  EXPECT_EQ(rest.find("Bye"), std::string::npos) << rest;
}

TEST_F(ChatClient, FloodControlPausesTheReaderAndLosesNothing) {
  cfg_.limits.rate = 50;
  cfg_.limits.burst = 2;
  dir_->apply_config(cfg_);
  const int ann = connect(1);
  send(ann, "/format json\r\nann\r\n");
  read_until(ann, R"("nick":"ann"})");
  std::string burst;
  for (int i = 1; i <= 10; ++i) burst += "/ping " + std::to_string(i) + "\r\n";
  send(ann, burst);
  const std::string got = read_until(ann, R"({"type":"pong","token":"10"})");
  for (int i = 1; i <= 10; ++i) {
    EXPECT_NE(got.find(R"({"type":"pong","token":")" + std::to_string(i) + "\"}"),
              std::string::npos)
        << i << ": " << got;
  }
  EXPECT_GE(metrics_.flood_delays.value(), 1);
}

TEST_F(ChatClient, ASlowConsumerIsDroppedWithABye) {
  transport_.max_outbound_bytes = 4096;
  const int ann = connect(1, 4096);
  send(ann, "ann\r\n");
  read_until(ann, "joined [lobby]");
  const int bob = registered(2, "bob");
  // ann stops reading; bob talks until ann's queue passes the bound.
  std::string lines;
  for (int i = 0; i < 400; ++i) lines += std::string(100, 'x') + "\r\n";
  send(bob, lines);
  run_until([&] { return metrics_.slow_consumers.value() == 1; });
  EXPECT_EQ(metrics_.slow_consumers.value(), 1);
  const std::string got = read_until_closed(ann);
  EXPECT_NE(got.find("* Bye (slow-consumer).\r\n"), std::string::npos) << got.size();
  ::shutdown(ann, SHUT_WR);  // the transport waits for our side before it closes (no sweep here)
  run_until([&] { return dir_->client_count() == 1; });
  EXPECT_EQ(dir_->client_count(), 1u);
}

// The quit waits for the message before it (replies keep the order of the commands); its
// reason must survive the wait (under ASan this failed as a use after free).
TEST_F(ChatClient, AQuitThatWaitedForAnEarlierMessageKeepsItsReason) {
  const int ann = registered(1, "ann");
  const int bob = registered(2, "bob");
  send(ann, "hi all\r\n/quit back after lunch\r\n");
  const std::string got = read_until(bob, "* ann quit (back after lunch)\r\n");
  EXPECT_NE(got.find("[lobby] ann: hi all\r\n"), std::string::npos) << got;
  EXPECT_NE(got.find("* ann quit (back after lunch)\r\n"), std::string::npos) << got;
}

}  // namespace
}  // namespace chatd
