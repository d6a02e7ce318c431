// The metrics listener over real loopback sockets: an io_context runs the endpoint in a thread of
// its own (as the server's loop would), and blocking clients with deadlines talk raw HTTP to it.
#include "server/http/http_endpoint.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>

#include <asio/post.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "integration/http_client.hpp"
#include "integration/poll.hpp"
#include "metrics/registry.hpp"
#include "metrics/text_exposition.hpp"

namespace chatd {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

constexpr auto wait_limit = 5s;

using integration::http_reply;
using integration::raw_client;

// An endpoint on 127.0.0.1 port 0 with a small registry behind /metrics, its io_context run by a
// thread of its own.
class HttpEndpoint : public ::testing::Test {
 protected:
  void start(http_limits limits = {}) {
    scrapes_ = &registry_.add_counter("test_scrapes_total", "Scrapes served.").add({});
    registry_.add_gauge("test_label_escape", "Label with \"quotes\".", {"v"})
        .add({{"v", "a\"b\\c"}})
        .set(1);
    endpoint_ = std::make_unique<http_endpoint>(
        io_, "127.0.0.1", 0, limits,
        [this] {
          scrapes_->inc();  // on the loop's thread, like every registry update
          return metrics::render_text(registry_);
        },
        [this] { return healthy_.load() ? std::string() : std::string("shutting down"); });
    endpoint_->start();
    port_ = endpoint_->local_endpoint().port();
    loop_ = std::thread([this] {
      io_.run();
      loop_done_.set_value();
    });
  }

  void TearDown() override {
    if (!loop_.joinable()) return;
    stop_endpoint();
    EXPECT_EQ(loop_finished_.wait_for(wait_limit), std::future_status::ready)
        << "io_context::run did not return after stop()";
    io_.stop();  // only reached on failure: do not hang the suite
    loop_.join();
  }

  void stop_endpoint() {
    asio::post(io_, [this] { endpoint_->stop(); });
  }

  // Runs `f` on the loop's thread and returns its result.
  template <class F>
  auto on_loop(F f) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    asio::post(io_, [&task] { task(); });
    return result.get();
  }

  std::size_t open_connections() {
    return on_loop([this] { return endpoint_->connection_count(); });
  }

  // Polls until the endpoint has no connection left; fails when the wait limit passes.
  ::testing::AssertionResult wait_no_connections() {
    return integration::wait_until([this] { return open_connections() == 0; }, wait_limit,
                                   "the endpoint to have no connection left")
           << " (it has " << open_connections() << ")";
  }

  asio::io_context io_;
  metrics::registry registry_;
  metrics::counter* scrapes_ = nullptr;
  std::atomic<bool> healthy_{true};
  std::unique_ptr<http_endpoint> endpoint_;
  std::uint16_t port_ = 0;
  std::promise<void> loop_done_;
  std::future<void> loop_finished_ = loop_done_.get_future();
  std::thread loop_;
};

constexpr std::string_view get_metrics = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
constexpr std::string_view get_healthz = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

TEST_F(HttpEndpoint, ServesMetricsWithTheTextContentTypeAndExactLength) {
  start();
  raw_client client(port_);
  const auto reply = client.request(get_metrics);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(reply->header("content-length"), std::to_string(reply->body.size()));
  EXPECT_EQ(reply->header("connection"), "keep-alive");
  EXPECT_EQ(reply->body,
            "# HELP test_scrapes_total Scrapes served.\n"
            "# TYPE test_scrapes_total counter\n"
            "test_scrapes_total 1\n"
            "# HELP test_label_escape Label with \"quotes\".\n"
            "# TYPE test_label_escape gauge\n"
            "test_label_escape{v=\"a\\\"b\\\\c\"} 1\n");
}

TEST_F(HttpEndpoint, HealthzIsOkUntilUnhealthyThen503) {
  start();
  raw_client client(port_);
  auto reply = client.request(get_healthz);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body, "ok\n");
  healthy_ = false;
  reply = client.request(get_healthz);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 503);
  EXPECT_EQ(reply->body, "shutting down\n");
}

TEST_F(HttpEndpoint, Answers404ForOtherPathsAnd405WithAllowForOtherMethods) {
  start();
  raw_client client(port_);
  auto reply = client.request("GET /nope HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 404);
  reply = client.request("DELETE /metrics HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 405);
  EXPECT_EQ(reply->header("allow"), "GET, HEAD");
  // Neither error ended the connection.
  reply = client.request(get_healthz);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
}

TEST_F(HttpEndpoint, HeadSendsTheLengthOfTheBodyButNotTheBody) {
  start();
  raw_client client(port_);
  ASSERT_TRUE(client.send("HEAD /healthz HTTP/1.1\r\n\r\n"));
  const auto head = client.read_reply();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("content-length"), "3");
  // The next reply starts right away: no body bytes came in between.
  const auto next = client.request(get_healthz);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(next->body, "ok\n");
}

TEST_F(HttpEndpoint, KeepsTheConnectionForSeveralRequestsUntilConnectionClose) {
  start();
  raw_client client(port_);
  for (int i = 1; i <= 2; ++i) {
    const auto reply = client.request(get_metrics);
    ASSERT_TRUE(reply) << "request " << i;
    EXPECT_EQ(reply->status, 200);
    EXPECT_NE(reply->body.find("test_scrapes_total " + std::to_string(i) + "\n"),
              std::string::npos)
        << reply->body;
  }
  const auto last = client.request("GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(last);
  EXPECT_EQ(last->header("connection"), "close");
  EXPECT_TRUE(client.wait_closed());
  client.close();  // the server lingers until our side closes too
  EXPECT_TRUE(wait_no_connections());
}

TEST_F(HttpEndpoint, AnswersPipelinedRequestsInOrder) {
  start();
  raw_client client(port_);
  ASSERT_TRUE(client.send(std::string(get_healthz) + std::string(get_metrics) +
                          "GET /x HTTP/1.1\r\n\r\n"));
  for (int expected : {200, 200, 404}) {
    auto reply = client.read_reply();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, expected);
    ASSERT_TRUE(client.read_body());
  }
}

TEST_F(HttpEndpoint, ClosesAfterHttp10RequestsWithoutKeepAlive) {
  start();
  raw_client client(port_);
  const auto reply = client.request("GET /healthz HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->header("connection"), "close");
  EXPECT_TRUE(client.wait_closed());
}

TEST_F(HttpEndpoint, ClosesAfterTheLastRequestAllowedOnAConnection) {
  http_limits limits;
  limits.max_requests_per_connection = 3;
  start(limits);
  raw_client client(port_);
  for (int i = 1; i <= 3; ++i) {
    const auto reply = client.request(get_healthz);
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->header("connection"), i < 3 ? "keep-alive" : "close") << i;
  }
  EXPECT_TRUE(client.wait_closed());
}

TEST_F(HttpEndpoint, AnswersMalformedRequestsWith400AndCloses) {
  start();
  for (const char* bad : {"BLAH\r\n\r\n", "GET /metrics HTTP/2.0\r\n\r\n",
                          "GET /metrics HTTP/1.1\r\nBroken header\r\n\r\n"}) {
    raw_client client(port_);
    ASSERT_TRUE(client.send(bad));
    const auto reply = client.read_reply();
    ASSERT_TRUE(reply) << bad;
    EXPECT_EQ(reply->status, 400) << bad;
    EXPECT_EQ(reply->header("connection"), "close");
    EXPECT_TRUE(client.wait_closed()) << bad;
  }
  EXPECT_TRUE(wait_no_connections());
}

TEST_F(HttpEndpoint, AnswersAnOversizedHeadWith400AndCloses) {
  http_limits limits;
  limits.max_request_bytes = 1024;
  start(limits);
  raw_client client(port_);
  // Sent whole: the server answers once it has read 1025 bytes and must not reset the
  // connection on the rest, or the 400 could be lost.
  client.send("GET /metrics HTTP/1.1\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n");
  const auto reply = client.read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 400);
  EXPECT_TRUE(client.wait_closed());
}

TEST_F(HttpEndpoint, AnswersARequestWithABodyThenCloses) {
  start();
  raw_client client(port_);
  const auto reply = client.request("POST /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 405);
  EXPECT_EQ(reply->header("connection"), "close");
  EXPECT_TRUE(client.wait_closed());
}

TEST_F(HttpEndpoint, ClosesAClientThatSendsNothingWithinTheReadTimeout) {
  http_limits limits;
  limits.read_timeout = 200ms;
  start(limits);
  raw_client silent(port_);
  const auto began = steady::now();
  EXPECT_TRUE(silent.wait_closed(3000ms));
  const auto took = steady::now() - began;
  EXPECT_GE(took, 150ms);
  EXPECT_LT(took, 2000ms);
  EXPECT_EQ(silent.unread(), "");  // closed without an answer
  EXPECT_TRUE(wait_no_connections());
}

TEST_F(HttpEndpoint, ClosesAClientThatStallsMidRequestOrIdlesBetweenRequests) {
  http_limits limits;
  limits.read_timeout = 200ms;
  start(limits);
  raw_client slow(port_);
  ASSERT_TRUE(slow.send("GET /metrics HTTP/1.1\r\nHost: x\r\n"));  // never finished
  EXPECT_TRUE(slow.wait_closed(3000ms));

  raw_client idle(port_);
  const auto reply = idle.request(get_healthz);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_TRUE(idle.wait_closed(3000ms));
  EXPECT_TRUE(wait_no_connections());
}

TEST_F(HttpEndpoint, AnswersConnectionsOverTheCapWith503UntilOneCloses) {
  http_limits limits;
  limits.max_concurrent = 2;
  start(limits);
  auto first = std::make_unique<raw_client>(port_);
  raw_client second(port_);
  ASSERT_TRUE(first->request(get_healthz));  // both are being served now
  ASSERT_TRUE(second.request(get_healthz));

  raw_client third(port_);
  ASSERT_TRUE(third.send(get_metrics));
  const auto busy = third.read_reply();
  ASSERT_TRUE(busy);
  EXPECT_EQ(busy->status, 503);
  EXPECT_EQ(busy->header("connection"), "close");
  EXPECT_TRUE(third.wait_closed());

  // Once a served connection goes away, a new one is served again.
  first.reset();
  int status = 0;
  EXPECT_TRUE(integration::wait_until(
      [&] {
        raw_client retry(port_);
        const auto reply = retry.request(get_healthz);
        status = reply ? reply->status : 0;
        return status == 200;
      },
      wait_limit, "a new connection to be served once one closed", 0ms))
      << "the last answer was " << status;
  // The connection still open is unaffected.
  const auto again = second.request(get_healthz);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
}

TEST_F(HttpEndpoint, StopClosesOpenConnectionsAndLeavesNoWorkOnTheLoop) {
  start();
  raw_client client(port_);
  ASSERT_TRUE(client.request(get_healthz));
  raw_client silent(port_);
  stop_endpoint();
  EXPECT_TRUE(client.wait_closed());
  EXPECT_TRUE(silent.wait_closed());
  EXPECT_EQ(loop_finished_.wait_for(wait_limit), std::future_status::ready);
}

TEST_F(HttpEndpoint, LogsTheAddressWithTheRealPort) {
  std::ostringstream log;
  auto previous = spdlog::default_logger();
  auto capture = std::make_shared<spdlog::logger>(
      "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(log));
  spdlog::set_default_logger(capture);
  start();
  spdlog::set_default_logger(previous);
  EXPECT_NE(log.str().find("metrics listening on 127.0.0.1:" + std::to_string(port_)),
            std::string::npos)
      << log.str();
  EXPECT_NE(port_, 0);
}

TEST(HttpEndpointStart, ThrowsWhenTheAddressCannotBeBound) {
  asio::io_context io;
  auto body = [] { return std::string(); };
  auto healthy = [] { return std::string(); };
  http_endpoint first(io, "127.0.0.1", 0, {}, body, healthy);
  first.start();
  http_endpoint same_port(io, "127.0.0.1", first.local_endpoint().port(), {}, body, healthy);
  EXPECT_THROW(same_port.start(), std::system_error);
  http_endpoint bad_host(io, "not-an-address", 0, {}, body, healthy);
  EXPECT_THROW(bad_host.start(), std::system_error);
}

}  // namespace
}  // namespace chatd
