// Process facts from the kernel: the generator's own CPU time and fd limit, and (by PID) the
// server's resident memory and CPU time from /proc.
#pragma once

#include <cstdint>
#include <optional>

namespace chatbench {

struct cpu_times {
  double user = 0;    // seconds
  double system = 0;  // seconds
  double total() const { return user + system; }
};

// getrusage(RUSAGE_SELF).
cpu_times self_cpu();

// Raises RLIMIT_NOFILE's soft limit to the hard limit; returns the soft limit now in force.
std::uint64_t raise_nofile_limit();

// VmRSS of a process in KiB, from /proc/PID/status.
std::optional<std::uint64_t> process_rss_kib(int pid);

// utime + stime of a process in seconds, from /proc/PID/stat.
std::optional<double> process_cpu_seconds(int pid);

// Time the process's threads spent runnable but waiting for a CPU, in seconds: the sum of
// run_delay over /proc/PID/task/*/schedstat. A busy machine shows up here.
std::optional<double> process_wait_seconds(int pid);

}  // namespace chatbench
