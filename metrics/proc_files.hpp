// Parsers for the Linux /proc files the process metrics come from. Pure: they take the file's
// text, so tests can feed them fixed samples; read_proc_file does the reading.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace chatd::metrics {

// The fields of /proc/<pid>/stat we use (see proc(5)); times are in clock ticks (CLK_TCK).
struct proc_stat {
  std::uint64_t utime_ticks = 0;      // field 14
  std::uint64_t stime_ticks = 0;      // field 15
  std::uint64_t starttime_ticks = 0;  // field 22: since boot
  std::uint64_t vsize_bytes = 0;      // field 23
  std::int64_t rss_pages = 0;         // field 24
};

// nullopt if the text is not a stat line. The command name (field 2) may hold spaces and
// parentheses, so fields are counted from its last ')'.
std::optional<proc_stat> parse_proc_stat(std::string_view text);

// /proc/<pid>/statm: sizes in pages.
struct proc_statm {
  std::uint64_t size_pages = 0;      // total program size (virtual)
  std::uint64_t resident_pages = 0;  // resident set
};
std::optional<proc_statm> parse_proc_statm(std::string_view text);

// The "btime" line of /proc/stat: boot time in seconds since the epoch.
std::optional<std::uint64_t> parse_boot_time(std::string_view proc_stat_text);

// The soft limit on the "Max open files" line of /proc/<pid>/limits; +Inf for "unlimited".
std::optional<double> parse_max_open_files(std::string_view limits_text);

// The whole of a small file. /proc files report size 0, so this reads until EOF.
// nullopt if it cannot be opened or read.
std::optional<std::string> read_proc_file(const char* path);

}  // namespace chatd::metrics
