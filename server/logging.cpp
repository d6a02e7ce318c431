#include "server/logging.hpp"

#include <memory>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace chatd {

void setup_logging(const log_config& cfg) {
  auto logger = std::make_shared<spdlog::logger>(
      "chatd", std::make_shared<spdlog::sinks::stderr_sink_st>());
  logger->set_pattern(cfg.pattern);
  logger->set_level(spdlog::level::from_str(cfg.level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace chatd
