// Reading and validating the YAML configuration file.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "config/config.hpp"

namespace chatd {

// One line that names the file, the line, the key, the bad value and what was expected, e.g.
// "chatd.yaml:7: limits.rate: expected a positive number, got 'fast'".
class config_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses YAML text on top of `base` (normally the defaults). `source` names the text in errors.
// Throws config_error for: YAML syntax errors, unknown sections or keys, wrong types,
// out-of-range numbers, unparsable durations ("60s", "500ms", "10m", "1h", or a plain number of
// seconds), sizes ("4096", "64KiB", "1MiB", "1GiB", "10kB", "1MB") and addresses.
config load_config_text(std::string_view yaml_text, std::string_view source, config base = {});

// Reads `path` and calls load_config_text. A missing or unreadable file is a config_error too.
config load_config_file(const std::string& path, config base = {});

// Checks relations between keys (e.g. history_replay <= history); throws config_error.
void validate(const config& cfg);

}  // namespace chatd
