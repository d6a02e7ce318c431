// spdlog set-up from the log section of the config.
#pragma once

#include "config/config.hpp"

namespace chatd {

// Replaces the default logger with one writing to stderr in the configured format and level.
void setup_logging(const log_config& cfg);

}  // namespace chatd
