#include "config/config_diff.hpp"

#include "config/config_keys.hpp"

namespace chatd {

std::vector<config_change> diff_config(const config& before, const config& after) {
  std::vector<config_change> changes;
  for (const auto& key : config_detail::all_keys()) {
    if (key.get(before) != key.get(after)) {
      changes.push_back({key.name, config_detail::shown_value(key, before),
                         config_detail::shown_value(key, after)});
    }
  }
  return changes;
}

std::optional<std::string_view> restart_reason(std::string_view key) {
  // Who may send a PROXY header is asked at each accept: a reload applies it to the next
  // connection, and connections already open keep the address they were given.
  if (key == "listen.proxy_protocol") return std::nullopt;
  if (key.starts_with("listen.")) return "listeners are bound once; restart chatd to move it";
  // The node joined the cluster with these: its name, its stream and buckets, its connection.
  // Changing them under running clients would split the node from its own state.
  if (key.starts_with("cluster.")) {
    return "the cluster is joined once, at start; restart chatd to apply it";
  }
  return std::nullopt;
}

// The sections restart_reason names, each whole but for listen.proxy_protocol.
void keep_restart_values(config& next, const config& running) {
  auto proxy_protocol = std::move(next.listen.proxy_protocol);
  next.listen = running.listen;
  next.listen.proxy_protocol = std::move(proxy_protocol);
  next.cluster = running.cluster;
}

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
