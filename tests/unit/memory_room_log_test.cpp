#include "server/chat/memory_room_log.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace chatd {
namespace {

stored_message said(std::string text) { return stored_message{"ann", std::move(text), 0, 1000, false}; }

std::vector<std::string> texts(const std::vector<const stored_message*>& messages) {
  std::vector<std::string> out;
  for (const stored_message* m : messages) out.push_back(m->text);
  return out;
}

std::vector<std::uint64_t> seqs(const std::vector<const stored_message*>& messages) {
  std::vector<std::uint64_t> out;
  for (const stored_message* m : messages) out.push_back(m->seq);
  return out;
}

TEST(MemoryRoomLog, NumbersMessagesFromOneInAppendOrder) {
  memory_room_log log(10, "test-epoch");
  EXPECT_EQ(log.last_seq(), 0u);
  EXPECT_EQ(log.append(said("a")).seq, 1u);
  EXPECT_EQ(log.append(said("b")).seq, 2u);
  EXPECT_EQ(log.last_seq(), 2u);
  EXPECT_EQ(texts(log.recent(10)), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(seqs(log.recent(10)), (std::vector<std::uint64_t>{1, 2}));
}

TEST(MemoryRoomLog, KeepsOnlyTheLatestCapacityMessagesOldestFirst) {
  memory_room_log log(3, "test-epoch");
  for (const char* t : {"a", "b", "c", "d", "e"}) log.append(said(t));
  EXPECT_EQ(log.size(), 3u);
  EXPECT_EQ(texts(log.recent(10)), (std::vector<std::string>{"c", "d", "e"}));
  EXPECT_EQ(texts(log.recent(2)), (std::vector<std::string>{"d", "e"}));
  EXPECT_TRUE(log.recent(0).empty());
}

TEST(MemoryRoomLog, SinceGivesWhatFollowsASeqThatIsStillKept) {
  memory_room_log log(3, "test-epoch");
  for (const char* t : {"a", "b", "c", "d", "e"}) log.append(said(t));  // keeps 3..5
  EXPECT_EQ(seqs(log.since(3, 100)), (std::vector<std::uint64_t>{4, 5}));
  EXPECT_EQ(seqs(log.since(4, 100)), (std::vector<std::uint64_t>{5}));
  EXPECT_TRUE(log.since(5, 100).empty());
  EXPECT_TRUE(log.since(99, 100).empty());
  // Older than what is kept: everything kept, oldest first, at most `max`.
  EXPECT_EQ(seqs(log.since(0, 100)), (std::vector<std::uint64_t>{3, 4, 5}));
  EXPECT_EQ(seqs(log.since(1, 2)), (std::vector<std::uint64_t>{3, 4}));
}

TEST(MemoryRoomLog, WithNoCapacityItStillNumbersButKeepsNothing) {
  memory_room_log log(0, "test-epoch");
  EXPECT_EQ(log.append(said("a")).seq, 1u);
  EXPECT_EQ(log.append(said("b")).seq, 2u);
  EXPECT_TRUE(log.recent(5).empty());
  EXPECT_TRUE(log.since(0, 5).empty());
}

TEST(MemoryRoomLog, AppendGivesTheMessageAsStoredKeptOrNot) {
  for (const std::size_t capacity : {0u, 2u}) {
    memory_room_log log(capacity, "test-epoch");
    for (const char* t : {"a", "b", "c"}) {
      const stored_message& stored = log.append(said(t));
      EXPECT_EQ(stored.text, t) << "capacity " << capacity;
      EXPECT_EQ(stored.from, "ann");
      EXPECT_EQ(stored.seq, log.last_seq());
    }
  }
}

TEST(MemoryRoomLog, ShrinkingKeepsTheLatestAndGrowingKeepsAll) {
  memory_room_log log(4, "test-epoch");
  for (const char* t : {"a", "b", "c", "d", "e", "f"}) log.append(said(t));  // ring wrapped
  log.set_capacity(2);
  EXPECT_EQ(texts(log.recent(10)), (std::vector<std::string>{"e", "f"}));
  log.set_capacity(5);
  log.append(said("g"));
  EXPECT_EQ(texts(log.recent(10)), (std::vector<std::string>{"e", "f", "g"}));
  EXPECT_EQ(log.last_seq(), 7u);
  EXPECT_EQ(seqs(log.since(5, 10)), (std::vector<std::uint64_t>{6, 7}));
}

}  // namespace
}  // namespace chatd
