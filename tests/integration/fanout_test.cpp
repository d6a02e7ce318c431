// Fan-out under concurrency: every member sees every message of its rooms, in seq order,
// with no gaps and no duplicates, while several publishers send at once.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <latch>
#include <map>
#include <memory>
#include <thread>

#include "integration/chat_helpers.hpp"

using namespace chatd::integration;

namespace {

constexpr std::chrono::milliseconds read_timeout{10'000};

const std::string fanout_config = std::string(fast_limits_yaml) + "rooms:\n  default: \"\"\n";

struct received {
  std::uint64_t seq;
  std::string from;
  std::string text;
};

// Registers `nick` (no automatic join) and joins `rooms`.
std::unique_ptr<test_client> member(const server_process& server, const std::string& nick,
                                    std::initializer_list<std::string_view> rooms) {
  auto client = std::make_unique<test_client>(server.port(), nick);
  client->register_json(nick, "");
  for (auto room : rooms) {
    client->send_line("/join " + std::string(room));
    client->expect_ok("join");
  }
  return client;
}

// Runs `body` and turns an exception into an error string (threads cannot throw into gtest).
template <typename F>
void capture(std::string& error, F&& body) {
  try {
    body();
  } catch (const std::exception& e) {
    error = e.what();
  }
}

}  // namespace

TEST(Fanout, EverySubscriberGetsEverySeqInOrderWithConcurrentPublishers) {
  constexpr int subscribers = 20;
  constexpr int publishers = 4;
  constexpr int per_publisher = 250;
  constexpr std::uint64_t total = publishers * per_publisher;

  server_process server(fanout_config);
  std::vector<std::unique_ptr<test_client>> subs;
  std::vector<std::unique_ptr<test_client>> pubs;
  for (int i = 0; i < subscribers; ++i) subs.push_back(member(server, "sub" + std::to_string(i), {"fan"}));
  for (int i = 0; i < publishers; ++i) pubs.push_back(member(server, "pub" + std::to_string(i), {"fan"}));
  for (auto& c : subs) c->sync_json();  // the join events of later members
  for (auto& c : pubs) c->sync_json();

  std::latch start(subscribers + publishers);
  std::vector<std::vector<received>> sub_got(subscribers);
  std::vector<std::string> sub_error(subscribers);
  std::vector<std::vector<std::uint64_t>> pub_ok_seqs(publishers);
  std::vector<std::vector<std::uint64_t>> pub_msg_seqs(publishers);
  std::vector<std::vector<std::uint64_t>> pub_read_order(publishers);  // oks and msgs as read
  std::vector<std::string> pub_error(publishers);
  std::vector<std::thread> threads;

  for (int i = 0; i < subscribers; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      capture(sub_error[i], [&] {
        auto& client = *subs[i];
        auto& got = sub_got[i];
        while (got.size() < total) {
          json msg = client.expect_json("msg", read_timeout);
          if (msg["room"] != "fan") throw protocol_failure("message for another room: " + msg.dump());
          got.push_back({msg["seq"].get<std::uint64_t>(), msg["from"].get<std::string>(),
                         msg["text"].get<std::string>()});
          if (got.back().seq != got.size()) {
            throw protocol_failure(client.label() + ": expected seq " + std::to_string(got.size()) +
                                   ", got " + msg.dump());
          }
        }
      });
    });
  }
  for (int p = 0; p < publishers; ++p) {
    threads.emplace_back([&, p] {
      start.arrive_and_wait();
      capture(pub_error[p], [&] {
        auto& client = *pubs[p];
        std::string batch;
        for (int k = 0; k < per_publisher; ++k) {
          batch += "p" + std::to_string(p) + "-" + std::to_string(k) + "\n";
        }
        client.send_raw(batch);
        // Own messages come back as oks, the other publishers' as msgs.
        while (pub_ok_seqs[p].size() < per_publisher ||
               pub_msg_seqs[p].size() < total - per_publisher) {
          json j = client.read_json(read_timeout);
          if (j["type"] == "ok" && j["cmd"] == "say") {
            pub_ok_seqs[p].push_back(j["seq"].get<std::uint64_t>());
          } else if (j["type"] == "msg") {
            pub_msg_seqs[p].push_back(j["seq"].get<std::uint64_t>());
          } else {
            throw protocol_failure(client.label() + ": unexpected " + j.dump());
          }
          pub_read_order[p].push_back(j["seq"].get<std::uint64_t>());
        }
      });
    });
  }
  for (auto& t : threads) t.join();

  for (int i = 0; i < subscribers; ++i) {
    EXPECT_EQ(sub_error[i], "") << "subscriber " << i;
    EXPECT_EQ(sub_got[i].size(), total) << "subscriber " << i;
  }
  for (int p = 0; p < publishers; ++p) EXPECT_EQ(pub_error[p], "") << "publisher " << p;
  ASSERT_FALSE(HasFailure());

  // seq -> what publisher p said as its k-th line, from the publishers' oks.
  std::map<std::uint64_t, std::pair<std::string, std::string>> expected;
  for (int p = 0; p < publishers; ++p) {
    const auto& oks = pub_ok_seqs[p];
    for (std::size_t k = 0; k < oks.size(); ++k) {
      if (k > 0) {
        EXPECT_LT(oks[k - 1], oks[k]) << "publisher " << p << " ok seqs must increase";
      }
      bool fresh = expected.emplace(oks[k], std::pair{"pub" + std::to_string(p),
                                                      "p" + std::to_string(p) + "-" + std::to_string(k)})
                       .second;
      EXPECT_TRUE(fresh) << "seq " << oks[k] << " given twice";
    }
    // A publisher sees everyone else's messages, in order, and together with its oks every seq.
    const auto& msgs = pub_msg_seqs[p];
    for (std::size_t k = 1; k < msgs.size(); ++k) {
      EXPECT_LT(msgs[k - 1], msgs[k]) << "publisher " << p << " msg seqs must increase";
    }
    // Read as they were numbered: its oks and the others' msgs interleaved in seq order, with
    // nothing missing (the broadcaster hands out each sender's run of messages at once).
    const auto& order = pub_read_order[p];
    for (std::size_t k = 0; k < order.size(); ++k) {
      ASSERT_EQ(order[k], k + 1) << "publisher " << p << " read seq " << order[k] << " as line "
                                 << k + 1 << " of its oks and msgs";
    }
  }
  ASSERT_EQ(expected.size(), total);
  ASSERT_EQ(expected.begin()->first, 1u);
  ASSERT_EQ(expected.rbegin()->first, total);

  for (int i = 0; i < subscribers; ++i) {
    for (const auto& r : sub_got[i]) {
      const auto& [from, text] = expected.at(r.seq);
      if (r.from != from || r.text != text) {
        ADD_FAILURE() << "subscriber " << i << " seq " << r.seq << ": got " << r.from << " '"
                      << r.text << "', the ok said " << from << " '" << text << "'";
        break;
      }
    }
  }
  for (auto& c : subs) c->expect_quiet_json();
}

TEST(Fanout, HumanAndJsonMembersOfOneRoomEachGetEveryPipelinedMessageInTheirFormat) {
  constexpr int lines = 600;  // more than one broadcaster batch (256)
  server_process server(fanout_config);
  test_client human = human_client(server, "hugo");
  human.send_line("/join mixed");
  human.sync_human();
  auto reader = member(server, "jess", {"mixed"});
  auto talker = member(server, "tom", {"mixed"});
  reader->sync_json();
  talker->sync_json();
  human.sync_human();  // the joins of jess and tom

  std::string batch;
  for (int k = 0; k < lines; ++k) batch += "line " + std::to_string(k) + "\n";
  talker->send_raw(batch);
  for (int k = 0; k < lines; ++k) {
    json ok = talker->expect_ok("say", read_timeout);
    ASSERT_EQ(ok["seq"], k + 1);
  }
  human.send_line("after you");
  json from_human = talker->expect_json("msg", read_timeout);
  EXPECT_EQ(from_human["from"], "hugo");
  EXPECT_EQ(from_human["seq"], lines + 1);
  for (int k = 0; k < lines; ++k) {
    json msg = reader->expect_json("msg", read_timeout);
    check_msg(msg, "mixed", "tom", "line " + std::to_string(k));
    ASSERT_EQ(msg["seq"], k + 1);
  }
  EXPECT_EQ(reader->expect_json("msg", read_timeout)["from"], "hugo");
  // A human sees the others' lines as text and no ok for its own.
  for (int k = 0; k < lines; ++k) {
    ASSERT_EQ(human.expect_line(read_timeout), "[mixed] tom: line " + std::to_string(k));
  }
  EXPECT_EQ(human.sync_human(), std::vector<std::string>{});
  reader->expect_quiet_json();
  talker->expect_quiet_json();
}

TEST(Fanout, MemberOfTwoRoomsGetsEachRoomsSequenceWithoutGaps) {
  constexpr int subscribers = 5;
  constexpr int per_room = 200;
  server_process server(fanout_config);
  std::vector<std::unique_ptr<test_client>> subs;
  for (int i = 0; i < subscribers; ++i) subs.push_back(member(server, "sub" + std::to_string(i), {"red", "blue"}));
  auto red = member(server, "red_pub", {"red"});
  auto blue = member(server, "blue_pub", {"blue"});
  for (auto& c : subs) c->sync_json();
  red->sync_json();
  blue->sync_json();

  std::latch start(2);
  std::string red_error, blue_error;
  auto publish = [&](test_client& client, std::string& error) {
    start.arrive_and_wait();
    capture(error, [&] {
      std::string batch;
      for (int k = 0; k < per_room; ++k) batch += "m" + std::to_string(k) + "\n";
      client.send_raw(batch);
      for (int k = 0; k < per_room; ++k) {
        json ok = client.expect_ok("say", read_timeout);
        if (ok["seq"] != k + 1) throw protocol_failure(client.label() + ": ok out of order " + ok.dump());
      }
    });
  };
  // jthreads join on every way out of the test body, including a failed ASSERT.
  std::jthread red_thread(publish, std::ref(*red), std::ref(red_error));
  std::jthread blue_thread(publish, std::ref(*blue), std::ref(blue_error));

  for (auto& sub : subs) {
    std::map<std::string, std::uint64_t> last{{"red", 0}, {"blue", 0}};
    for (int n = 0; n < 2 * per_room; ++n) {
      json msg = sub->expect_json("msg", read_timeout);
      std::string room = msg["room"];
      ASSERT_TRUE(last.count(room)) << msg.dump();
      ASSERT_EQ(msg["seq"], last[room] + 1) << sub->label() << ": " << msg.dump();
      ASSERT_EQ(msg["text"], "m" + std::to_string(last[room])) << msg.dump();
      ++last[room];
    }
    sub->expect_quiet_json();
  }
  red_thread.join();
  blue_thread.join();
  EXPECT_EQ(red_error, "");
  EXPECT_EQ(blue_error, "");
}
