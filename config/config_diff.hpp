// What differs between two configurations, key by key: a reload logs it and decides from it
// what can apply live (everything but the listeners).
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"

namespace chatd {

struct config_change {
  std::string key;        // dotted name, e.g. "limits.rate"
  std::string old_value;  // as the config file would spell it
  std::string new_value;
};

// Every key whose value differs, in the order of deploy/chatd.yaml.
std::vector<config_change> diff_config(const config& before, const config& after);

// True for keys that name a listening address: they are bound once at start.
bool is_listener_key(const std::string& key);

// "limits.rate 10 -> 20, log.level info -> debug" (empty for no changes).
std::string describe_changes(const std::vector<config_change>& changes);

}  // namespace chatd
