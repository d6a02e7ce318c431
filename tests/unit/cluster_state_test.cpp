// The values nodes tell each other through the engine: written, read back the same; anything
// else, from a shared engine, is refused rather than thrown.
#include "protocol/cluster_state.hpp"

#include <gtest/gtest.h>

namespace chatd::protocol {
namespace {

TEST(ClusterState, NickHolderRoundTrips) {
  const auto out = decode_nick_holder(encode_nick_holder({"chat-1.42", "7", "Alice"}));
  ASSERT_TRUE(out);
  EXPECT_EQ(out->instance, "chat-1.42");
  EXPECT_EQ(out->claim, "7");
  EXPECT_EQ(out->nick, "Alice");
}

TEST(ClusterState, MemberAndTopicRoundTrip) {
  const auto member = decode_member(encode_member({"Bob", "chat-2.9"}));
  ASSERT_TRUE(member);
  EXPECT_EQ(member->nick, "Bob");
  EXPECT_EQ(member->instance, "chat-2.9");
  const auto topic = decode_topic(encode_topic({"release \"friday\"", "alice", "chat-1.42"}));
  ASSERT_TRUE(topic);
  EXPECT_EQ(topic->topic, "release \"friday\"");
  EXPECT_EQ(topic->by, "alice");
  EXPECT_EQ(topic->instance, "chat-1.42");
  const auto cleared = decode_topic(encode_topic({"", "alice", "chat-1.42"}));
  ASSERT_TRUE(cleared);
  EXPECT_EQ(cleared->topic, "");
}

TEST(ClusterState, PrivateMessageRoundTrips) {
  const auto out = decode_private(encode_private(pm_event{"bob", "alice", "psst \xc3\xa9", 1700000000123}));
  ASSERT_TRUE(out);
  EXPECT_EQ(out->from, "bob");
  EXPECT_EQ(out->to, "alice");
  EXPECT_EQ(out->text, "psst \xc3\xa9");
  EXPECT_EQ(out->ts, 1700000000123);
}

TEST(ClusterState, RefusesWhatIsNotItsValue) {
  for (const char* bad : {"", "null", "[]", "{", "{}", R"({"i":"x","c":"1"})", R"({"i":"x","c":"1","n":""})",
                          R"({"i":1,"c":"1","n":"a"})"}) {
    EXPECT_FALSE(decode_nick_holder(bad)) << bad;
  }
  for (const char* bad : {"", "{}", R"({"n":"a"})", R"({"n":"","i":"x"})", R"({"n":"a","i":2})"}) {
    EXPECT_FALSE(decode_member(bad)) << bad;
  }
  for (const char* bad : {"", "{}", R"({"t":"a","n":"b"})", R"({"t":1,"n":"b","i":"c"})"}) {
    EXPECT_FALSE(decode_topic(bad)) << bad;
  }
  for (const char* bad : {"", "{}", R"({"f":"a","t":"b","x":"c"})", R"({"f":"a","t":"b","x":"c","ts":"1"})",
                          R"({"f":"a","t":"b","x":"c","ts":1.5})"}) {
    EXPECT_FALSE(decode_private(bad)) << bad;
  }
}

}  // namespace
}  // namespace chatd::protocol
