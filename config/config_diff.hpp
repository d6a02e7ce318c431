// What differs between two configurations, key by key: a reload logs it and decides from it
// what can apply live (everything but the listeners and the cluster).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace chatd {

struct config_change {
  std::string key;        // dotted name, e.g. "limits.rate"
  std::string old_value;  // as the config file would spell it; a secret as "(hidden)"
  std::string new_value;
};

// Every key whose value differs, in the order of deploy/chatd.yaml.
std::vector<config_change> diff_config(const config& before, const config& after);

// Why a change of `key` waits for a restart, e.g. "listeners are bound once; restart chatd to
// move it", or nullopt if a reload applies it at once.
std::optional<std::string_view> restart_reason(std::string_view key);

// Puts the running values back into `next` for every key that restart_reason names, so that a
// reload keeps them until the restart.
void keep_restart_values(config& next, const config& running);

// "limits.rate 10 -> 20, log.level info -> debug" (empty for no changes).
std::string describe_changes(const std::vector<config_change>& changes);

}  // namespace chatd
