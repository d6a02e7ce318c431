#include <gtest/gtest.h>

#include <sys/resource.h>

#include "server/service/fd_limit.hpp"

namespace chatd {
namespace {

TEST(FdLimitProblem, FitsWhenConnectionsPlusReserveAreWithinTheLimit) {
  EXPECT_FALSE(fd_limit_problem(10000, 10000 + reserved_fds));
  EXPECT_FALSE(fd_limit_problem(1, 1 << 20));
}

TEST(FdLimitProblem, ExplainsWhatToChangeWhenItDoesNotFit) {
  const auto problem = fd_limit_problem(10000, 1024);
  ASSERT_TRUE(problem);
  EXPECT_EQ(*problem,
            "limits.max_connections 10000 needs 10064 file descriptors (64 more for listeners "
            "and housekeeping) but the limit is 1024; raise it (LimitNOFILE= in the unit, "
            "ulimit -n, docker --ulimit nofile=) or lower limits.max_connections to at most 960");
  EXPECT_TRUE(fd_limit_problem(1, 10));
}

TEST(RaiseFdLimit, LeavesTheSoftLimitAtTheHardLimit) {
  const fd_limit limit = raise_fd_limit();
  rlimit now{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &now), 0);
  EXPECT_EQ(limit.soft, now.rlim_cur);
  EXPECT_EQ(limit.hard, now.rlim_max);
  EXPECT_LE(limit.before, limit.soft);
  if (now.rlim_max != RLIM_INFINITY) {
    EXPECT_EQ(now.rlim_cur, now.rlim_max);
  }
}

}  // namespace
}  // namespace chatd
