#include <gtest/gtest.h>

#include "config/config_diff.hpp"

namespace chatd {
namespace {

TEST(ConfigDiff, IdenticalConfigsHaveNoChanges) {
  EXPECT_TRUE(diff_config(config{}, config{}).empty());
  EXPECT_EQ(describe_changes({}), "");
}

TEST(ConfigDiff, ListsChangedKeysInFileOrderAsTheFileSpellsThem) {
  config before;
  config after;
  after.rooms.history = 5;
  after.limits.rate = 2.5;
  after.limits.idle_timeout = std::chrono::milliseconds(0);
  after.log.level = "debug";
  const auto changes = diff_config(before, after);
  ASSERT_EQ(changes.size(), 4u);
  EXPECT_EQ(changes[0].key, "log.level");
  EXPECT_EQ(changes[1].key, "limits.idle_timeout");
  EXPECT_EQ(changes[1].old_value, "10m");
  EXPECT_EQ(changes[1].new_value, "0s");
  EXPECT_EQ(changes[2].key, "limits.rate");
  EXPECT_EQ(changes[3].key, "rooms.history");
  EXPECT_EQ(describe_changes(changes),
            "log.level 'info' -> 'debug', limits.idle_timeout '10m' -> '0s', "
            "limits.rate '10' -> '2.5', rooms.history '50' -> '5'");
}

TEST(ConfigDiff, ListenersNeedARestart) {
  config after;
  after.listen.metrics_enabled = false;
  const auto changes = diff_config(config{}, after);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].key, "listen.metrics");
  EXPECT_EQ(changes[0].new_value, "");
  EXPECT_EQ(restart_reason(changes[0].key), "listeners are bound once; restart chatd to move it");
  EXPECT_TRUE(restart_reason("listen.chat"));
  EXPECT_FALSE(restart_reason("limits.max_connections"));
  EXPECT_FALSE(restart_reason("log.level"));
}

TEST(ConfigDiff, WhoMaySendAProxyHeaderAppliesAtAReload) {
  config running;
  running.listen.chat = {"127.0.0.1", 7001};
  config next;
  next.listen.chat = {"127.0.0.1", 7002};
  next.listen.proxy_protocol = {std::get<ip_range>(parse_ip_range("10.0.0.0/8"))};
  const auto changes = diff_config(running, next);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[1].key, "listen.proxy_protocol");
  EXPECT_EQ(changes[1].old_value, "");
  EXPECT_EQ(changes[1].new_value, "10.0.0.0/8");
  EXPECT_FALSE(restart_reason("listen.proxy_protocol"));
  keep_restart_values(next, running);
  EXPECT_EQ(next.listen.chat.to_string(), "127.0.0.1:7001");
  ASSERT_EQ(next.listen.proxy_protocol.size(), 1u);
  EXPECT_EQ(next.listen.proxy_protocol[0].to_string(), "10.0.0.0/8");
}

TEST(ConfigDiff, EveryClusterKeyNeedsARestart) {
  config after;
  after.cluster.nats = {"nats://10.0.0.1:4222", "10.0.0.2:4222"};
  after.cluster.node = "chat-2";
  after.cluster.replicas = 1;
  after.cluster.prefix = "chat2";
  after.cluster.credentials = "/etc/chatd/chatd.creds";
  after.cluster.tls.ca = "/etc/chatd/ca.pem";
  after.cluster.publish_timeout = std::chrono::milliseconds(500);
  after.cluster.node_timeout = std::chrono::seconds(5);
  const auto changes = diff_config(config{}, after);
  ASSERT_EQ(changes.size(), 8u);
  EXPECT_EQ(changes[0].key, "cluster.nats");
  EXPECT_EQ(changes[0].old_value, "");
  EXPECT_EQ(changes[0].new_value, "nats://10.0.0.1:4222,10.0.0.2:4222");
  EXPECT_EQ(changes[1].key, "cluster.node");
  EXPECT_EQ(changes[1].new_value, "chat-2");
  EXPECT_EQ(changes[5].key, "cluster.tls.ca");
  EXPECT_EQ(changes[7].key, "cluster.node_timeout");
  EXPECT_EQ(changes[7].old_value, "15s");
  EXPECT_EQ(changes[7].new_value, "5s");
  for (const auto& change : changes) {
    SCOPED_TRACE(change.key);
    EXPECT_EQ(restart_reason(change.key),
              "the cluster is joined once, at start; restart chatd to apply it");
  }
  for (const char* key : {"cluster.user", "cluster.password", "cluster.tls.cert",
                          "cluster.tls.key", "cluster.replicas"}) {
    EXPECT_TRUE(restart_reason(key)) << key;
  }
}

TEST(ConfigDiff, HidesAChangedPasswordButSaysThatItChanged) {
  config before;
  before.cluster.user = "chat";
  before.cluster.password = "old-secret";
  config after = before;
  after.cluster.password = "new-secret";
  auto changes = diff_config(before, after);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(describe_changes(changes), "cluster.password '(hidden)' -> '(hidden)'");
  after.cluster.password.clear();
  changes = diff_config(before, after);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].old_value, "(hidden)");
  EXPECT_EQ(changes[0].new_value, "");
}

TEST(ConfigDiff, AReloadKeepsTheRunningListenersAndClusterAndTakesTheRest) {
  config running;
  running.cluster.nats = {"nats://10.0.0.1:4222"};
  running.cluster.node = "chat-1";
  running.listen.chat = {"127.0.0.1", 7001};
  config next;
  next.cluster.node = "chat-2";
  next.cluster.tls.ca = "/etc/chatd/ca.pem";
  next.listen.chat = {"127.0.0.1", 7002};
  next.limits.rate = 3;
  keep_restart_values(next, running);
  EXPECT_EQ(next.cluster.nats, running.cluster.nats);
  EXPECT_EQ(next.cluster.node, "chat-1");
  EXPECT_EQ(next.cluster.tls.ca, "");
  EXPECT_EQ(next.listen.chat.to_string(), "127.0.0.1:7001");
  EXPECT_EQ(next.limits.rate, 3.0);
  // Every key that waits for a restart is among those kept, and no other.
  config changed_everywhere = next;
  changed_everywhere.limits.burst = 1;
  for (const auto& change : diff_config(running, changed_everywhere)) {
    EXPECT_FALSE(restart_reason(change.key)) << change.key << " was not kept";
  }
}

TEST(ConfigDiff, ADrainPeriodChangeAppliesWithoutARestart) {
  config before;
  config after;
  after.limits.drain_period = std::chrono::seconds(2);
  const auto changes = diff_config(before, after);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].key, "limits.drain_period");
  EXPECT_EQ(changes[0].old_value, "30s");
  EXPECT_EQ(changes[0].new_value, "2s");
  EXPECT_FALSE(restart_reason(changes[0].key).has_value());
}

}  // namespace
}  // namespace chatd
