// The file-descriptor budget: every connection costs one descriptor, so max_connections is only
// a promise if the process limit covers it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace chatd {

// Descriptors chatd needs besides one per chat connection: stdio, the event loop's own, the two
// listeners, the metrics scrapers it serves or turns away (2 x 16), /proc reads, the journal.
inline constexpr std::size_t reserved_fds = 64;

struct fd_limit {
  std::uint64_t before;  // soft limit found at start
  std::uint64_t soft;    // soft limit now
  std::uint64_t hard;
};

// Raises the soft RLIMIT_NOFILE to the hard limit (an unprivileged process may). An unlimited
// hard limit is capped at fs.nr_open, the most the kernel allows per process.
fd_limit raise_fd_limit();

// Why `max_connections` cannot be honoured with `soft` descriptors, or nullopt if it can.
std::optional<std::string> fd_limit_problem(std::size_t max_connections, std::uint64_t soft);

}  // namespace chatd
