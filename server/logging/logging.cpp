#include "server/logging/logging.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <stdexcept>
#include <string>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "server/logging/log_format.hpp"

namespace chatd {

namespace {

// The default log.pattern, and what replaces it under journald: the journal keeps the time.
constexpr std::string_view default_pattern = "%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v";
constexpr std::string_view journal_pattern = "%l %v";

// One JSON object per line (see append_json_log_line).
class json_formatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    using namespace std::chrono;
    const auto since_epoch = msg.time.time_since_epoch();
    const auto seconds = duration_cast<std::chrono::seconds>(since_epoch);
    const std::time_t t = static_cast<std::time_t>(seconds.count());
    if (!have_tm_ || t != cached_second_) {
      ::localtime_r(&t, &cached_tm_);
      cached_second_ = t;
      have_tm_ = true;
    }
    const auto millis =
        static_cast<int>(duration_cast<milliseconds>(since_epoch - seconds).count());
    time_text_ = format_log_time(cached_tm_, millis, cached_tm_.tm_gmtoff);

    line_.clear();
    append_json_log_line(line_, time_text_, json_level_name(msg.level),
                         std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(line_.data(), line_.data() + line_.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<json_formatter>();
  }

 private:
  bool have_tm_ = false;
  std::time_t cached_second_ = 0;
  std::tm cached_tm_{};
  std::string time_text_;
  std::string line_;
};

// Puts "<N>" (the line's syslog priority) in front of what `inner` writes; journald takes the
// prefix off and records N as the entry's priority.
class journal_formatter final : public spdlog::formatter {
 public:
  explicit journal_formatter(std::unique_ptr<spdlog::formatter> inner) : inner_(std::move(inner)) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const char prefix[] = {'<', static_cast<char>('0' + syslog_priority(msg.level)), '>'};
    dest.append(prefix, prefix + sizeof prefix);
    inner_->format(msg, dest);
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<journal_formatter>(inner_->clone());
  }

 private:
  std::unique_ptr<spdlog::formatter> inner_;
};

std::optional<spdlog::level::level_enum> level_from_name(std::string_view name) {
  using spdlog::level::level_enum;
  if (name == "trace") return level_enum::trace;
  if (name == "debug") return level_enum::debug;
  if (name == "info") return level_enum::info;
  if (name == "warn") return level_enum::warn;
  if (name == "error") return level_enum::err;
  if (name == "critical") return level_enum::critical;
  if (name == "off") return level_enum::off;
  return std::nullopt;
}

spdlog::level::level_enum parse_level(std::string_view name) {
  const auto level = level_from_name(name);
  if (!level) {
    throw std::invalid_argument("unknown log level \"" + std::string(name) +
                                "\" (expected trace, debug, info, warn, error, critical or off)");
  }
  return *level;
}

}  // namespace

std::string_view json_level_name(spdlog::level::level_enum level) noexcept {
  switch (level) {
    case spdlog::level::trace: return "trace";
    case spdlog::level::debug: return "debug";
    case spdlog::level::info: return "info";
    case spdlog::level::warn: return "warn";
    case spdlog::level::err: return "error";
    case spdlog::level::critical: return "critical";
    default: return "off";
  }
}

int syslog_priority(spdlog::level::level_enum level) noexcept {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug: return 7;  // LOG_DEBUG
    case spdlog::level::info: return 6;   // LOG_INFO
    case spdlog::level::warn: return 4;   // LOG_WARNING
    case spdlog::level::err: return 3;    // LOG_ERR
    default: return 2;                    // LOG_CRIT
  }
}

bool stderr_is_journal() {
  const char* value = std::getenv("JOURNAL_STREAM");
  if (value == nullptr) return false;
  const auto id = parse_journal_stream(value);
  if (!id) return false;
  struct stat st {};
  if (::fstat(STDERR_FILENO, &st) != 0) return false;
  return static_cast<std::uint64_t>(st.st_dev) == id->device &&
         static_cast<std::uint64_t>(st.st_ino) == id->inode;
}

std::unique_ptr<spdlog::formatter> make_log_formatter(const log_config& cfg, bool journal) {
  std::unique_ptr<spdlog::formatter> formatter;
  if (cfg.format == "json") {
    formatter = std::make_unique<json_formatter>();
  } else {
    const bool drop_time = journal && cfg.pattern == default_pattern;
    formatter = std::make_unique<spdlog::pattern_formatter>(
        drop_time ? std::string(journal_pattern) : cfg.pattern);
  }
  if (journal) formatter = std::make_unique<journal_formatter>(std::move(formatter));
  return formatter;
}

void setup_logging(const log_config& cfg) {
  auto logger = std::make_shared<spdlog::logger>(
      "chatd", std::make_shared<spdlog::sinks::stderr_sink_st>());
  logger->set_formatter(make_log_formatter(cfg, stderr_is_journal()));
  logger->set_level(parse_level(cfg.level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(std::move(logger));
}

void set_log_level(std::string_view level) {
  spdlog::default_logger()->set_level(parse_level(level));
}

}  // namespace chatd
