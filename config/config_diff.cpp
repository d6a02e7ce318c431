#include "config/config_diff.hpp"

#include "config/config_keys.hpp"

namespace chatd {

std::vector<config_change> diff_config(const config& before, const config& after) {
  std::vector<config_change> changes;
  for (const auto& key : config_detail::all_keys()) {
    std::string old_value = key.get(before);
    std::string new_value = key.get(after);
    if (old_value != new_value)
      changes.push_back({key.name, std::move(old_value), std::move(new_value)});
  }
  return changes;
}

bool is_listener_key(const std::string& key) { return key.starts_with("listen."); }

std::string describe_changes(const std::vector<config_change>& changes) {
  std::string out;
  for (const auto& c : changes) {
    if (!out.empty()) out += ", ";
    out += c.key + " " + config_detail::quote_value(c.old_value) + " -> " +
           config_detail::quote_value(c.new_value);
  }
  return out;
}

}  // namespace chatd
