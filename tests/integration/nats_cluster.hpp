// A real nats-server cluster with JetStream on 127.0.0.1, for the tests of chatd's cluster mode
// (header-only, like the other helpers).
//
//   nats_cluster cluster;                       // n1..n3, ready for JetStream when it returns
//   connect_somehow(cluster.urls());
//   cluster.kill9(*cluster.meta_leader());      // SIGKILL by PID, reaped
//   cluster.wait_ready();                       // the other two have elected a new meta leader
//
// Each server is a child_process (child_process.hpp) with its config, its JetStream file store
// and its log file in one temp_dir. Servers are indexed from 0; server i is named "n<i+1>".
#pragma once

#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "integration/child_process.hpp"
#include "integration/free_ports.hpp"
#include "integration/http_client.hpp"
#include "integration/poll.hpp"

namespace chatd::integration {

// How long a cluster may take to be ready for JetStream. A fresh one takes about half a second;
// after its meta leader was killed the others wait out a Raft election timeout of 4 to 9 s
// (nats-server 2.9) before they elect another.
inline constexpr std::chrono::milliseconds nats_ready_timeout{20000};

// The nats-server program. Debian's package installs it in /usr/sbin, which a user's PATH often
// lacks (root's has it): looked for there too. Throws, saying how to install it, when missing.
inline std::string nats_server_binary() {
  std::string path = find_on_path("nats-server");
  for (const char* dir : {"/usr/sbin", "/usr/local/sbin"}) {
    if (path.empty() && ::access((std::string(dir) + "/nats-server").c_str(), X_OK) == 0) {
      path = std::string(dir) + "/nats-server";
    }
  }
  if (path.empty()) {
    throw std::runtime_error(
        "nats-server is not installed: the cluster tests need the Debian package nats-server "
        "(deploy/quickstart.sh test installs it; or apt-get install nats-server)");
  }
  return path;
}

class nats_cluster {
 public:
  // Starts `size` servers and waits (up to `ready_timeout`) until they are ready for JetStream
  // (see wait_ready). Ports are picked free on 127.0.0.1; if another process takes one before a
  // server binds it, every server is started again on new ports (three attempts in all).
  // `extra`: more of each server's configuration (authorization, say).
  explicit nats_cluster(std::size_t size = 3,
                        std::chrono::milliseconds ready_timeout = nats_ready_timeout,
                        std::string extra = {})
      : dir_("chatd-nats"), binary_(nats_server_binary()), extra_(std::move(extra)),
        servers_(size) {
    if (size == 0) throw std::invalid_argument("nats_cluster: no server");
    for (int attempt = 1;; ++attempt) {
      assign_ports();
      try {
        for (std::size_t i = 0; i < size; ++i) start(i);
        break;
      } catch (const port_taken& taken) {
        stop_all();
        if (attempt == 3) {
          throw std::runtime_error(std::string("nats_cluster: ") + taken.what() +
                                   ", three times in a row\n" + log_tails());
        }
      }
    }
    wait_ready(ready_timeout);
  }

  // Stops every server still running by its PID (SIGTERM to all first, so that they shut down
  // together, then up to 5 s each before SIGKILL); then the folder goes.
  ~nats_cluster() { stop_all(); }

  nats_cluster(const nats_cluster&) = delete;
  nats_cluster& operator=(const nats_cluster&) = delete;

  std::size_t size() const noexcept { return servers_.size(); }
  // "n1" for server 0.
  std::string name(std::size_t i) const {
    at(i);  // throws for an index out of range
    return "n" + std::to_string(i + 1);
  }
  // "nats://127.0.0.1:PORT" of server i's client port.
  std::string url(std::size_t i) const {
    return "nats://127.0.0.1:" + std::to_string(at(i).client_port);
  }
  std::vector<std::string> urls() const {
    std::vector<std::string> all;
    for (std::size_t i = 0; i < size(); ++i) all.push_back(url(i));
    return all;
  }
  std::uint16_t client_port(std::size_t i) const { return at(i).client_port; }
  std::uint16_t route_port(std::size_t i) const { return at(i).route_port; }
  std::uint16_t monitor_port(std::size_t i) const { return at(i).monitor_port; }
  // Server i's JetStream file store; it outlives stop(i) and kill9(i), for start(i).
  std::filesystem::path store_dir(std::size_t i) const { return dir_.path() / name(i); }
  // Server i's PID from its last start until kill9(i) or stop(i), else -1.
  pid_t pid(std::size_t i) const {
    return at(i).process ? at(i).process->pid() : -1;
  }
  bool running(std::size_t i) { return at(i).process && at(i).process->running(); }

  // SIGKILL to server i by its PID, then reaps it: its exit code (128 + 9), or nullopt if it was
  // not running.
  std::optional<int> kill9(std::size_t i) {
    server& s = at(i);
    if (!s.process) return std::nullopt;
    s.process->kill();
    return forget(s);
  }

  // SIGTERM to server i by its PID, up to 5 s to shut down, then SIGKILL; reaps it. Its exit
  // code (nats-server 2.9 exits 1 after a clean shutdown on SIGTERM), or nullopt if it was not
  // running.
  std::optional<int> stop(std::size_t i) {
    server& s = at(i);
    if (!s.process) return std::nullopt;
    s.process->stop(std::chrono::seconds(5));
    return forget(s);
  }

  // (Re)starts server i with its ports and its store (so its JetStream data survives) and returns
  // once it listens on all of them (up to 10 s); call wait_ready() to wait for the cluster.
  // Throws if it is already running, exits first (with its log), or one of its ports is taken.
  void start(std::size_t i) {
    server& s = at(i);
    if (s.process) throw std::logic_error("nats_cluster::start: " + name(i) + " is running");
    write_file_text(config_path(i), config_text(i));
    s.log_offset = read_file_text(log_path(i)).size();  // the log file is appended to
    s.process = std::make_unique<child_process>(
        std::vector<std::string>{binary_, "--config", config_path(i)});
    // Route connections are listened for last (after monitoring and clients): when that is
    // logged, every port is bound.
    child_process& process = *s.process;
    const bool listening_or_exited = poll_until(
        [&] {
          return log_since_start(i).find("Listening for route connections on") !=
                     std::string::npos ||
                 !process.running();
        },
        std::chrono::seconds(10), std::chrono::milliseconds(5));
    if (listening_or_exited && process.running()) return;
    const std::string log = log_since_start(i) + process.output();
    const std::optional<int> code = stop(i);
    const std::size_t clash = log.find("address already in use");
    if (clash != std::string::npos) {
      const std::size_t line = log.rfind('\n', clash);
      const std::size_t start_of_line = line == std::string::npos ? 0 : line + 1;
      throw port_taken(name(i) + " found one of its ports taken: " +
                       log.substr(start_of_line, log.find('\n', clash) - start_of_line));
    }
    throw std::runtime_error(
        "nats_cluster: " + name(i) +
        (listening_or_exited ? " exited with code " + std::to_string(code.value_or(-1))
                             : std::string(" did not listen within 10 s")) +
        "; its log:\n" + log);
  }

  // Waits until the cluster is ready for JetStream: every running server answers 200 on
  // /healthz, all of them name the same meta leader in /jsz, that leader is one of them (after a
  // leader dies the others keep naming it for seconds), and it sees every other running server as
  // current. Throws std::runtime_error with what was missing and the logs' tails if that does not
  // happen within `timeout`, or at once if a server exits meanwhile.
  void wait_ready(std::chrono::milliseconds timeout = nats_ready_timeout) {
    std::string missing;
    const bool ready = poll_until(
        [&] {
          for (std::size_t i = 0; i < size(); ++i) {
            if (at(i).process && !at(i).process->running()) {
              throw std::runtime_error("nats_cluster: " + name(i) + " exited while waiting for " +
                                       "the cluster to be ready\n" + log_tails());
            }
          }
          missing = not_ready_reason();
          return missing.empty();
        },
        timeout, std::chrono::milliseconds(100));
    if (!ready) {
      throw std::runtime_error("nats_cluster: not ready for JetStream after " +
                               std::to_string(timeout.count()) + " ms: " + missing + "\n" +
                               log_tails());
    }
  }

  // The index of the meta leader that every running server names, if they agree on a running
  // one.
  std::optional<std::size_t> meta_leader() const {
    std::optional<std::string> agreed;
    for (std::size_t i = 0; i < size(); ++i) {
      if (!at(i).process) continue;
      const auto jsz = monitor_json(i, "/jsz");
      const std::string leader = jsz ? leader_of(*jsz) : std::string();
      if (leader.empty() || (agreed && *agreed != leader)) return std::nullopt;
      agreed = leader;
    }
    if (!agreed) return std::nullopt;
    const auto index = index_of(*agreed);
    if (!index || !at(*index).process) return std::nullopt;
    return index;
  }

  // GET `target` from server i's monitoring port: the JSON body of a 200 answer, or nullopt (no
  // answer within 1 s, another status, not JSON).
  // The names of the consumers of `stream` that any running server hosts (/jsz).
  std::vector<std::string> consumers_of(const std::string& stream) const {
    std::vector<std::string> names;
    for (std::size_t i = 0; i < size(); ++i) {
      if (!at(i).process) continue;
      const auto jsz = monitor_json(i, "/jsz?accounts=true&streams=true&consumers=true");
      if (!jsz) continue;
      for (const auto& account : jsz->value("account_details", nlohmann::json::array())) {
        for (const auto& st : account.value("stream_detail", nlohmann::json::array())) {
          if (st.value("name", "") != stream) continue;
          for (const auto& c : st.value("consumer_detail", nlohmann::json::array())) {
            const std::string name = c.value("name", "");
            if (!name.empty() && std::find(names.begin(), names.end(), name) == names.end())
              names.push_back(name);
          }
        }
      }
    }
    return names;
  }

  std::optional<nlohmann::json> monitor_json(std::size_t i, std::string_view target) const {
    const auto reply = monitor_get(i, target);
    if (!reply || reply->status != 200) return std::nullopt;
    auto json = nlohmann::json::parse(reply->body, nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded()) return std::nullopt;
    return json;
  }

  // Server i's log file, every start of it.
  std::string log(std::size_t i) const { return read_file_text(log_path(i)); }
  // Server i's log since it was last started.
  std::string log_since_start(std::size_t i) const {
    const std::string all = log(i);
    return all.substr(std::min(at(i).log_offset, all.size()));
  }
  // The last `lines` lines of every server's log, and what each wrote to stderr (where
  // nats-server complains before its log file is open), for a failure message. The warnings
  // that wait_ready's own failed health checks cause are left out.
  std::string log_tails(std::size_t lines = 20) const {
    std::string text;
    for (std::size_t i = 0; i < size(); ++i) {
      text += "---- " + name(i) + " (" + log_path(i) + "), last " + std::to_string(lines) +
              " lines:\n" + tail(without_lines_of(log(i), "Healthcheck failed"), lines);
      const std::string output = at(i).process ? at(i).process->output() : at(i).last_output;
      if (!output.empty()) text += "---- " + name(i) + " stdout/stderr:\n" + tail(output, lines);
    }
    return text;
  }

 private:
  struct server {
    std::uint16_t client_port = 0;
    std::uint16_t route_port = 0;
    std::uint16_t monitor_port = 0;
    std::unique_ptr<child_process> process;  // while it runs
    std::string last_output;                 // what it wrote before it was last ended
    std::size_t log_offset = 0;              // where its log file was at its last start
  };

  // A server's port was taken before it bound it: the constructor tries new ports.
  class port_taken : public std::runtime_error {
   public:
    using std::runtime_error::runtime_error;
  };

  const server& at(std::size_t i) const {
    if (i >= servers_.size()) {
      throw std::out_of_range("nats_cluster: no server " + std::to_string(i));
    }
    return servers_[i];
  }
  server& at(std::size_t i) {
    return const_cast<server&>(static_cast<const nats_cluster&>(*this).at(i));
  }

  std::string config_path(std::size_t i) const { return dir_.file(name(i) + ".conf"); }
  std::string log_path(std::size_t i) const { return dir_.file(name(i) + ".log"); }

  std::optional<std::size_t> index_of(const std::string& server_name) const {
    for (std::size_t i = 0; i < size(); ++i) {
      if (name(i) == server_name) return i;
    }
    return std::nullopt;
  }

  // Fresh ports for every server, and an empty store: a retry must not find a half-made one.
  void assign_ports() {
    const auto ports = free_loopback_ports(3 * size());
    for (std::size_t i = 0; i < size(); ++i) {
      servers_[i].client_port = ports[3 * i];
      servers_[i].route_port = ports[3 * i + 1];
      servers_[i].monitor_port = ports[3 * i + 2];
      std::filesystem::remove_all(store_dir(i));
    }
  }

  // Small stores (a 2-core test machine runs several clusters at once), no debug or trace
  // logging, and every port on loopback.
  std::string config_text(std::size_t i) const {
    std::string routes;
    for (std::size_t j = 0; j < size(); ++j) {
      if (j == i) continue;
      if (!routes.empty()) routes += ", ";
      routes += "nats-route://127.0.0.1:" + std::to_string(at(j).route_port);
    }
    return "server_name: " + name(i) + "\n" +
           "listen: 127.0.0.1:" + std::to_string(at(i).client_port) + "\n" +
           "http: 127.0.0.1:" + std::to_string(at(i).monitor_port) + "\n" +
           "log_file: \"" + log_path(i) + "\"\n" +
           "debug: false\n"
           "trace: false\n"
           "jetstream {\n"
           "  store_dir: \"" + store_dir(i).string() + "\"\n" +
           "  max_memory_store: 64MB\n"
           "  max_file_store: 256MB\n"
           "}\n"
           "cluster {\n"
           "  name: chatd-test\n"
           "  listen: 127.0.0.1:" + std::to_string(at(i).route_port) + "\n" +
           "  routes: [" + routes + "]\n" +
           "}\n" + extra_;
  }

  std::optional<http_reply> monitor_get(std::size_t i, std::string_view target) const {
    try {
      // HTTP/1.0, read to the close: nats-server chunks a longer HTTP/1.1 answer.
      return http_get_to_close(at(i).monitor_port, target, std::chrono::seconds(1));
    } catch (const std::exception&) {
      return std::nullopt;  // not listening (yet), or the answer was cut short
    }
  }

  static std::string leader_of(const nlohmann::json& jsz) {
    const auto meta = jsz.find("meta_cluster");
    if (meta == jsz.end() || !meta->is_object()) return "";
    const auto leader = meta->find("leader");
    return leader != meta->end() && leader->is_string() ? leader->get<std::string>() : "";
  }

  // "" when wait_ready's condition holds, else the first thing missing. /healthz is asked last:
  // nats-server logs a warning for every failed health check, which would bury its own lines.
  std::string not_ready_reason() const {
    std::vector<std::size_t> up;
    for (std::size_t i = 0; i < size(); ++i) {
      if (at(i).process) up.push_back(i);
    }
    if (up.empty()) return "no server is running";
    std::optional<std::string> agreed;
    std::optional<nlohmann::json> leader_jsz;
    for (const std::size_t i : up) {
      const auto jsz = monitor_json(i, "/jsz");
      if (!jsz) return name(i) + " gives no JSON on /jsz";
      const std::string leader = leader_of(*jsz);
      if (leader.empty()) return name(i) + " knows no meta leader";
      if (agreed && *agreed != leader) {
        return "the servers disagree on the meta leader: " + *agreed + " and " + leader;
      }
      agreed = leader;
      if (leader == name(i)) leader_jsz = jsz;
    }
    if (!leader_jsz) return "the meta leader the servers name, " + *agreed + ", is not running";
    // Only the leader's /jsz lists the replicas. (It goes on calling a follower that died current
    // for about 10 s: the restarted follower's own /healthz below is what shows it caught up.)
    const nlohmann::json replicas =
        leader_jsz->at("meta_cluster").value("replicas", nlohmann::json::array());
    for (const std::size_t i : up) {
      if (name(i) == *agreed) continue;
      const bool current = std::any_of(replicas.begin(), replicas.end(), [&](const auto& r) {
        return r.value("name", "") == name(i) && r.value("current", false);
      });
      if (!current) return "the meta leader " + *agreed + " does not see " + name(i) + " current";
    }
    for (const std::size_t i : up) {
      const auto health = monitor_get(i, "/healthz");
      if (!health) return name(i) + " does not answer on /healthz";
      if (health->status != 200) {
        return name(i) + " answers " + std::to_string(health->status) + " on /healthz: " +
               health->body;
      }
    }
    return "";
  }

  // Keeps what an ended server wrote, then lets its child_process go.
  static std::optional<int> forget(server& s) {
    const std::optional<int> code = s.process->wait_exit(std::chrono::milliseconds(0));
    s.last_output = s.process->output();
    s.process.reset();
    return code;
  }

  void stop_all() noexcept {
    for (auto& s : servers_) {
      if (s.process) s.process->signal(SIGTERM);
    }
    for (auto& s : servers_) {
      if (!s.process) continue;
      s.process->stop(std::chrono::seconds(5));
      s.last_output = s.process->output();
      s.process.reset();
    }
  }

  static std::string without_lines_of(const std::string& text, std::string_view needle) {
    std::string kept;
    for (std::size_t start = 0; start < text.size();) {
      const std::size_t end = std::min(text.find('\n', start), text.size() - 1) + 1;
      const std::string_view line(text.data() + start, end - start);
      if (line.find(needle) == std::string_view::npos) kept += line;
      start = end;
    }
    return kept;
  }

  // The last `lines` lines of `text`, ending in a newline.
  static std::string tail(const std::string& text, std::size_t lines) {
    std::size_t start = text.size();
    if (start > 0 && text[start - 1] == '\n') --start;  // the last line's own newline
    for (std::size_t seen = 0; start > 0; --start) {
      if (text[start - 1] == '\n' && ++seen == lines) break;
    }
    std::string result = text.substr(start);
    if (!result.empty() && result.back() != '\n') result += '\n';
    return result;
  }

  temp_dir dir_;  // declared first: removed only after every server has been stopped
  std::string binary_;
  std::string extra_;
  std::vector<server> servers_;
};

}  // namespace chatd::integration
