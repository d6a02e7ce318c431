#include "server/chat/recovery.hpp"

#include <cstddef>
#include <limits>

namespace chatd {

recovery_plan plan_recovery(const room_log& log, std::uint64_t since, std::string_view epoch) {
  constexpr std::size_t all = std::numeric_limits<std::size_t>::max();
  const std::uint64_t latest = log.last_seq();
  if ((!epoch.empty() && epoch != log.epoch()) || since > latest) {
    return {log.since(0, all), protocol::recovery_outcome::restarted};
  }
  recovery_plan plan{log.since(since, all), protocol::recovery_outcome::complete};
  // Kept seqs are consecutive and end at the latest: the replay is whole when it holds as
  // many messages as there are after SEQ.
  if (plan.messages.size() != latest - since) plan.outcome = protocol::recovery_outcome::missing;
  return plan;
}

}  // namespace chatd
