// The command line: where the config comes from, and flags that override it.
#pragma once

#include <optional>
#include <string>

#include "config/config.hpp"

namespace chatd {

struct command_line {
  std::optional<std::string> config_path;     // --config FILE
  bool check_config = false;                  // --check-config: validate, print a line, exit
  bool health_check = false;                  // --health-check: ask /healthz, exit 0 if serving
  std::optional<std::string> listen;          // --listen ADDR       (listen.chat)
  std::optional<std::string> metrics_listen;  // --metrics-listen ADDR ("" disables)
  std::optional<std::string> log_level;       // --log-level LEVEL
  std::optional<std::string> log_format;      // --log-format text|json
  std::optional<std::string> cluster_nats;    // --cluster-nats URL,URL ("" = standalone)
  std::optional<std::string> cluster_node;    // --cluster-node NAME
};

// Parses argv with CLI11. Returns nullopt after handling the command line fully itself
// (--help, --version, or a usage error printed to stderr); `exit_code` then says how to exit
// (0 for --help/--version, 2 for usage errors).
std::optional<command_line> parse_command_line(int argc, const char* const* argv,
                                               int& exit_code);

// Loads the file named on the command line (if any) over the defaults, applies the flag
// overrides, and validates the result. Throws config_error with a one-line message; a bad flag
// value names the flag ("--listen: ...").
config resolve_config(const command_line& cli);

}  // namespace chatd
