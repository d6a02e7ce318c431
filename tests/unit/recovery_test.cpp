// plan_recovery: what "/join ROOM since SEQ [EPOCH]" replays, against a real room log.
#include "server/chat/recovery.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "server/chat/memory_room_log.hpp"

namespace chatd {
namespace {

using protocol::recovery_outcome;

// A log of `capacity` that has numbered `said` messages.
memory_room_log log_with(std::size_t capacity, std::uint64_t said) {
  memory_room_log log(capacity, "epochA");
  for (std::uint64_t i = 1; i <= said; ++i) log.append(stored_message{"bob", "m", 0, 0, false});
  return log;
}

std::vector<std::uint64_t> seqs(const recovery_plan& plan) {
  std::vector<std::uint64_t> out;
  for (const stored_message* m : plan.messages) out.push_back(m->seq);
  return out;
}

TEST(PlanRecovery, ReplaysExactlyWhatCameAfterSeqWhenItIsKept) {
  const memory_room_log log = log_with(10, 8);
  const recovery_plan plan = plan_recovery(log, 5, "");
  EXPECT_EQ(seqs(plan), (std::vector<std::uint64_t>{6, 7, 8}));
  EXPECT_EQ(plan.outcome, recovery_outcome::complete);
  // With the right epoch named, the same.
  EXPECT_EQ(seqs(plan_recovery(log, 5, "epochA")), (std::vector<std::uint64_t>{6, 7, 8}));
  EXPECT_EQ(plan_recovery(log, 5, "epochA").outcome, recovery_outcome::complete);
}

TEST(PlanRecovery, NothingMissedIsComplete) {
  const memory_room_log log = log_with(10, 8);
  const recovery_plan plan = plan_recovery(log, 8, "epochA");
  EXPECT_TRUE(plan.messages.empty());
  EXPECT_EQ(plan.outcome, recovery_outcome::complete);
  EXPECT_EQ(plan_recovery(log_with(10, 0), 0, "").outcome, recovery_outcome::complete);
}

TEST(PlanRecovery, OlderThanTheRingIsIncompleteAndReplaysAllThatIsKept) {
  const memory_room_log log = log_with(5, 20);  // keeps 16..20
  const recovery_plan plan = plan_recovery(log, 10, "");
  EXPECT_EQ(seqs(plan), (std::vector<std::uint64_t>{16, 17, 18, 19, 20}));
  EXPECT_EQ(plan.outcome, recovery_outcome::missing);
  // The edge: 15 is the newest message not kept, so since 15 is whole and since 14 is not.
  EXPECT_EQ(plan_recovery(log, 15, "").outcome, recovery_outcome::complete);
  EXPECT_EQ(plan_recovery(log, 14, "").outcome, recovery_outcome::missing);
}

TEST(PlanRecovery, NoHistoryKeptIsIncompleteUnlessNothingWasMissed) {
  const memory_room_log log = log_with(0, 4);
  EXPECT_EQ(plan_recovery(log, 3, "").outcome, recovery_outcome::missing);
  EXPECT_TRUE(plan_recovery(log, 3, "").messages.empty());
  EXPECT_EQ(plan_recovery(log, 4, "").outcome, recovery_outcome::complete);
}

TEST(PlanRecovery, AnotherEpochReplaysEverythingKeptAsRestarted) {
  const memory_room_log log = log_with(10, 3);
  const recovery_plan plan = plan_recovery(log, 1, "epochB");
  EXPECT_EQ(seqs(plan), (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(plan.outcome, recovery_outcome::restarted);
}

TEST(PlanRecovery, ASeqPastTheRoomsMeansItStartedAgain) {
  const memory_room_log log = log_with(10, 3);
  const recovery_plan plan = plan_recovery(log, 57, "");
  EXPECT_EQ(seqs(plan), (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(plan.outcome, recovery_outcome::restarted);
  EXPECT_EQ(plan_recovery(log, 4, "epochA").outcome, recovery_outcome::restarted);
}

}  // namespace
}  // namespace chatd
