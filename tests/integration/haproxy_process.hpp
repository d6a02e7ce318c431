// A real HAProxy in TCP mode on 127.0.0.1 in front of chatd nodes, for the rolling-restart
// test (header-only, like the other helpers). It health-checks each node's /healthz over HTTP
// every 200 ms and takes a node out after one failed check, and has an HTTP stats page
// (CSV) that says which nodes it sees up. Started with `haproxy -db -f CONF` on ports picked
// free; stopped by its PID only.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "integration/child_process.hpp"
#include "integration/free_ports.hpp"
#include "integration/http_client.hpp"
#include "integration/poll.hpp"

namespace chatd::integration {

// A chatd node behind the balancer: its chat port and the port of its /healthz.
struct balanced_node {
  std::string name;
  std::uint16_t chat_port;
  std::uint16_t health_port = 0;  // 0: not health-checked
  std::string options = {};       // more of its server line, e.g. "send-proxy-v2"
};

inline std::string haproxy_binary() {
  for (const char* path : {"/usr/sbin/haproxy", "/usr/local/sbin/haproxy"}) {
    if (::access(path, X_OK) == 0) return path;
  }
  std::string found = find_on_path("haproxy");
  if (found.empty()) {
    throw std::runtime_error("haproxy is not installed: the tests need the Debian package "
                             "haproxy (deploy/quickstart.sh test installs it)");
  }
  return found;
}

class haproxy_process {
 public:
  // Starts HAProxy and returns once its chat port accepts connections (up to 10 s).
  // Ports are picked free a moment before HAProxy binds them: taken meanwhile, it tries new
  // ones (three attempts).
  explicit haproxy_process(std::vector<balanced_node> nodes)
      : dir_("chatd-haproxy"), nodes_(std::move(nodes)) {
    for (int attempt = 0; attempt < 3; ++attempt) {
      const auto ports = free_loopback_ports(2);
      port_ = ports[0];
      stats_port_ = ports[1];
      write_file_text(dir_.file("haproxy.cfg"), config_text());
      process_ = std::make_unique<child_process>(
          std::vector<std::string>{haproxy_binary(), "-db", "-f", dir_.file("haproxy.cfg")});
      const bool up = poll_until(
          [&] {
            if (!process_->running()) return true;
            try {
              return !stats_csv().empty();
            } catch (const std::exception&) {
              return false;
            }
          },
          std::chrono::seconds(10), std::chrono::milliseconds(50));
      if (up && process_->running()) return;
      const std::string output = process_->output();
      process_.reset();  // stops it
      if (output.find("cannot bind socket") == std::string::npos)
        throw std::runtime_error("haproxy did not start; its output:\n" + output);
    }
    throw std::runtime_error("haproxy found its ports taken three times");
  }
  // SIGTERM by PID (child_process), then the folder goes.
  ~haproxy_process() = default;

  haproxy_process(const haproxy_process&) = delete;
  haproxy_process& operator=(const haproxy_process&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  std::string output() const { return process_->output(); }

  // What HAProxy's stats say of node `name` now: "UP", "DOWN", ... ("" if not listed).
  std::string status(const std::string& name) const {
    std::istringstream csv(stats_csv());
    for (std::string line; std::getline(csv, line);) {
      if (line.rfind("nodes," + name + ",", 0) != 0) continue;
      // The 18th field (index 17) is the status.
      std::istringstream fields(line);
      std::string field;
      for (int i = 0; i <= 17 && std::getline(fields, field, ','); ++i) {
      }
      return field;
    }
    return "";
  }

  // Polls status(name) until it reads `want`.
  ::testing::AssertionResult wait_status(const std::string& name, const std::string& want,
                                         std::chrono::milliseconds timeout) const {
    std::string last;
    auto result = wait_until(
        [&] {
          try {
            last = status(name);
          } catch (const std::exception& e) {
            last = e.what();
          }
          return last.rfind(want, 0) == 0;
        },
        timeout, "haproxy to see node " + name + " " + want, std::chrono::milliseconds(50));
    if (!result) result << " (last: " << last << ")";
    return result;
  }

 private:
  // The stats page as CSV (HAProxy sends it chunked, even to HTTP/1.0, and then closes), or ""
  // if no whole 200 answer came within 2 s.
  std::string stats_csv() const {
    raw_client client(stats_port_);
    if (!client.send("GET /stats;csv HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n") ||
        !client.wait_closed(std::chrono::seconds(2))) {
      return "";
    }
    const std::string& raw = client.unread();
    const auto head_end = raw.find("\r\n\r\n");
    if (raw.rfind("HTTP/1.1 200", 0) != 0 || head_end == std::string::npos) return "";
    std::string body = raw.substr(head_end + 4);
    if (ascii_lower(raw.substr(0, head_end)).find("transfer-encoding: chunked") ==
        std::string::npos) {
      return body;
    }
    // Each chunk: its size in hex, CRLF, the bytes, CRLF; a size of 0 ends it.
    std::string joined;
    for (std::size_t at = 0;;) {
      const auto line_end = body.find("\r\n", at);
      if (line_end == std::string::npos) return "";
      const std::size_t size = std::stoul(body.substr(at, line_end - at), nullptr, 16);
      if (size == 0) return joined;
      if (line_end + 2 + size > body.size()) return "";
      joined += body.substr(line_end + 2, size);
      at = line_end + 2 + size + 2;
    }
  }

  std::string config_text() const {
    std::string servers;
    for (const auto& n : nodes_) {
      servers += "    server " + n.name + " 127.0.0.1:" + std::to_string(n.chat_port);
      if (n.health_port != 0) servers += " check port " + std::to_string(n.health_port);
      if (!n.options.empty()) servers += " " + n.options;
      servers += "\n";
    }
    return "global\n"
           "    maxconn 200\n"
           "defaults\n"
           "    mode tcp\n"
           "    timeout connect 1s\n"
           "    timeout client 60s\n"
           "    timeout server 60s\n"
           "    timeout check 1s\n"
           "    retries 3\n"
           "    option redispatch 1\n"
           "frontend chat\n"
           "    bind 127.0.0.1:" + std::to_string(port_) + "\n"
           "    default_backend nodes\n"
           "backend nodes\n"
           "    balance leastconn\n"
           "    option httpchk GET /healthz\n"
           "    http-check expect status 200\n"
           "    default-server inter 200ms fall 1 rise 1\n" +
           servers +
           "frontend stats\n"
           "    mode http\n"
           "    bind 127.0.0.1:" + std::to_string(stats_port_) + "\n"
           "    stats enable\n"
           "    stats uri /stats\n";
  }

  temp_dir dir_;
  std::vector<balanced_node> nodes_;
  std::uint16_t port_ = 0;
  std::uint16_t stats_port_ = 0;
  std::unique_ptr<child_process> process_;
};

}  // namespace chatd::integration
