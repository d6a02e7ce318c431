// Scraping the metrics endpoint of a chatd started by server_process (header-only).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include "integration/http_client.hpp"
#include "integration/metrics_text.hpp"
#include "integration/poll.hpp"
#include "integration/server_process.hpp"
#include "integration/test_client.hpp"

namespace chatd::integration {

// Extra server_process arguments that turn the metrics listener on, on an ephemeral loopback
// port (they replace server_process's default `--metrics-listen ""`).
inline std::vector<std::string> metrics_listen_args() {
  return {"--metrics-listen", "127.0.0.1:0"};
}

// The port of the metrics listener, from the server's "metrics listening on 127.0.0.1:PORT" line.
inline std::uint16_t metrics_port(const server_process& server) {
  static const std::regex listening(R"(metrics listening on 127\.0\.0\.1:([0-9]+))");
  server.wait_for_log("metrics listening on 127.0.0.1:");
  const std::string log = server.log();
  std::smatch match;
  if (!std::regex_search(log, match, listening)) {
    throw std::runtime_error("chatd did not log its metrics address; log:\n" + log);
  }
  return static_cast<std::uint16_t>(std::stoul(match[1].str()));
}

// GET /metrics; throws unless the answer is 200 with the text format's Content-Type.
inline std::string scrape_text(std::uint16_t port) {
  const http_reply reply = http_get(port, "/metrics");
  if (reply.status != 200) {
    throw std::runtime_error("GET /metrics answered " + std::to_string(reply.status));
  }
  if (reply.header("content-type") != "text/plain; version=0.0.4; charset=utf-8") {
    throw std::runtime_error("GET /metrics: Content-Type " + reply.header("content-type"));
  }
  return reply.body;
}

inline metrics_text scrape(std::uint16_t port) { return metrics_text(scrape_text(port)); }

// Polls chatd_connections_active (the server needs metrics_listen_args()) until it reads
// `expected`; a failure gives the last reading.
inline ::testing::AssertionResult wait_connections_active(
    const server_process& server, double expected,
    std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  const std::uint16_t port = metrics_port(server);
  double last = -1;
  auto result = wait_until(
      [&] {
        last = scrape(port).value("chatd_connections_active");
        return last == expected;
      },
      timeout, "chatd_connections_active to read " + std::to_string(static_cast<long>(expected)));
  if (!result) result << " (it reads " << last << ")";
  return result;
}

// The end of a test: closes every client it still has (as a client does when it is done) and
// waits until the server counts no connection at all, so that none leaked whatever the test
// did to them. The server needs metrics_listen_args().
inline ::testing::AssertionResult no_connections_after_closing(
    const server_process& server, std::initializer_list<test_client*> clients,
    std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  for (test_client* client : clients) client->close();
  return wait_connections_active(server, 0, timeout);
}

}  // namespace chatd::integration
