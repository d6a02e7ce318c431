// spdlog set-up from the log section of the config.
#pragma once

#include <memory>
#include <string_view>

#include <spdlog/common.h>
#include <spdlog/formatter.h>

#include "config/config.hpp"

namespace chatd {

// Replaces the default logger with one writing to stderr in the configured format and level.
// When stderr is systemd's journal (see stderr_is_journal), every line starts with its syslog
// priority ("<6>" for info, ...) so that journald records the level, and the text format leaves
// out the timestamp of the default pattern (journald adds its own).
void setup_logging(const log_config& cfg);

// Sets the level of the default logger from now on: trace, debug, info, warn, error, critical
// or off (the values of log.level). Throws std::invalid_argument for any other name, leaving the
// level as it was.
void set_log_level(std::string_view level);

// The formatter setup_logging installs: JSON lines when cfg.format is "json", else cfg.pattern
// (or, with `journal`, the default pattern without its timestamp); with `journal`, each line is
// prefixed with its syslog priority.
std::unique_ptr<spdlog::formatter> make_log_formatter(const log_config& cfg, bool journal);

// The level as written in a JSON log line (the names log.level accepts: "warn", not "warning").
std::string_view json_level_name(spdlog::level::level_enum level) noexcept;

// The syslog priority for a level, as sd-daemon.h numbers them: 7 debug (and trace), 6 info,
// 4 warning, 3 error, 2 critical.
int syslog_priority(spdlog::level::level_enum level) noexcept;

// True when the JOURNAL_STREAM environment variable names the device and inode of stderr, which
// is how systemd tells a service that its stderr goes to the journal.
bool stderr_is_journal();

}  // namespace chatd
