// The table of every config key: its dotted name, its accepted values, and how to read and print
// it. The YAML loader, the command-line overrides and validate() all go through this one table,
// so a key's range and its error message are defined exactly once.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace chatd::config_detail {

struct config_key {
  std::string name;      // dotted, e.g. "limits.rate"
  std::string expected;  // what a valid value looks like: "expected a positive number ..."
  // Reads `text` into `cfg`. Returns nullopt on success, else the "expected ..." part of the
  // error message; `cfg` is then unchanged.
  std::function<std::optional<std::string>(std::string_view text, config& cfg)> set;
  // The key's current value as text that `set` reads back to the same value.
  std::function<std::string(const config& cfg)> get;
  // The YAML file may also give a list: each item is one value, and `set` reads them joined
  // with commas, as a flag gives them.
  bool list = false;
  // Never shown in messages or logs (see shown_value).
  bool secret = false;
};

// Every key, grouped by section in the order of deploy/chatd.yaml.
const std::vector<config_key>& all_keys();

// The key named `dotted_name`, or nullptr.
const config_key* find_key(std::string_view dotted_name);

// True for a name with keys under it: "listen", "log", "limits", "rooms", "cluster", and the
// subsection "cluster.tls".
bool is_section(std::string_view name);

// The names one level below `section` ("" for the top-level sections), in the order of
// deploy/chatd.yaml, e.g. "ca", "cert", "key" for "cluster.tls".
std::vector<std::string> names_under(std::string_view section);

// The value of `key` as messages and logs may show it: as `get` gives it, except that a secret
// that is set shows as "(hidden)".
std::string shown_value(const config_key& key, const config& cfg);

// This host's name made a valid cluster.node: see default_node_name in config.hpp.
std::string node_name_from_host(std::string_view host_name);

// A rule between two keys, checked once all keys are set because the file may give them in
// any order. `key` is the one blamed in the message, `other` the one it is compared with.
struct key_relation {
  std::string key;
  std::string other;
  // nullopt if the rule holds, else e.g. "expected at most rooms.history (10)".
  std::function<std::optional<std::string>(const config& cfg)> check;
};

const std::vector<key_relation>& all_relations();

// A hint for an unknown name: "; did you mean 'max_connections'?" for a misspelt key in
// `section`, or for a section name when `section` is empty. Empty when nothing is close.
std::string suggest(std::string_view section, std::string_view name);

// A value as shown after "got" in an error: in single quotes, control characters escaped so
// the message stays on one line, and cut at 80 characters.
std::string quote_value(std::string_view value);

}  // namespace chatd::config_detail
