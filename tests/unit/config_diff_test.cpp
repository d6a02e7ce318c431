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

TEST(ConfigDiff, ListenersAreRecognised) {
  config after;
  after.listen.metrics_enabled = false;
  const auto changes = diff_config(config{}, after);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].key, "listen.metrics");
  EXPECT_EQ(changes[0].new_value, "");
  EXPECT_TRUE(is_listener_key(changes[0].key));
  EXPECT_TRUE(is_listener_key("listen.chat"));
  EXPECT_FALSE(is_listener_key("limits.max_connections"));
}

}  // namespace
}  // namespace chatd
