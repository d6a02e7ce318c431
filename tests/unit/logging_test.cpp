#include "server/logging/logging.hpp"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

namespace chatd {
namespace {

using nlohmann::json;

// A logger writing into a string stream through the formatter setup_logging would install.
struct captured_logger {
  explicit captured_logger(const log_config& cfg, bool journal) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out);
    logger = std::make_shared<spdlog::logger>("test", std::move(sink));
    logger->set_formatter(make_log_formatter(cfg, journal));
    logger->set_level(spdlog::level::trace);
  }
  std::ostringstream out;
  std::shared_ptr<spdlog::logger> logger;
};

log_config json_config() {
  log_config cfg;
  cfg.format = "json";
  return cfg;
}

TEST(JsonLogFormat, WritesOneObjectPerLineWithTimeLevelAndMessage) {
  captured_logger log(json_config(), false);
  log.logger->info("conn {} open peer={}", 3, "127.0.0.1:5555");
  log.logger->warn("say \"{}\"\n", "hi");
  log.logger->error("bad byte \xFF here");

  std::istringstream lines(log.out.str());
  std::string line;
  std::vector<json> parsed;
  while (std::getline(lines, line)) parsed.push_back(json::parse(line));
  ASSERT_EQ(parsed.size(), 3u) << log.out.str();

  static const std::regex time(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2})");
  for (const auto& object : parsed) {
    ASSERT_TRUE(object["time"].is_string());
    EXPECT_TRUE(std::regex_match(object["time"].get<std::string>(), time)) << object.dump();
  }
  EXPECT_EQ(parsed[0]["level"], "info");
  EXPECT_EQ(parsed[0]["msg"], "conn 3 open peer=127.0.0.1:5555");
  EXPECT_EQ(parsed[0]["conn"], 3);
  EXPECT_EQ(parsed[0]["peer"], "127.0.0.1:5555");
  EXPECT_EQ(parsed[1]["level"], "warn");
  EXPECT_EQ(parsed[1]["msg"], "say \"hi\"\n");
  EXPECT_EQ(parsed[2]["level"], "error");
  EXPECT_EQ(parsed[2]["msg"], "bad byte \xEF\xBF\xBD here");
}

TEST(JsonLogFormat, NamesEveryLevelAsLogLevelDoes) {
  captured_logger log(json_config(), false);
  log.logger->trace("t");
  log.logger->debug("d");
  log.logger->critical("c");
  std::istringstream lines(log.out.str());
  std::string line;
  std::vector<std::string> levels;
  while (std::getline(lines, line)) levels.push_back(json::parse(line)["level"]);
  EXPECT_EQ(levels, (std::vector<std::string>{"trace", "debug", "critical"}));
}

TEST(TextLogFormat, UsesThePatternAndUnderJournaldDropsTheTimeAndAddsThePriority) {
  log_config cfg;  // default pattern, text
  {
    captured_logger log(cfg, false);
    log.logger->info("hello");
    static const std::regex line(
        R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2} info hello\n)");
    EXPECT_TRUE(std::regex_match(log.out.str(), line)) << log.out.str();
  }
  {
    captured_logger log(cfg, true);
    log.logger->info("hello");
    log.logger->warn("careful");
    log.logger->error("broken");
    log.logger->critical("dead");
    log.logger->debug("detail");
    EXPECT_EQ(log.out.str(),
              "<6>info hello\n<4>warning careful\n<3>error broken\n<2>critical dead\n"
              "<7>debug detail\n");
  }
  {
    cfg.pattern = "[%l] %v";  // an operator's own pattern is kept as it is
    captured_logger log(cfg, true);
    log.logger->info("hello");
    EXPECT_EQ(log.out.str(), "<6>[info] hello\n");
  }
}

TEST(JsonLogFormat, UnderJournaldGetsThePriorityPrefix) {
  captured_logger log(json_config(), true);
  log.logger->warn("careful");
  const std::string out = log.out.str();
  ASSERT_EQ(out.rfind("<4>{", 0), 0u) << out;
  const json parsed = json::parse(out.substr(3));
  EXPECT_EQ(parsed["level"], "warn");
  EXPECT_EQ(parsed["msg"], "careful");
}

TEST(SyslogPriority, FollowsSdDaemonNumbers) {
  EXPECT_EQ(syslog_priority(spdlog::level::trace), 7);
  EXPECT_EQ(syslog_priority(spdlog::level::debug), 7);
  EXPECT_EQ(syslog_priority(spdlog::level::info), 6);
  EXPECT_EQ(syslog_priority(spdlog::level::warn), 4);
  EXPECT_EQ(syslog_priority(spdlog::level::err), 3);
  EXPECT_EQ(syslog_priority(spdlog::level::critical), 2);
}

// Sets JOURNAL_STREAM for one test and puts the old value back.
class JournalStreamEnv : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* old = std::getenv("JOURNAL_STREAM")) saved_ = old;
  }
  void TearDown() override {
    if (saved_) {
      ::setenv("JOURNAL_STREAM", saved_->c_str(), 1);
    } else {
      ::unsetenv("JOURNAL_STREAM");
    }
  }
  std::optional<std::string> saved_;
};

TEST_F(JournalStreamEnv, IsDetectedOnlyWhenItNamesStderr) {
  struct stat st {};
  ASSERT_EQ(::fstat(STDERR_FILENO, &st), 0);
  const std::string dev = std::to_string(st.st_dev);
  const std::string ino = std::to_string(st.st_ino);

  ::unsetenv("JOURNAL_STREAM");
  EXPECT_FALSE(stderr_is_journal());
  ::setenv("JOURNAL_STREAM", (dev + ":" + ino).c_str(), 1);
  EXPECT_TRUE(stderr_is_journal());
  // Inherited from a parent whose stderr was the journal, while ours is not: no match.
  ::setenv("JOURNAL_STREAM", (dev + ":" + std::to_string(st.st_ino + 1)).c_str(), 1);
  EXPECT_FALSE(stderr_is_journal());
  ::setenv("JOURNAL_STREAM", "garbage", 1);
  EXPECT_FALSE(stderr_is_journal());
}

// Installs a default logger that writes into a string, as setup_logging would, for one test.
class LiveLevel : public ::testing::Test {
 protected:
  void SetUp() override {
    saved_ = spdlog::default_logger();
    auto logger = std::make_shared<spdlog::logger>(
        "chatd", std::make_shared<spdlog::sinks::ostream_sink_st>(out_));
    logger->set_pattern("%l %v");
    logger->set_level(spdlog::level::info);
    spdlog::set_default_logger(std::move(logger));
  }
  void TearDown() override { spdlog::set_default_logger(saved_); }

  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> saved_;
};

TEST_F(LiveLevel, ChangesWhatTheDefaultLoggerWritesFromNowOn) {
  spdlog::debug("hidden");
  set_log_level("debug");
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::debug);
  spdlog::debug("shown");
  set_log_level("warn");
  spdlog::info("hidden too");
  spdlog::warn("still shown");
  set_log_level("off");
  spdlog::critical("nothing");
  set_log_level("trace");
  spdlog::trace("everything");
  EXPECT_EQ(out_.str(), "debug shown\nwarning still shown\ntrace everything\n");
}

TEST_F(LiveLevel, RefusesUnknownNamesAndKeepsTheLevel) {
  set_log_level("error");
  for (const char* bad : {"", "verbose", "warning", "INFO", "err", "info "}) {
    EXPECT_THROW(set_log_level(bad), std::invalid_argument) << bad;
    EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::err) << bad;
  }
}

TEST(SetupLogging, InstallsTheConfiguredLevelAndFormat) {
  const auto saved = spdlog::default_logger();
  log_config cfg = json_config();
  cfg.level = "warn";
  setup_logging(cfg);
  EXPECT_EQ(spdlog::default_logger()->name(), "chatd");
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::warn);
  set_log_level("debug");
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::debug);
  spdlog::set_default_logger(saved);
}

}  // namespace
}  // namespace chatd
