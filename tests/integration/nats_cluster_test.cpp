// The nats_cluster fixture against the real nats-server (Debian package nats-server): three
// servers form one cluster with one JetStream meta leader, the other two elect another when that
// leader is killed with SIGKILL, and a server stopped or killed comes back with its store. The
// server is required: `deploy/quickstart.sh test` installs it, and a missing one fails (the
// fixture's constructor throws, saying so).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "integration/nats_cluster.hpp"
#include "integration/poll.hpp"
#include "integration/test_client.hpp"

using namespace chatd::integration;
using namespace std::chrono_literals;

namespace {

// How long routes may take to be whole again once the cluster is ready: a server redials a
// route it lost about once a second.
constexpr auto route_wait = 5s;

// True once `pid` is no process at all (it was reaped, and its number has not been reused).
bool gone(pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

std::string server_id(const nats_cluster& cluster, std::size_t i) {
  const auto varz = cluster.monitor_json(i, "/varz");
  return varz ? varz->value("server_id", "") : "";
}

// The server IDs at the other end of server i's routes.
std::multiset<std::string> route_peers(const nats_cluster& cluster, std::size_t i) {
  std::multiset<std::string> peers;
  const auto routez = cluster.monitor_json(i, "/routez");
  if (!routez) return peers;
  for (const auto& route : routez->value("routes", nlohmann::json::array())) {
    peers.insert(route.value("remote_id", ""));
  }
  return peers;
}

// Every server in `up` has exactly one route to each other server in `up`, and none elsewhere;
// `state` says what was last seen.
bool routes_form_a_mesh(const nats_cluster& cluster, const std::vector<std::size_t>& up,
                        std::string& state) {
  std::vector<std::string> ids;
  for (const std::size_t i : up) ids.push_back(server_id(cluster, i));
  state.clear();
  bool mesh = true;
  for (std::size_t k = 0; k < up.size(); ++k) {
    std::multiset<std::string> expected;
    for (std::size_t other = 0; other < up.size(); ++other) {
      if (other != k) expected.insert(ids[other]);
    }
    const auto peers = route_peers(cluster, up[k]);
    state += cluster.name(up[k]) + " has " + std::to_string(peers.size()) + " routes; ";
    mesh = mesh && !ids[k].empty() && peers == expected;
  }
  return mesh;
}

::testing::AssertionResult eventually_a_mesh(const nats_cluster& cluster,
                                             const std::vector<std::size_t>& up) {
  std::string state;
  auto result = wait_until([&] { return routes_form_a_mesh(cluster, up, state); }, route_wait,
                           "one route between every two running servers", 100ms);
  if (!result) result << " (" << state << ")\n" << cluster.log_tails();
  return result;
}

std::vector<std::size_t> all_but(const nats_cluster& cluster, std::optional<std::size_t> left_out) {
  std::vector<std::size_t> up;
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    if (i != left_out) up.push_back(i);
  }
  return up;
}

long long ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

TEST(NatsCluster, ThreeServersFormOneClusterWithOneMetaLeader) {
  nats_cluster cluster;
  ASSERT_EQ(cluster.size(), 3u);

  std::set<std::uint16_t> ports;
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    EXPECT_EQ(cluster.url(i), "nats://127.0.0.1:" + std::to_string(cluster.client_port(i)));
    ports.insert({cluster.client_port(i), cluster.route_port(i), cluster.monitor_port(i)});
    EXPECT_GT(cluster.pid(i), 0);
  }
  EXPECT_EQ(ports.size(), 9u) << "every port of every server is its own";
  EXPECT_EQ(cluster.urls(),
            (std::vector<std::string>{cluster.url(0), cluster.url(1), cluster.url(2)}));

  // Each URL reaches the server of its index, with JetStream on.
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    test_client client(cluster.client_port(i), cluster.name(i));
    const std::optional<std::string> info = client.read_line();
    ASSERT_TRUE(info && info->rfind("INFO ", 0) == 0) << cluster.name(i) << " sent no INFO";
    const auto json = nlohmann::json::parse(info->substr(5));
    EXPECT_EQ(json.value("server_name", ""), cluster.name(i));
    EXPECT_EQ(json.value("cluster", ""), "chatd-test");
    EXPECT_TRUE(json.value("jetstream", false)) << *info;
  }

  EXPECT_TRUE(eventually_a_mesh(cluster, all_but(cluster, std::nullopt)));

  const std::optional<std::size_t> leader = cluster.meta_leader();
  ASSERT_TRUE(leader) << cluster.log_tails();
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    const auto jsz = cluster.monitor_json(i, "/jsz");
    ASSERT_TRUE(jsz) << cluster.name(i);
    const auto meta = jsz->value("meta_cluster", nlohmann::json::object());
    EXPECT_EQ(meta.value("name", ""), "chatd-test") << *jsz;
    EXPECT_EQ(meta.value("leader", ""), cluster.name(*leader)) << *jsz;
    EXPECT_EQ(meta.value("cluster_size", 0), 3) << *jsz;
    EXPECT_EQ(jsz->value("config", nlohmann::json::object()).value("store_dir", ""),
              (cluster.store_dir(i) / "jetstream").string());
    // Nothing listens beyond loopback.
    const auto varz = cluster.monitor_json(i, "/varz");
    ASSERT_TRUE(varz) << cluster.name(i);
    EXPECT_EQ(varz->value("host", ""), "127.0.0.1");
    EXPECT_EQ(varz->value("http_host", ""), "127.0.0.1");
    EXPECT_EQ(varz->value("cluster", nlohmann::json::object()).value("addr", ""), "127.0.0.1");
  }
}

TEST(NatsCluster, KillNineOfTheMetaLeaderLeavesTheOtherTwoWithANewOne) {
  nats_cluster cluster;
  const std::optional<std::size_t> leader = cluster.meta_leader();
  ASSERT_TRUE(leader) << cluster.log_tails();
  const pid_t leader_pid = cluster.pid(*leader);

  EXPECT_EQ(cluster.kill9(*leader), 128 + SIGKILL);
  EXPECT_EQ(cluster.pid(*leader), -1);
  EXPECT_TRUE(gone(leader_pid)) << "killed and reaped";

  // The survivors name the dead leader for seconds: wait_ready waits for a living one.
  const auto killed = std::chrono::steady_clock::now();
  cluster.wait_ready();
  RecordProperty("new_meta_leader_ms", std::to_string(ms_since(killed)));

  const std::optional<std::size_t> new_leader = cluster.meta_leader();
  ASSERT_TRUE(new_leader) << cluster.log_tails();
  EXPECT_NE(*new_leader, *leader);
  EXPECT_TRUE(eventually_a_mesh(cluster, all_but(cluster, leader)));
}

TEST(NatsCluster, AKilledServerRestartsFromItsStoreAndRejoins) {
  nats_cluster cluster;
  const std::optional<std::size_t> leader = cluster.meta_leader();
  ASSERT_TRUE(leader) << cluster.log_tails();
  // A follower: the leader keeps its place, so no election slows the test down.
  const std::size_t follower = (*leader + 1) % cluster.size();
  const pid_t old_pid = cluster.pid(follower);

  EXPECT_EQ(cluster.kill9(follower), 128 + SIGKILL);
  EXPECT_TRUE(gone(old_pid));
  EXPECT_TRUE(eventually_a_mesh(cluster, all_but(cluster, follower)));
  EXPECT_TRUE(std::filesystem::is_directory(cluster.store_dir(follower) / "jetstream"));

  const auto restarted = std::chrono::steady_clock::now();
  cluster.start(follower);
  EXPECT_GT(cluster.pid(follower), 0);
  EXPECT_NE(cluster.pid(follower), old_pid);
  cluster.wait_ready();
  RecordProperty("current_again_ms", std::to_string(ms_since(restarted)));

  EXPECT_TRUE(eventually_a_mesh(cluster, all_but(cluster, std::nullopt)));
  EXPECT_EQ(cluster.meta_leader(), leader);
  // It read the meta state it had stored, rather than starting a cluster afresh.
  const std::string log = cluster.log_since_start(follower);
  EXPECT_NE(log.find("JetStream cluster recovering state"), std::string::npos) << log;
  EXPECT_EQ(log.find("JetStream cluster bootstrapping"), std::string::npos) << log;
}

TEST(NatsCluster, AStoppedServerShutsDownCleanlyAndRejoins) {
  nats_cluster cluster;
  const std::optional<std::size_t> leader = cluster.meta_leader();
  ASSERT_TRUE(leader) << cluster.log_tails();
  const std::size_t follower = (*leader + 2) % cluster.size();

  // nats-server 2.9 exits 1 after shutting down on SIGTERM (0 on SIGINT); 137 would mean stop()
  // had to send SIGKILL after its grace.
  const std::optional<int> code = cluster.stop(follower);
  ASSERT_TRUE(code);
  EXPECT_NE(*code, 128 + SIGKILL);
  EXPECT_NE(cluster.log_since_start(follower).find("Server Exiting"), std::string::npos)
      << cluster.log_since_start(follower);
  EXPECT_TRUE(eventually_a_mesh(cluster, all_but(cluster, follower)));

  cluster.start(follower);
  cluster.wait_ready();
  EXPECT_TRUE(eventually_a_mesh(cluster, all_but(cluster, std::nullopt)));
}

TEST(NatsCluster, ARestartFindingItsPortTakenSaysSo) {
  nats_cluster cluster;
  const std::size_t follower = (cluster.meta_leader().value_or(0) + 1) % cluster.size();
  cluster.stop(follower);
  {
    // Another program on the stopped server's client port.
    const int squatter = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(squatter, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(cluster.client_port(follower));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool bound =
        ::bind(squatter, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0 &&
        ::listen(squatter, 1) == 0;
    if (bound) {
      try {
        cluster.start(follower);
        ADD_FAILURE() << cluster.name(follower) << " started on a port another socket holds";
      } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("ports taken"), std::string::npos) << e.what();
      }
      EXPECT_EQ(cluster.pid(follower), -1);
    }
    ::close(squatter);
    ASSERT_TRUE(bound) << "the port was taken by someone else meanwhile";
  }
  // Free again: the same server starts on the same ports.
  cluster.start(follower);
  cluster.wait_ready();
  EXPECT_TRUE(eventually_a_mesh(cluster, all_but(cluster, std::nullopt)));
}

TEST(NatsCluster, LeavesNoServerAndNoFileBehind) {
  std::vector<pid_t> pids;
  std::filesystem::path folder;
  {
    nats_cluster cluster;
    for (std::size_t i = 0; i < cluster.size(); ++i) pids.push_back(cluster.pid(i));
    folder = cluster.store_dir(0).parent_path();
    ASSERT_TRUE(std::filesystem::is_directory(folder));
  }
  for (const pid_t pid : pids) EXPECT_TRUE(gone(pid)) << "nats-server " << pid << " still runs";
  EXPECT_FALSE(std::filesystem::exists(folder)) << folder;
}

}  // namespace
