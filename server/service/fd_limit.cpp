#include "server/service/fd_limit.hpp"

#include <sys/resource.h>

#include <fstream>

namespace chatd {

namespace {

std::uint64_t kernel_fd_ceiling() {
  std::ifstream in("/proc/sys/fs/nr_open");
  std::uint64_t value = 0;
  if (in >> value && value > 0) return value;
  return 1 << 20;  // the kernel's default
}

}  // namespace

fd_limit raise_fd_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return {0, 0, 0};
  const std::uint64_t before = limit.rlim_cur;
  rlim_t target = limit.rlim_max;
  if (target == RLIM_INFINITY) target = static_cast<rlim_t>(kernel_fd_ceiling());
  if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= target)
    return {before, before, limit.rlim_max};
  rlimit raised = limit;
  raised.rlim_cur = target;
  if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  return {before, limit.rlim_cur, limit.rlim_max};
}

std::optional<std::string> fd_limit_problem(std::size_t max_connections, std::uint64_t soft) {
  const std::uint64_t needed = static_cast<std::uint64_t>(max_connections) + reserved_fds;
  if (needed <= soft) return std::nullopt;
  return "limits.max_connections " + std::to_string(max_connections) + " needs " +
         std::to_string(needed) + " file descriptors (" + std::to_string(reserved_fds) +
         " more for listeners and housekeeping) but the limit is " + std::to_string(soft) +
         "; raise it (LimitNOFILE= in the unit, ulimit -n, docker --ulimit nofile=) or lower "
         "limits.max_connections to at most " +
         std::to_string(soft > reserved_fds ? soft - reserved_fds : 0);
}

}  // namespace chatd
