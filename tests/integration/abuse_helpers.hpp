// Helpers for the abuse and limits tests: what /proc says about the server process and reading a
// connection to its end (waiting on a condition is poll.hpp's wait_until). Header-only, like
// chat_helpers.hpp (the test target compiles only *_test.cpp and the two harness files).
#pragma once

#include <dirent.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "integration/poll.hpp"
#include "integration/test_client.hpp"

namespace chatd::integration {

// True when this test binary (and so, in the same build, the chatd binary) runs under
// AddressSanitizer, whose shadow memory and quarantine of freed blocks inflate the RSS.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool under_asan = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool under_asan = true;
#else
inline constexpr bool under_asan = false;
#endif
#else
inline constexpr bool under_asan = false;
#endif

// A client socket with a 4 KiB receive buffer: one that does not read backs the server up fast.
inline connect_options small_window(int bytes = 4096) {
  connect_options options;
  options.receive_buffer = bytes;
  return options;
}

// A client socket bound to another loopback address, e.g. "127.0.0.2".
inline connect_options from_address(std::string address) {
  connect_options options;
  options.source_address = std::move(address);
  return options;
}

inline constexpr std::int64_t kib = 1024;
inline constexpr std::int64_t mib = 1024 * kib;

// One "Name:   value kB" field of /proc/PID/status, in bytes (VmRSS, VmHWM, ...).
inline std::int64_t proc_status_bytes(pid_t pid, std::string_view field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  if (!in) throw std::runtime_error("cannot read /proc/" + std::to_string(pid) + "/status");
  const std::string prefix = std::string(field) + ":";
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, prefix.size(), prefix) != 0) continue;
    std::istringstream value(line.substr(prefix.size()));
    std::int64_t kilobytes = 0;
    value >> kilobytes;
    return kilobytes * kib;
  }
  throw std::runtime_error("no " + std::string(field) + " in /proc/" + std::to_string(pid) +
                           "/status");
}

// Resident set size now, and its peak since the process started.
inline std::int64_t rss_bytes(pid_t pid) { return proc_status_bytes(pid, "VmRSS"); }
inline std::int64_t peak_rss_bytes(pid_t pid) { return proc_status_bytes(pid, "VmHWM"); }

inline std::string mib_text(std::int64_t bytes) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(1);
  out << static_cast<double>(bytes) / static_cast<double>(mib) << " MiB";
  return out.str();
}

// CPU time (user + system) the process has used so far, from /proc/PID/stat.
inline std::chrono::duration<double> cpu_time(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name (field 2) is in parentheses and may hold spaces: count from its end.
  const auto close_paren = stat.rfind(')');
  if (close_paren == std::string::npos) throw std::runtime_error("bad /proc/PID/stat: " + stat);
  std::istringstream fields(stat.substr(close_paren + 2));
  std::vector<std::string> f;
  std::string word;
  while (fields >> word) f.push_back(word);
  // After the name: state is field 3, utime field 14 and stime field 15 (1-based).
  if (f.size() < 13) throw std::runtime_error("short /proc/PID/stat: " + stat);
  const double ticks = std::stod(f[11]) + std::stod(f[12]);
  return std::chrono::duration<double>(ticks / static_cast<double>(::sysconf(_SC_CLK_TCK)));
}

// The process's open file descriptors (numbers), from /proc/PID/fd.
inline std::vector<int> open_fds(pid_t pid) {
  std::vector<int> out;
  const std::string path = "/proc/" + std::to_string(pid) + "/fd";
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) throw std::runtime_error("cannot list " + path);
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    out.push_back(std::stoi(entry->d_name));
  }
  ::closedir(dir);
  return out;
}

// Joins the threads when the test body leaves, even through a failed ASSERT (a joinable
// std::thread that is destroyed would end the whole run).
struct join_on_exit {
  std::vector<std::thread>& threads;
  ~join_on_exit() {
    for (auto& t : threads)
      if (t.joinable()) t.join();
  }
};

// Waits (up to `timeout`) for the server to close `client`, then returns every complete line it
// sent. Fails if the connection is still open when the timeout passes.
inline std::vector<std::string> lines_until_closed(test_client& client,
                                                   std::chrono::milliseconds timeout = default_timeout) {
  if (!client.wait_closed(timeout)) {
    throw protocol_failure(client.label() + ": still open after " +
                           std::to_string(timeout.count()) + " ms");
  }
  std::vector<std::string> lines;
  while (auto line = client.read_line(std::chrono::milliseconds(0))) lines.push_back(*line);
  return lines;
}

// For readers of bulk traffic: if `line` is a JSON room message, its seq, found without parsing
// the (long) line; nullopt for any other line, which the caller parses as usual. Relies on the
// encoder's field order ("type" first, "seq" after "text"); inside the escaped text a quote is
// always \", so ,"seq": cannot occur there. A full parse per 3 KB line is what makes such tests
// slow in a debug build.
inline std::optional<std::uint64_t> fast_msg_seq(std::string_view line) {
  constexpr std::string_view prefix = R"({"type":"msg",)";
  constexpr std::string_view seq_key = R"(,"seq":)";
  if (line.substr(0, prefix.size()) != prefix) return std::nullopt;
  const auto at = line.find(seq_key);
  if (at == std::string_view::npos) return std::nullopt;
  std::uint64_t seq = 0;
  std::size_t digits = 0;
  for (std::size_t i = at + seq_key.size(); i < line.size() && line[i] >= '0' && line[i] <= '9';
       ++i, ++digits) {
    seq = seq * 10 + static_cast<std::uint64_t>(line[i] - '0');
  }
  if (digits == 0) return std::nullopt;
  return seq;
}

// Counts the occurrences of `needle` in `text`.
inline std::size_t count_of(std::string_view text, std::string_view needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string_view::npos;
       at = text.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

// True if `text` is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
// Written here, apart from the server's own validator, so the tests do not trust the code they
// check.
inline bool valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char b0 = b(i);
    std::size_t need = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (b0 < 0x80) {
      ++i;
      continue;
    } else if (b0 >= 0xC2 && b0 <= 0xDF) {
      need = 1;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      need = 2;
      if (b0 == 0xE0) lo = 0xA0;
      if (b0 == 0xED) hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      need = 3;
      if (b0 == 0xF0) lo = 0x90;
      if (b0 == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    for (std::size_t k = 1; k <= need; ++k) {
      if (i + k >= text.size()) return false;
      const unsigned char c = b(i + k);
      if (c < lo || c > hi) return false;
      lo = 0x80;
      hi = 0xBF;
    }
    i += need + 1;
  }
  return true;
}

// True if `text` (valid UTF-8) holds nothing a terminal would act on: no C0 control but TAB, no
// DEL, no ESC and no C1 control (U+0080..U+009F, encoded as C2 80..C2 9F).
inline bool terminal_safe(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\t') || c == 0x7F) return false;
    if (c == 0xC2 && i + 1 < text.size()) {
      const auto next = static_cast<unsigned char>(text[i + 1]);
      if (next >= 0x80 && next <= 0x9F) return false;
    }
  }
  return true;
}

}  // namespace chatd::integration
