#include "metrics/proc_files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <limits>

namespace chatd::metrics {

namespace {

// Splits off the next whitespace-separated word of `text`; empty when none is left.
std::string_view next_word(std::string_view& text) {
  const auto start = text.find_first_not_of(" \t\n");
  if (start == std::string_view::npos) {
    text = {};
    return {};
  }
  text.remove_prefix(start);
  const auto end = std::min(text.find_first_of(" \t\n"), text.size());
  const std::string_view word = text.substr(0, end);
  text.remove_prefix(end);
  return word;
}

template <class Int>
bool parse_int(std::string_view word, Int& out) {
  if (word.empty()) return false;
  const auto result = std::from_chars(word.data(), word.data() + word.size(), out);
  return result.ec == std::errc() && result.ptr == word.data() + word.size();
}

}  // namespace

std::optional<proc_stat> parse_proc_stat(std::string_view text) {
  const auto comm_end = text.rfind(')');
  if (comm_end == std::string_view::npos) return std::nullopt;
  std::string_view rest = text.substr(comm_end + 1);
  proc_stat stat;
  // After the command come fields 3 (state) onwards.
  for (int field = 3; field <= 24; ++field) {
    const std::string_view word = next_word(rest);
    if (word.empty()) return std::nullopt;
    bool ok = true;
    switch (field) {
      case 14: ok = parse_int(word, stat.utime_ticks); break;
      case 15: ok = parse_int(word, stat.stime_ticks); break;
      case 22: ok = parse_int(word, stat.starttime_ticks); break;
      case 23: ok = parse_int(word, stat.vsize_bytes); break;
      case 24: ok = parse_int(word, stat.rss_pages); break;
      default: break;
    }
    if (!ok) return std::nullopt;
  }
  return stat;
}

std::optional<proc_statm> parse_proc_statm(std::string_view text) {
  proc_statm statm;
  if (!parse_int(next_word(text), statm.size_pages)) return std::nullopt;
  if (!parse_int(next_word(text), statm.resident_pages)) return std::nullopt;
  return statm;
}

std::optional<std::uint64_t> parse_boot_time(std::string_view proc_stat_text) {
  std::string_view rest = proc_stat_text;
  while (!rest.empty()) {
    const auto line_end = std::min(rest.find('\n'), rest.size());
    std::string_view line = rest.substr(0, line_end);
    rest.remove_prefix(std::min(line_end + 1, rest.size()));
    if (next_word(line) != "btime") continue;
    std::uint64_t seconds = 0;
    if (!parse_int(next_word(line), seconds)) return std::nullopt;
    return seconds;
  }
  return std::nullopt;
}

std::optional<double> parse_max_open_files(std::string_view limits_text) {
  constexpr std::string_view key = "Max open files";
  const auto at = limits_text.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view line = limits_text.substr(at + key.size());
  line = line.substr(0, line.find('\n'));
  const std::string_view soft = next_word(line);
  if (soft == "unlimited") return std::numeric_limits<double>::infinity();
  std::uint64_t value = 0;
  if (!parse_int(soft, value)) return std::nullopt;
  return static_cast<double>(value);
}

std::optional<std::string> read_proc_file(const char* path) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string text;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      text.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0) {
      break;
    } else if (errno != EINTR) {
      ::close(fd);
      return std::nullopt;
    }
  }
  ::close(fd);
  return text;
}

}  // namespace chatd::metrics
