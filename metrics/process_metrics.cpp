#include "metrics/process_metrics.hpp"

#include <dirent.h>
#include <unistd.h>

#include <cstring>
#include <ctime>
#include <limits>
#include <optional>

#include "metrics/proc_files.hpp"
#include "metrics/registry.hpp"

namespace chatd::metrics {

namespace {

constexpr double unknown = std::numeric_limits<double>::quiet_NaN();

double page_size() { return static_cast<double>(::sysconf(_SC_PAGESIZE)); }
double ticks_per_second() { return static_cast<double>(::sysconf(_SC_CLK_TCK)); }

std::optional<proc_stat> read_stat() {
  const auto text = read_proc_file("/proc/self/stat");
  return text ? parse_proc_stat(*text) : std::nullopt;
}

std::optional<proc_statm> read_statm() {
  const auto text = read_proc_file("/proc/self/statm");
  return text ? parse_proc_statm(*text) : std::nullopt;
}

}  // namespace

double read_resident_memory_bytes() {
  const auto statm = read_statm();
  return statm ? static_cast<double>(statm->resident_pages) * page_size() : unknown;
}

double read_virtual_memory_bytes() {
  const auto statm = read_statm();
  return statm ? static_cast<double>(statm->size_pages) * page_size() : unknown;
}

double read_open_fds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return unknown;
  double count = 0;
  while (const dirent* entry = ::readdir(dir)) {
    if (std::strcmp(entry->d_name, ".") != 0 && std::strcmp(entry->d_name, "..") != 0) ++count;
  }
  ::closedir(dir);
  // The listing includes the descriptor opendir used to read it, which is closed again now.
  return count - 1;
}

double read_max_fds() {
  const auto text = read_proc_file("/proc/self/limits");
  const auto limit = text ? parse_max_open_files(*text) : std::nullopt;
  return limit ? *limit : unknown;
}

double read_cpu_seconds() {
  const auto stat = read_stat();
  if (!stat) return unknown;
  return static_cast<double>(stat->utime_ticks + stat->stime_ticks) / ticks_per_second();
}

// The boot time from the clocks, for when /proc/stat is hidden (systemd's ProcSubset=pid):
// the wall clock now minus the time since boot, including suspend, as btime counts it.
std::optional<double> boot_time_from_clocks() {
  timespec realtime{};
  timespec since_boot{};
  if (clock_gettime(CLOCK_REALTIME, &realtime) != 0 ||
      clock_gettime(CLOCK_BOOTTIME, &since_boot) != 0)
    return std::nullopt;
  return static_cast<double>(realtime.tv_sec - since_boot.tv_sec) +
         static_cast<double>(realtime.tv_nsec - since_boot.tv_nsec) / 1e9;
}

double read_start_time_seconds() {
  const auto stat = read_stat();
  if (!stat) return unknown;
  const auto system_stat = read_proc_file("/proc/stat");
  auto boot = system_stat ? parse_boot_time(*system_stat) : std::nullopt;
  std::optional<double> boot_seconds =
      boot ? std::optional<double>(static_cast<double>(*boot)) : boot_time_from_clocks();
  if (!boot_seconds) return unknown;
  return *boot_seconds + static_cast<double>(stat->starttime_ticks) / ticks_per_second();
}

void add_process_metrics(registry& reg) {
  reg.add_callback_gauge("process_resident_memory_bytes", "Resident memory size in bytes.")
      .add({}, read_resident_memory_bytes);
  reg.add_callback_gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.")
      .add({}, read_virtual_memory_bytes);
  reg.add_callback_gauge("process_open_fds", "Number of open file descriptors.")
      .add({}, read_open_fds);
  reg.add_callback_gauge("process_max_fds", "Maximum number of open file descriptors.")
      .add({}, read_max_fds);
  reg.add_callback_counter("process_cpu_seconds_total",
                           "Total user and system CPU time spent in seconds.")
      .add({}, read_cpu_seconds);
  reg.add_callback_gauge("process_start_time_seconds",
                         "Start time of the process since unix epoch in seconds.")
      .add({}, read_start_time_seconds);
}

}  // namespace chatd::metrics
