// The transport alone: a tcp_connection over a socketpair with a test handler in place of
// the chat client, on a real io_context.
#include "server/transport/tcp_connection.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include <asio/io_context.hpp>

using namespace std::chrono_literals;

namespace chatd {
namespace {

// Records what the connection tells it; consumes input as the test says.
struct recording_handler final : connection_handler {
  std::function<steady_time(std::string_view&)> input = [](std::string_view& in) {
    in = {};
    return steady_time::min();
  };
  std::string seen;
  std::vector<std::pair<disconnect_reason, stop_mode>> ends;
  int finished = 0;

  steady_time on_input(std::string_view& in) override {
    const std::string_view before = in;
    const steady_time resume = input(in);
    seen.append(before.substr(0, before.size() - in.size()));
    return resume;
  }
  void on_transport_end(disconnect_reason reason, stop_mode mode) override {
    ends.emplace_back(reason, mode);
  }
  void on_finished() override { ++finished; }
};

class TcpConnection : public ::testing::Test {
 protected:
  TcpConnection() : ctx_(received_, sent_, failures_, 64 * 1024) {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    peer_ = fds[1];
    ::fcntl(peer_, F_SETFL, ::fcntl(peer_, F_GETFL) | O_NONBLOCK);
    server_end_ = fds[0];
  }
  ~TcpConnection() override {
    conn_.reset();
    if (peer_ >= 0) ::close(peer_);
  }

  void open(int send_buffer = 0) {
    if (send_buffer > 0) {
      ::setsockopt(server_end_, SOL_SOCKET, SO_SNDBUF, &send_buffer, sizeof send_buffer);
    }
    asio::ip::tcp::socket socket(io_);
    socket.assign(asio::ip::tcp::v4(), server_end_);
    conn_ = std::make_shared<tcp_connection>(ctx_, std::move(socket), 7, "peer:1", "peer");
    conn_->start(handler_);
  }

  void run_until(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!done() && std::chrono::steady_clock::now() < deadline) io_.run_for(2ms);
  }
  std::string drain_peer() {
    std::string got;
    char buffer[65536];
    for (ssize_t n; (n = ::read(peer_, buffer, sizeof buffer)) > 0;)
      got.append(buffer, static_cast<std::size_t>(n));
    return got;
  }
  void write_peer(const std::string& bytes) {
    ASSERT_EQ(::write(peer_, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }

  asio::io_context io_;
  metrics::counter received_, sent_, failures_;
  transport_context ctx_;
  recording_handler handler_;
  std::shared_ptr<tcp_connection> conn_;
  int peer_ = -1;
  int server_end_ = -1;
};

TEST_F(TcpConnection, HandsInputToTheHandlerAndWritesWhatIsSent) {
  open();
  write_peer("hello\r\n");
  run_until([&] { return !handler_.seen.empty(); });
  EXPECT_EQ(handler_.seen, "hello\r\n");
  EXPECT_EQ(received_.value(), 7);
  conn_->send(make_line("one\r\n"));
  conn_->send(make_line("two\r\n"));
  std::string got;
  run_until([&] { return (got += drain_peer()).size() >= 10; });
  EXPECT_EQ(got, "one\r\ntwo\r\n");
  EXPECT_EQ(sent_.value(), 10);
}

TEST_F(TcpConnection, APausedReaderKeepsTheRestAndResumesWhenWoken) {
  int calls = 0;
  handler_.input = [&](std::string_view& in) {
    ++calls;
    const auto line_end = in.find('\n');
    in.remove_prefix(line_end + 1);  // one line per call, then wait to be woken
    return in.empty() ? steady_time::min() : steady_time::max();
  };
  open();
  write_peer("a\nb\nc\n");
  run_until([&] { return calls == 1; });
  io_.run_for(20ms);
  EXPECT_EQ(handler_.seen, "a\n") << "the reader should wait until woken";
  conn_->wake_reader();
  run_until([&] { return calls == 2; });
  EXPECT_EQ(handler_.seen, "a\nb\n");
  conn_->wake_reader();
  run_until([&] { return calls == 3; });
  EXPECT_EQ(handler_.seen, "a\nb\nc\n");
}

TEST_F(TcpConnection, CoalescedLinesWaitForTheDelayOrGoWithTheNextUrgentOne) {
  ctx_.coalesced.set_delay(std::chrono::hours(1));  // never, within this test
  open();
  conn_->send(make_line("join a\r\n"), send_urgency::coalesced);
  conn_->send(make_line("join b\r\n"), send_urgency::coalesced);
  io_.run_for(20ms);
  EXPECT_EQ(drain_peer(), "") << "coalesced lines should wait for company";
  conn_->send(make_line("msg\r\n"));  // urgent: takes them along, in order
  std::string got;
  run_until([&] { return (got += drain_peer()).size() >= 21; });
  EXPECT_EQ(got, "join a\r\njoin b\r\nmsg\r\n");
}

TEST_F(TcpConnection, CoalescedLinesGoOutWhenTheDelayIsOver) {
  ctx_.coalesced.set_delay(5ms);
  open();
  conn_->send(make_line("join a\r\n"), send_urgency::coalesced);
  std::string got;
  run_until([&] { return (got += drain_peer()).size() >= 8; });
  EXPECT_EQ(got, "join a\r\n");
  conn_->send(make_line("part a\r\n"), send_urgency::coalesced);  // a second round
  run_until([&] { return (got += drain_peer()).size() >= 16; });
  EXPECT_EQ(got, "join a\r\npart a\r\n");
}

TEST_F(TcpConnection, AFlushWritesCoalescedLinesAtOnce) {
  ctx_.coalesced.set_delay(std::chrono::hours(1));
  open();
  conn_->send(make_line("quit x\r\n"), send_urgency::coalesced);
  conn_->stop(stop_mode::flush, std::chrono::steady_clock::now() + 5s);
  std::string got;
  run_until([&] { return (got += drain_peer()).size() >= 8; });
  EXPECT_EQ(got, "quit x\r\n");
}

TEST_F(TcpConnection, AnExceptionInTheHandlerCutsOnlyThisConnectionAndFinishesIt) {
  handler_.input = [](std::string_view&) -> steady_time { throw std::runtime_error("bad"); };
  open();
  write_peer("x\n");
  run_until([&] { return handler_.finished == 1; });
  EXPECT_EQ(handler_.finished, 1);
  ASSERT_EQ(handler_.ends.size(), 1u);
  EXPECT_EQ(handler_.ends[0].first, disconnect_reason::error);
  EXPECT_EQ(handler_.ends[0].second, stop_mode::cut);
  EXPECT_EQ(failures_.value(), 1);
  char byte;
  EXPECT_EQ(::read(peer_, &byte, 1), 0) << "the socket should be closed";
}

TEST_F(TcpConnection, AFlushWritesWhatIsQueuedThenWaitsForThePeerToClose) {
  open();
  conn_->send(make_line("last words\r\n"));
  conn_->stop(stop_mode::flush, std::chrono::steady_clock::now() + 5s);
  EXPECT_FALSE(conn_->send(make_line("too late\r\n")));
  std::string got;
  run_until([&] {
    got += drain_peer();
    return got.size() >= 12;
  });
  EXPECT_EQ(got, "last words\r\n");
  char byte;
  run_until([&] { return ::read(peer_, &byte, 1) == 0; });  // our side was shut down
  EXPECT_EQ(handler_.finished, 0) << "it lingers until the peer closes its side";
  ::shutdown(peer_, SHUT_WR);
  run_until([&] { return handler_.finished == 1; });
  EXPECT_EQ(handler_.finished, 1);
  EXPECT_TRUE(handler_.ends.empty() ||
              handler_.ends[0].first == disconnect_reason::closed);
}

TEST_F(TcpConnection, AQueuePastTheBoundIsDroppedAndReportedAsASlowConsumer) {
  ctx_.max_outbound_bytes = 8192;
  open(4096);
  int queued = 0;
  while (conn_->send(make_line(std::string(1000, 'x') + "\r\n"))) {
    ++queued;
    io_.poll();  // let the writer fill the socket
    ASSERT_LT(queued, 10000);
  }
  EXPECT_LE(conn_->queued_bytes(), ctx_.max_outbound_bytes);
  run_until([&] { return !handler_.ends.empty(); });
  ASSERT_EQ(handler_.ends.size(), 1u);
  EXPECT_EQ(handler_.ends[0].first, disconnect_reason::slow_consumer);
  EXPECT_EQ(handler_.ends[0].second, stop_mode::flush);
  // The bye still goes out past the bound.
  conn_->send_last(make_line("bye\r\n"));
  std::string got;
  run_until([&] {
    got += drain_peer();
    return got.size() >= 5 && got.substr(got.size() - 5) == "bye\r\n";
  });
  EXPECT_EQ(got.substr(got.size() - 5), "bye\r\n");
}

TEST_F(TcpConnection, ALineLongerThanTheBoundStillGoesToAReaderThatKeepsUp) {
  ctx_.max_outbound_bytes = 4096;
  open();
  const std::string big = std::string(6000, 'q') + "\r\n";  // e.g. 3 000 escaped quotes
  ASSERT_TRUE(conn_->send(make_line(big)));
  std::string got;
  run_until([&] {
    got += drain_peer();
    return got.size() >= big.size();
  });
  EXPECT_EQ(got, big);
  EXPECT_TRUE(handler_.ends.empty()) << "a reader that keeps up is no slow consumer";
}

TEST_F(TcpConnection, ACutAfterTheLoopIsGoneFreesEverything) {
  open();
  write_peer("x\n");
  run_until([&] { return !handler_.seen.empty(); });
  conn_->detach();  // the handler is going away; nothing is reported to it any more
  conn_->stop(stop_mode::cut, std::chrono::steady_clock::now());
  run_until([&] { return conn_.use_count() == 1; });
  EXPECT_EQ(conn_.use_count(), 1) << "the reader and writer should have let go";
  EXPECT_EQ(handler_.finished, 0);
}

// Output queued in one turn for many connections is written by one pass, not one handler
// each: a single loop step delivers to all of them.
TEST(WritePass, OneLoopStepWritesEveryConnectionWithOutputDue) {
  asio::io_context io;
  metrics::counter received, sent, failures;
  transport_context ctx(received, sent, failures, 64 * 1024);
  recording_handler handler;
  std::vector<std::shared_ptr<tcp_connection>> conns;
  std::vector<int> peers;
  for (int i = 0; i < 5; ++i) {
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    ::fcntl(fds[1], F_SETFL, ::fcntl(fds[1], F_GETFL) | O_NONBLOCK);
    asio::ip::tcp::socket socket(io);
    socket.assign(asio::ip::tcp::v4(), fds[0]);
    conns.push_back(std::make_shared<tcp_connection>(ctx, std::move(socket), i, "p", "p"));
    conns.back()->start(handler);
    peers.push_back(fds[1]);
  }
  io.poll();  // the readers are waiting
  const line_ptr line = make_line("to all\r\n");
  for (auto& c : conns) c->send(line);
  EXPECT_EQ(io.run_one(), 1u);
  for (int fd : peers) {
    char buffer[16];
    EXPECT_EQ(::read(fd, buffer, sizeof buffer), 8) << "peer " << fd << " got nothing yet";
  }
  for (auto& c : conns) {
    c->detach();
    c->stop(stop_mode::cut, std::chrono::steady_clock::now());
  }
  io.poll();
  for (int fd : peers) ::close(fd);
}

}  // namespace
}  // namespace chatd
