// The records chatd stores in JetStream and the engine's publish replies: what is written is
// read back the same, and anything else from the shared engine is refused, never thrown.
#include "protocol/engine_record.hpp"

#include <gtest/gtest.h>

namespace chatd::protocol {
namespace {

room_record sample() {
  room_record r;
  r.epoch = "AbCdEfGhIj_";
  r.first_seq = 41;
  r.node = "chat-1.123";
  r.batch = 7;
  r.messages.push_back({"alice", "hello \"there\" \xc3\xa9", 1700000000000, false, 12});
  r.messages.push_back({"bob", "waves", 1700000000001, true, 3});
  return r;
}

TEST(EngineRecord, RoundTrips) {
  const room_record in = sample();
  const auto out = decode_room_record(encode_room_record(in));
  ASSERT_TRUE(out);
  EXPECT_EQ(out->epoch, in.epoch);
  EXPECT_EQ(out->first_seq, 41u);
  EXPECT_EQ(out->node, in.node);
  EXPECT_EQ(out->batch, 7u);
  ASSERT_EQ(out->messages.size(), 2u);
  EXPECT_EQ(out->messages[0].from, "alice");
  EXPECT_EQ(out->messages[0].text, in.messages[0].text);
  EXPECT_EQ(out->messages[0].ts, 1700000000000);
  EXPECT_FALSE(out->messages[0].action);
  EXPECT_EQ(out->messages[0].client, 12u);
  EXPECT_TRUE(out->messages[1].action);
}

TEST(EngineRecord, AFenceHasNoMessagesAndOnlyAFenceMay) {
  room_record fence = sample();
  fence.messages.clear();
  fence.fence = true;
  const auto out = decode_room_record(encode_room_record(fence));
  ASSERT_TRUE(out);
  EXPECT_TRUE(out->fence);
  EXPECT_TRUE(out->messages.empty());
  EXPECT_EQ(out->batch, 7u);
  EXPECT_FALSE(decode_room_record(
      R"({"e":"AbCdEfGhIj_","s":1,"n":"x","b":1,"v":true,"m":[{"f":"a","t":"b","ts":1,"c":1}]})"));
  EXPECT_FALSE(decode_room_record(R"({"e":"AbCdEfGhIj_","s":1,"n":"x","b":1,"v":1,"m":[]})"));
}

TEST(EngineRecord, InvalidUtf8IsStoredReplacedNotRefused) {
  room_record in = sample();
  in.messages[0].text = "bad \xff byte";
  const auto out = decode_room_record(encode_room_record(in));
  ASSERT_TRUE(out);
  EXPECT_EQ(out->messages[0].text, "bad \xef\xbf\xbd byte");
}

TEST(EngineRecord, RefusesWhatIsNotARecord) {
  for (const char* bad : {
           "", "null", "[]", "{", "not json", "{\"e\":\"AbCdEfGhIj_\"}",
           R"({"e":"AbCdEfGhIj_","s":0,"n":"x","b":1,"m":[{"f":"a","t":"b","ts":1,"c":1}]})",
           R"({"e":"bad epoch!","s":1,"n":"x","b":1,"m":[{"f":"a","t":"b","ts":1,"c":1}]})",
           R"({"e":"AbCdEfGhIj_","s":1,"n":"x","b":1,"m":[]})",
           R"({"e":"AbCdEfGhIj_","s":1,"n":"x","b":1,"m":[{"f":"a","t":2,"ts":1,"c":1}]})",
           R"({"e":"AbCdEfGhIj_","s":1,"n":"x","b":1,"m":[{"f":"a","t":"b","ts":1,"c":-1}]})",
           R"({"e":"AbCdEfGhIj_","s":1,"n":"x","b":1,"m":[{"f":"a","t":"b","ts":1,"c":1,"a":1}]})",
           R"({"e":"AbCdEfGhIj_","s":-3,"n":"x","b":1,"m":[{"f":"a","t":"b","ts":1,"c":1}]})",
           R"({"e":"AbCdEfGhIj_","s":18446744073709551615,"n":"x","b":1,"m":[{"f":"a","t":"b","ts":1,"c":1}]})",
       }) {
    EXPECT_FALSE(decode_room_record(bad)) << bad;
  }
}

TEST(EngineRecord, IsWrittenInTheBinaryFormAndTheJsonFormIsStillRead) {
  const std::string bytes = encode_room_record(sample());
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(bytes.front(), '\x01');
  const auto old = decode_room_record(
      R"({"e":"AbCdEfGhIj_","s":5,"n":"x.1","b":2,"m":[{"f":"al","t":"hi","ts":9,"c":4,"a":true}]})");
  ASSERT_TRUE(old);
  EXPECT_EQ(old->first_seq, 5u);
  ASSERT_EQ(old->messages.size(), 1u);
  EXPECT_EQ(old->messages[0].text, "hi");
  EXPECT_TRUE(old->messages[0].action);
}

TEST(EngineRecord, RefusesEveryTruncationAndTrailingBytes) {
  const std::string bytes = encode_room_record(sample());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(decode_room_record(std::string_view(bytes).substr(0, n))) << n;
  }
  EXPECT_FALSE(decode_room_record(bytes + "x"));
}

TEST(EngineRecord, RefusesBinaryRecordsThatBreakTheRules) {
  room_record r = sample();
  r.messages.resize(1);
  const std::string good = encode_room_record(r);
  ASSERT_TRUE(decode_room_record(good));
  // The layout: tag, epoch (11 bytes), first_seq, node, batch, flags, count, message.
  const std::size_t text_at = good.find("hello");
  ASSERT_NE(text_at, std::string::npos);
  std::string bad_utf8 = good;
  bad_utf8[text_at] = '\xff';
  EXPECT_FALSE(decode_room_record(bad_utf8));
  const std::size_t flags_at = 1 + 1 + 11 + 1 + 1 + r.node.size() + 1;
  ASSERT_EQ(good[flags_at], '\0');
  std::string unknown_flag = good;
  unknown_flag[flags_at] = '\x02';
  EXPECT_FALSE(decode_room_record(unknown_flag));
  std::string huge_count = good;
  huge_count[flags_at + 1] = '\x7f';  // 127 messages announced, 1 present
  EXPECT_FALSE(decode_room_record(huge_count));
  std::string zero_seq = good;
  zero_seq[1 + 1 + 11] = '\0';
  EXPECT_FALSE(decode_room_record(zero_seq));
  // A varint of eleven continuation bytes is past 64 bits.
  EXPECT_FALSE(decode_room_record(std::string("\x01\x0b") + "AbCdEfGhIj_" +
                                  std::string(10, '\xff') + "\x01"));
}

TEST(PublishReply, ReadsAnAckADuplicateAndARefusal) {
  auto reply = parse_publish_reply(R"({"stream":"chatd_rooms","seq":17})");
  ASSERT_TRUE(reply && reply->ack);
  EXPECT_EQ(reply->ack->stream_seq, 17u);
  EXPECT_FALSE(reply->ack->duplicate);

  reply = parse_publish_reply(R"({"stream":"chatd_rooms","seq":17,"duplicate":true})");
  ASSERT_TRUE(reply && reply->ack);
  EXPECT_TRUE(reply->ack->duplicate);

  reply = parse_publish_reply(
      R"({"error":{"code":400,"err_code":10071,"description":"wrong last sequence: 42"}})");
  ASSERT_TRUE(reply && reply->refusal);
  EXPECT_EQ(reply->refusal->code, 400);
  EXPECT_EQ(reply->refusal->err_code, wrong_last_subject_seq);
  EXPECT_EQ(refusal_last_seq(*reply->refusal), 42u);
}

TEST(PublishReply, ARefusalWithoutASeqNamesNone) {
  EXPECT_FALSE(refusal_last_seq({400, wrong_last_subject_seq, "wrong last sequence"}));
  EXPECT_FALSE(refusal_last_seq({400, wrong_last_subject_seq, "wrong last sequence: x1"}));
  EXPECT_FALSE(refusal_last_seq({503, 10077, "stream offline: 3"}));
  EXPECT_EQ(refusal_last_seq({400, wrong_last_subject_seq, "wrong last sequence: 0"}), 0u);
}

TEST(PublishReply, NeitherIsNothing) {
  for (const char* bad : {"", "+OK", "{}", R"({"stream":"s"})", R"({"stream":"s","seq":0})",
                          R"({"error":"x"})", "[1]"}) {
    EXPECT_FALSE(parse_publish_reply(bad)) << bad;
  }
}

}  // namespace
}  // namespace chatd::protocol
