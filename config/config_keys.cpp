#include "config/config_keys.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <initializer_list>
#include <numeric>
#include <utility>
#include <variant>

#include "config/address.hpp"
#include "config/units.hpp"
#include "protocol/names.hpp"

// Accepted values. Bounds are wide enough for any real deployment and narrow enough to catch
// typos (an extra zero, a size in bits) before they become an outage.
//
// | key                           | default        | accepted                                  |
// |-------------------------------|----------------|-------------------------------------------|
// | listen.chat                   | 0.0.0.0:7000   | host:port, numeric IP (no DNS at startup) |
// | listen.metrics                | 127.0.0.1:9102 | host:port, or "" = off                    |
// | listen.chat_tls               | "" = off       | host:port; needs tls.cert and tls.key     |
// | listen.proxy_protocol         | [] none        | IP addresses and CIDR ranges              |
// | log.level                     | info           | trace debug info warn error critical off  |
// | log.format                    | text           | text, json                                |
// | log.pattern                   | spdlog pattern | any non-empty text                        |
// | log.slow_loop                 | 100ms          | 0 (off) or 1ms .. 1h                      |
// | limits.max_line_bytes         | 4096           | 64 .. 1MiB (64 fits any command)          |
// | limits.max_connections        | 10000          | 1 .. 1000000 (beyond any fd limit)        |
// | limits.max_connections_per_ip | 64             | 1 .. 1000000 (above max_connections: no effect) |
// | limits.register_timeout       | 60s            | 1s .. 1h                                  |
// | limits.idle_timeout           | 600s           | 0 (off) or 1s .. 7d                       |
// | limits.rate                   | 10             | > 0 .. 1000000 msg/s, fractions allowed   |
// | limits.burst                  | 20             | 1 .. 1000000 (0 would refuse everything)  |
// | limits.max_outbound_bytes     | 1MiB           | 4KiB .. 1GiB and >= max_line_bytes, so a  |
// |                               |                | line we accept can reach every member     |
// | limits.max_rooms              | 10000          | 1 .. 1000000                              |
// | limits.max_rooms_per_client   | 32             | 1 .. 10000                                |
// | limits.nick_max               | 24             | 1 .. 64 (a nick prefixes every line)      |
// | limits.shutdown_grace         | 5s             | 0 .. 10m (past systemd's stop timeout)    |
// | limits.drain_period           | 30s            | 1s .. 1h (a balancer needs a moment)      |
// | rooms.default                 | lobby          | room name, or "" = no automatic join      |
// | rooms.history                 | 50             | 0 .. 100000 (memory: rooms x history)     |
// | rooms.history_replay          | 20             | 0 .. history                              |
// | rooms.presence_delay          | 100ms          | 0 (at once) .. 10s                        |
// | rooms.presence_max_members    | 1000           | 0 (no limit) or 1 .. 1000000              |
// | rooms.keep_empty              | 10m            | 0 (removed at once) .. 7d                 |
// | cluster.nats                  | "" standalone  | nats://, tls:// or bare host:port URLs    |
// | cluster.node                  | the host name, | 1 .. 64 of A-Z a-z 0-9 _ - (NATS names)   |
// |                               | folded to fit  |                                           |
// | cluster.replicas              | 3              | 1 .. 5 (JetStream's own limit)            |
// | cluster.prefix                | chatd          | 1 .. 32 of A-Z a-z 0-9 _ - (NATS names)   |
// | cluster.credentials           | ""             | a path; not with user or password         |
// | cluster.user, .password       | ""             | any text; a password needs a user         |
// | cluster.tls.ca, .cert, .key   | ""             | paths; cert and key both or neither       |
// | cluster.publish_timeout       | 2s             | 100ms .. 60s                              |
// | cluster.node_timeout          | 15s            | 3s .. 30s                                 |
// | cluster.purge_after           | 30m            | 1s .. 7d                                  |
// | tls.cert, tls.key             | ""             | paths of PEM files (checked at load)      |
// | tls.min_version               | 1.2            | 1.2, 1.3                                  |
// | tls.handshake_timeout         | 10s            | 1s .. 5m                                  |
//
// listen.metrics must also not take listen.chat's port on the same or a wildcard host.
// Sizes: bare bytes or B; kB/MB/GB are powers of 1000, KiB/MiB/GiB powers of 1024; "KB" is
// refused as ambiguous. Durations: ms, s, m, h, d, or a bare integer of seconds; whole numbers.

namespace chatd::config_detail {
namespace {

using std::chrono::milliseconds;
using namespace std::chrono_literals;

// Names one field of `config`, e.g. field{&config::limits, &limits_config::rate}.
template <class Section, class T>
struct field {
  Section config::*section;
  T Section::*member;
  T& operator()(config& cfg) const { return cfg.*section.*member; }
  const T& operator()(const config& cfg) const { return cfg.*section.*member; }
};

// Names one field of a subsection, e.g. nested_field{&config::cluster, &cluster_config::tls,
// &cluster_tls_config::ca}.
template <class Section, class Sub, class T>
struct nested_field {
  Section config::*section;
  Sub Section::*sub;
  T Sub::*member;
  T& operator()(config& cfg) const { return cfg.*section.*sub.*member; }
  const T& operator()(const config& cfg) const { return cfg.*section.*sub.*member; }
};

// Text <-> value for the ranged kinds: counts, sizes and durations.
template <class T>
struct number_text {
  std::optional<T> (*parse)(std::string_view);
  std::string (*format)(T);
};

std::string count_text(std::size_t value) { return std::to_string(value); }

constexpr number_text<std::size_t> count_kind{parse_count, count_text};
constexpr number_text<std::size_t> size_kind{parse_size, format_size};
constexpr number_text<milliseconds> duration_kind{parse_duration, format_duration};

// A key whose value must be `lo`..`hi`, or exactly zero when `zero_means_off`.
template <class Section, class T>
config_key ranged_key(std::string name, field<Section, T> at, number_text<T> kind, T lo, T hi,
                      std::string expected, bool zero_means_off = false) {
  return config_key{
      std::move(name), expected,
      [=](std::string_view text, config& cfg) -> std::optional<std::string> {
        const std::optional<T> value = kind.parse(text);
        const bool off = zero_means_off && value && *value == T{};
        if (!value || (!off && (*value < lo || *value > hi))) return expected;
        at(cfg) = *value;
        return std::nullopt;
      },
      [=](const config& cfg) { return kind.format(at(cfg)); }};
}

template <class Section>
config_key count_key(std::string name, field<Section, std::size_t> at, std::size_t lo,
                     std::size_t hi) {
  return ranged_key(std::move(name), at, count_kind, lo, hi,
                    "expected an integer from " + count_text(lo) + " to " + count_text(hi));
}

config_key size_key(std::string name, field<limits_config, std::size_t> at, std::size_t lo,
                    std::size_t hi) {
  config_key key = ranged_key(std::move(name), at, size_kind, lo, hi,
                              "expected a size from " + format_size(lo) + " to " +
                                  format_size(hi) + ", e.g. 4096, 64KiB, 1MiB or 10kB");
  // "KB" is the one unit people write that we refuse on purpose; say why instead of listing.
  key.set = [plain = std::move(key.set)](std::string_view text, config& cfg) {
    auto error = plain(text, cfg);
    if (error && text.ends_with("KB")) {
      *error = "expected KiB (1024 bytes) or kB (1000 bytes), since KB is ambiguous";
    }
    return error;
  };
  return key;
}

template <class Section>
config_key duration_key(std::string name, field<Section, milliseconds> at, milliseconds lo,
                        milliseconds hi, bool zero_means_off = false) {
  std::string expected =
      zero_means_off ? "expected 0 (off) or a duration from " : "expected a duration from ";
  expected += format_duration(lo);
  expected += " to " + format_duration(hi) + ", e.g. 500ms, 60s, 10m or 1h";
  return ranged_key(std::move(name), at, duration_kind, lo, hi, std::move(expected),
                    zero_means_off);
}

config_key rate_key(std::string name, field<limits_config, double> at, double hi) {
  std::string expected =
      "expected a positive number up to " + format_number(hi) + ", e.g. 10 or 0.5";
  return config_key{
      std::move(name), expected,
      [=](std::string_view text, config& cfg) -> std::optional<std::string> {
        const auto value = parse_number(text);
        if (!value || !(*value > 0) || *value > hi) return expected;
        at(cfg) = *value;
        return std::nullopt;
      },
      [=](const config& cfg) { return format_number(at(cfg)); }};
}

// A key kept as the text it was given, if `valid` accepts it.
template <class At>
config_key text_key(std::string name, At at, std::string expected,
                    std::function<bool(std::string_view)> valid) {
  return config_key{
      std::move(name), expected,
      [=](std::string_view text, config& cfg) -> std::optional<std::string> {
        if (!valid(text)) return expected;
        at(cfg) = std::string(text);
        return std::nullopt;
      },
      [=](const config& cfg) { return at(cfg); }};
}

bool any_text(std::string_view) { return true; }

template <class Section>
config_key choice_key(std::string name, field<Section, std::string> at,
                      std::initializer_list<std::string_view> choices) {
  std::string expected = "expected one of";
  for (std::string_view choice : choices) {
    expected += ' ';
    expected += choice;
    expected += ',';
  }
  expected.pop_back();
  return text_key(std::move(name), at, std::move(expected),
                  [allowed = std::vector<std::string_view>(choices)](std::string_view text) {
                    return std::find(allowed.begin(), allowed.end(), text) != allowed.end();
                  });
}

config_key pattern_key() {
  return text_key("log.pattern", field{&config::log, &log_config::pattern},
                  "expected a non-empty spdlog pattern",
                  [](std::string_view text) { return !text.empty(); });
}

// Node names and the prefix go into NATS subjects, stream and bucket names, where '.', '*',
// '>' and spaces mean something or are refused.
config_key name_token_key(std::string name, field<cluster_config, std::string> at,
                          std::size_t max_len, std::string_view what) {
  return text_key(std::move(name), at,
                  "expected " + std::string(what) + " of 1 to " + std::to_string(max_len) +
                      " of A-Z, a-z, 0-9, _ and -",
                  [=](std::string_view text) { return protocol::is_name_token(text, max_len); });
}

constexpr std::size_t max_node_name_len = 64;
// Shorter than a node name: it goes into the stream and bucket names together with more text.
constexpr std::size_t max_prefix_len = 32;

// A YAML list arrives here joined with commas (config_key::list), so one parser serves the
// file, --cluster-nats and validate().
config_key nats_urls_key() {
  config_key key{
      "cluster.nats",
      "expected NATS server URLs, each nats://host:port, tls://host:port or host:port, as a list "
      "or separated by commas, or \"\" for none (standalone)",
      [](std::string_view text, config& cfg) -> std::optional<std::string> {
        std::vector<std::string> urls;
        const bool several = text.find(',') != std::string_view::npos;
        for (std::size_t begin = 0; !text.empty() && begin <= text.size();) {
          const std::size_t end = std::min(text.find(',', begin), text.size());
          const std::string_view url = text.substr(begin, end - begin);
          if (auto error = check_nats_url(url)) {
            // Among several, say which one is wrong; "got" shows them all.
            return several ? *error + " (in " + quote_value(url) + ")" : *error;
          }
          urls.emplace_back(url);
          begin = end + 1;
        }
        cfg.cluster.nats = std::move(urls);
        return std::nullopt;
      },
      [](const config& cfg) {
        std::string text;
        for (const std::string& url : cfg.cluster.nats) {
          if (!text.empty()) text += ',';
          text += url;
        }
        return text;
      }};
  key.list = true;
  return key;
}

config_key password_key() {
  config_key key = text_key("cluster.password", field{&config::cluster, &cluster_config::password},
                            "expected a password, or \"\" for none", any_text);
  key.secret = true;
  return key;
}

config_key chat_address_key() {
  return config_key{
      "listen.chat",
      "expected host:port with a numeric IP address, e.g. 0.0.0.0:7000 or [::]:7000",
      [](std::string_view text, config& cfg) -> std::optional<std::string> {
        auto parsed = parse_listen_address(text);
        if (auto* error = std::get_if<std::string>(&parsed)) return std::move(*error);
        cfg.listen.chat = std::get<listen_address>(std::move(parsed));
        return std::nullopt;
      },
      [](const config& cfg) { return cfg.listen.chat.to_string(); }};
}

// "" turns the metrics listener off and keeps the address, so a later flag can turn it back on.
config_key metrics_address_key() {
  return config_key{
      "listen.metrics",
      "expected host:port with a numeric IP address, e.g. 127.0.0.1:9102, or \"\" to disable",
      [](std::string_view text, config& cfg) -> std::optional<std::string> {
        if (text.empty()) {
          cfg.listen.metrics_enabled = false;
          return std::nullopt;
        }
        auto parsed = parse_listen_address(text);
        if (auto* error = std::get_if<std::string>(&parsed)) return std::move(*error);
        cfg.listen.metrics = std::get<listen_address>(std::move(parsed));
        cfg.listen.metrics_enabled = true;
        return std::nullopt;
      },
      [](const config& cfg) {
        return cfg.listen.metrics_enabled ? cfg.listen.metrics.to_string() : std::string();
      }};
}

// "" (the default) leaves the TLS listener off.
config_key chat_tls_address_key() {
  return config_key{
      "listen.chat_tls",
      "expected host:port with a numeric IP address, e.g. 0.0.0.0:7443, or \"\" for none",
      [](std::string_view text, config& cfg) -> std::optional<std::string> {
        if (text.empty()) {
          cfg.listen.chat_tls_enabled = false;
          return std::nullopt;
        }
        auto parsed = parse_listen_address(text);
        if (auto* error = std::get_if<std::string>(&parsed)) return std::move(*error);
        cfg.listen.chat_tls = std::get<listen_address>(std::move(parsed));
        cfg.listen.chat_tls_enabled = true;
        return std::nullopt;
      },
      [](const config& cfg) {
        return cfg.listen.chat_tls_enabled ? cfg.listen.chat_tls.to_string() : std::string();
      }};
}

// A YAML list arrives joined with commas (config_key::list), as for cluster.nats.
config_key proxy_protocol_key() {
  config_key key{
      "listen.proxy_protocol",
      "expected the addresses of balancers that send a PROXY protocol header, each an IP "
      "address or a CIDR range (10.0.0.0/8, 2001:db8::/32), as a list or separated by commas, "
      "or [] for none",
      [](std::string_view text, config& cfg) -> std::optional<std::string> {
        std::vector<ip_range> ranges;
        const bool several = text.find(',') != std::string_view::npos;
        for (std::size_t begin = 0; !text.empty() && begin <= text.size();) {
          const std::size_t end = std::min(text.find(',', begin), text.size());
          const std::string_view item = text.substr(begin, end - begin);
          auto parsed = parse_ip_range(item);
          if (auto* error = std::get_if<std::string>(&parsed)) {
            return several ? *error + " (in " + quote_value(item) + ")" : *error;
          }
          ranges.push_back(std::get<ip_range>(parsed));
          begin = end + 1;
        }
        cfg.listen.proxy_protocol = std::move(ranges);
        return std::nullopt;
      },
      [](const config& cfg) {
        std::string text;
        for (const ip_range& range : cfg.listen.proxy_protocol) {
          if (!text.empty()) text += ',';
          text += range.to_string();
        }
        return text;
      }};
  key.list = true;
  return key;
}

config_key default_room_key() {
  std::string expected =
      "expected a room name ('#' optional, then 1 to 32 of a-z, 0-9, _ and -), or \"\" for none";
  return config_key{
      "rooms.default", expected,
      [=](std::string_view text, config& cfg) -> std::optional<std::string> {
        if (text.empty()) {
          cfg.rooms.default_room.clear();
          return std::nullopt;
        }
        auto canonical = protocol::normalize_room(text);
        if (!canonical) return expected;
        cfg.rooms.default_room = std::move(*canonical);
        return std::nullopt;
      },
      [](const config& cfg) { return cfg.rooms.default_room; }};
}

std::vector<config_key> make_keys() {
  using L = limits_config;
  using R = rooms_config;
  using C = cluster_config;
  using T = cluster_tls_config;
  const field<L, std::size_t> max_line_bytes{&config::limits, &L::max_line_bytes};
  const field<L, std::size_t> max_outbound_bytes{&config::limits, &L::max_outbound_bytes};
  return {
      chat_address_key(),
      metrics_address_key(),
      chat_tls_address_key(),
      proxy_protocol_key(),
      choice_key<log_config>("log.level", {&config::log, &log_config::level},
                 {"trace", "debug", "info", "warn", "error", "critical", "off"}),
      choice_key<log_config>("log.format", {&config::log, &log_config::format}, {"text", "json"}),
      pattern_key(),
      duration_key<log_config>("log.slow_loop", {&config::log, &log_config::slow_loop}, 1ms, 1h,
                               /*zero_means_off=*/true),
      size_key("limits.max_line_bytes", max_line_bytes, 64, mib),
      count_key("limits.max_connections", field{&config::limits, &L::max_connections}, 1,
                1'000'000),
      count_key("limits.max_connections_per_ip",
                field{&config::limits, &L::max_connections_per_ip}, 1, 1'000'000),
      duration_key<L>("limits.register_timeout", {&config::limits, &L::register_timeout}, 1s, 1h),
      duration_key<L>("limits.idle_timeout", {&config::limits, &L::idle_timeout}, 1s, 24h * 7,
                      /*zero_means_off=*/true),
      rate_key("limits.rate", {&config::limits, &L::rate}, 1e6),
      count_key("limits.burst", field{&config::limits, &L::burst}, 1, 1'000'000),
      size_key("limits.max_outbound_bytes", max_outbound_bytes, 4 * kib, gib),
      count_key("limits.max_rooms", field{&config::limits, &L::max_rooms}, 1, 1'000'000),
      count_key("limits.max_rooms_per_client", field{&config::limits, &L::max_rooms_per_client},
                1, 10'000),
      count_key("limits.nick_max", field{&config::limits, &L::nick_max}, 1, 64),
      duration_key<L>("limits.shutdown_grace", {&config::limits, &L::shutdown_grace}, 0ms, 10min),
      duration_key<L>("limits.drain_period", {&config::limits, &L::drain_period}, 1s, 1h),
      default_room_key(),
      count_key("rooms.history", field{&config::rooms, &R::history}, 0, 100'000),
      count_key("rooms.history_replay", field{&config::rooms, &R::history_replay}, 0, 100'000),
      duration_key<R>("rooms.presence_delay", {&config::rooms, &R::presence_delay}, 0ms, 10s),
      ranged_key("rooms.presence_max_members", field{&config::rooms, &R::presence_max_members},
                 count_kind, std::size_t{1}, std::size_t{1'000'000},
                 "expected 0 (no limit) or an integer from 1 to 1000000",
                 /*zero_means_off=*/true),
      duration_key<R>("rooms.keep_empty", {&config::rooms, &R::keep_empty}, 0ms, 7 * 24h),
      nats_urls_key(),
      name_token_key("cluster.node", {&config::cluster, &C::node}, max_node_name_len,
                     "a node name"),
      // JetStream refuses more than 5 replicas.
      count_key("cluster.replicas", field{&config::cluster, &C::replicas}, 1, 5),
      name_token_key("cluster.prefix", {&config::cluster, &C::prefix}, max_prefix_len, "a prefix"),
      text_key("cluster.credentials", field{&config::cluster, &C::credentials},
               "expected the path of a NATS .creds file, or \"\" for none", any_text),
      text_key("cluster.user", field{&config::cluster, &C::user},
               "expected a user name, or \"\" for none", any_text),
      password_key(),
      text_key("cluster.tls.ca", nested_field{&config::cluster, &C::tls, &T::ca},
               "expected the path of a PEM CA file, or \"\" for none", any_text),
      text_key("cluster.tls.cert", nested_field{&config::cluster, &C::tls, &T::cert},
               "expected the path of a PEM client certificate, or \"\" for none", any_text),
      text_key("cluster.tls.key", nested_field{&config::cluster, &C::tls, &T::key},
               "expected the path of the PEM client key, or \"\" for none", any_text),
      // Below 100ms a store that needs a quorum of replicas fails under ordinary load; past a
      // minute a sender is better told `unavailable` than kept waiting.
      duration_key<C>("cluster.publish_timeout", {&config::cluster, &C::publish_timeout}, 100ms,
                      60s),
      // Below 3s a node that is only slow for a moment (a busy network, a NATS leader change)
      // is taken for gone and its clients quit for nothing; past 30s the clients and nicks of a
      // node that died stay for too long.
      duration_key<C>("cluster.node_timeout", {&config::cluster, &C::node_timeout}, 3s, 30s),
      // A marker is read by every node within seconds of its writing; after that it only
      // takes room. Past a week the buckets of a busy chat grow large for nothing.
      duration_key<C>("cluster.purge_after", {&config::cluster, &C::purge_after}, 1s, 168h),
      text_key("tls.cert", field{&config::tls, &tls_config::cert},
               "expected the path of a PEM certificate (its chain after it), or \"\" for none",
               any_text),
      text_key("tls.key", field{&config::tls, &tls_config::key},
               "expected the path of the PEM private key, or \"\" for none", any_text),
      choice_key<tls_config>("tls.min_version", {&config::tls, &tls_config::min_version},
                             {"1.2", "1.3"}),
      // Below a second a client across an ocean with a lossy link cannot finish; past five
      // minutes a silent connection holds a descriptor for nothing.
      duration_key<tls_config>("tls.handshake_timeout",
                               {&config::tls, &tls_config::handshake_timeout}, 1s, 5min),
  };
}

// `key` must be at most (or, with at_least, at least) `other`, e.g. per-IP within the total.
template <class Section, class T>
key_relation bounded_by(std::string key, field<Section, T> key_at, std::string other,
                        field<Section, T> other_at, number_text<T> kind, bool at_least = false) {
  auto check = [=](const config& cfg) -> std::optional<std::string> {
    const bool holds = at_least ? key_at(cfg) >= other_at(cfg) : key_at(cfg) <= other_at(cfg);
    if (holds) return std::nullopt;
    return std::string(at_least ? "expected at least " : "expected at most ") + other + " (" +
           kind.format(other_at(cfg)) + ")";
  };
  return key_relation{std::move(key), std::move(other), check};
}

bool is_wildcard(const std::string& host) { return host == "0.0.0.0" || host == "::"; }

// Two listeners on one port would fail at bind time, after the config was reported valid.
// A wildcard host overlaps every address (on Linux [::] also takes IPv4 by default).
std::optional<std::string> listeners_differ(const config& cfg) {
  const listen_address& chat = cfg.listen.chat;
  const listen_address& metrics = cfg.listen.metrics;
  if (!cfg.listen.metrics_enabled || chat.port == 0 || chat.port != metrics.port) {
    return std::nullopt;
  }
  if (chat.host != metrics.host && !is_wildcard(chat.host) && !is_wildcard(metrics.host)) {
    return std::nullopt;
  }
  return "expected a port other than listen.chat's (" + chat.to_string() + ")";
}

// The TLS listener must not take the chat or metrics listener's port either.
std::optional<std::string> tls_listener_differs(const config& cfg) {
  const listen_address& tls = cfg.listen.chat_tls;
  if (!cfg.listen.chat_tls_enabled || tls.port == 0) return std::nullopt;
  const auto overlaps = [&](const listen_address& other) {
    return tls.port == other.port &&
           (tls.host == other.host || is_wildcard(tls.host) || is_wildcard(other.host));
  };
  if (overlaps(cfg.listen.chat)) {
    return "expected a port other than listen.chat's (" + cfg.listen.chat.to_string() + ")";
  }
  if (cfg.listen.metrics_enabled && overlaps(cfg.listen.metrics)) {
    return "expected a port other than listen.metrics's (" + cfg.listen.metrics.to_string() + ")";
  }
  return std::nullopt;
}

bool is_set(std::string_view key, const config& cfg) { return !find_key(key)->get(cfg).empty(); }

// `key` must be set when `other` is: a password names no one without a user, and a client
// certificate is no use without its key.
key_relation needed_by(std::string key, std::string other) {
  auto check = [=](const config& cfg) -> std::optional<std::string> {
    if (!is_set(other, cfg) || is_set(key, cfg)) return std::nullopt;
    return "expected a value, since " + other + " is set";
  };
  return key_relation{std::move(key), std::move(other), check};
}

// `key` must not be set when `other` is, since `other` already says it.
key_relation excluded_by(std::string key, std::string other, std::string_view why) {
  auto check = [=, why = std::string(why)](const config& cfg) -> std::optional<std::string> {
    if (!is_set(other, cfg) || !is_set(key, cfg)) return std::nullopt;
    return "expected none, since " + other + " is set (" + why + ")";
  };
  return key_relation{std::move(key), std::move(other), check};
}

std::vector<key_relation> make_relations() {
  using L = limits_config;
  constexpr std::string_view creds_say_who = "a .creds file names the user";
  return {
      bounded_by("limits.max_outbound_bytes", field{&config::limits, &L::max_outbound_bytes},
                 "limits.max_line_bytes", field{&config::limits, &L::max_line_bytes}, size_kind,
                 /*at_least=*/true),
      key_relation{"listen.metrics", "listen.chat", listeners_differ},
      excluded_by("cluster.user", "cluster.credentials", creds_say_who),
      excluded_by("cluster.password", "cluster.credentials", creds_say_who),
      needed_by("cluster.user", "cluster.password"),
      needed_by("cluster.tls.key", "cluster.tls.cert"),
      needed_by("cluster.tls.cert", "cluster.tls.key"),
      needed_by("tls.cert", "listen.chat_tls"),
      needed_by("tls.key", "listen.chat_tls"),
      key_relation{"listen.chat_tls", "listen.chat", tls_listener_differs},
  };
}

// Levenshtein distance; names are short, so the quadratic table is nothing.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), std::size_t{0});
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      diagonal = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, substitute});
    }
  }
  return row[b.size()];
}

// "cluster" and "tls" for "cluster.tls"; "" and "cluster" for "cluster".
std::string_view section_of(std::string_view dotted) {
  const auto dot = dotted.rfind('.');
  return dot == std::string_view::npos ? std::string_view() : dotted.substr(0, dot);
}
std::string_view leaf_of(std::string_view dotted) { return dotted.substr(dotted.rfind('.') + 1); }

}  // namespace

const std::vector<config_key>& all_keys() {
  static const std::vector<config_key> keys = make_keys();
  return keys;
}

const config_key* find_key(std::string_view dotted_name) {
  for (const config_key& key : all_keys()) {
    if (key.name == dotted_name) return &key;
  }
  return nullptr;
}

std::vector<std::string> names_under(std::string_view section) {
  std::vector<std::string> names;
  for (const config_key& key : all_keys()) {
    std::string_view rest = key.name;
    if (!section.empty()) {
      if (!rest.starts_with(section) || rest.substr(section.size(), 1) != ".") continue;
      rest.remove_prefix(section.size() + 1);
    }
    const std::string_view name = rest.substr(0, rest.find('.'));
    if (std::find(names.begin(), names.end(), name) == names.end()) names.emplace_back(name);
  }
  return names;
}

bool is_section(std::string_view name) { return !name.empty() && !names_under(name).empty(); }

std::string shown_value(const config_key& key, const config& cfg) {
  std::string value = key.get(cfg);
  if (key.secret && !value.empty()) return "(hidden)";
  return value;
}

const std::vector<key_relation>& all_relations() {
  static const std::vector<key_relation> relations = make_relations();
  return relations;
}

std::string quote_value(std::string_view value) {
  constexpr std::size_t max_shown = 80;
  std::string out = "'";
  for (std::size_t i = 0; i < value.size() && i < max_shown; ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c == 0x7f) {
      constexpr std::string_view hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (value.size() > max_shown) out += "...";
  return out + "'";
}

std::string suggest(std::string_view section, std::string_view name) {
  // A real key in the wrong place ("history" under limits, or at the top level) is the
  // likeliest mistake, so point to where it belongs before guessing at spelling.
  for (const config_key& key : all_keys()) {
    if (leaf_of(key.name) == name && section_of(key.name) != section) {
      return "; did you mean '" + key.name + "'?";
    }
  }
  const std::vector<std::string> candidates = names_under(section);
  // Closer than a third of the name: catches typos, not unrelated words of similar length.
  const std::size_t limit = std::max<std::size_t>(1, name.size() / 3);
  std::string_view best;
  std::size_t best_distance = limit + 1;
  for (std::string_view candidate : candidates) {
    const std::size_t distance = edit_distance(name, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  if (best.empty()) return {};
  return "; did you mean '" + std::string(best) + "'?";
}

std::string node_name_from_host(std::string_view host_name) {
  std::string name(host_name.substr(0, max_node_name_len));
  // Keeps "web-1.example.org" recognisable as "web-1-example-org" rather than refusing it.
  for (char& c : name) {
    if (!protocol::is_name_char(c)) c = '-';
  }
  // Any fixed name will do for a host without one: a cluster of such hosts must name its nodes.
  return name.empty() ? std::string("chatd") : name;
}

}  // namespace chatd::config_detail

namespace chatd {

std::string default_node_name() {
  // POSIX allows 255 bytes, and leaves a cut name unterminated: the last byte stays 0.
  std::array<char, 256> host{};
  if (gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
  return config_detail::node_name_from_host(host.data());
}

}  // namespace chatd
