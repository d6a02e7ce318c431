#include "config/config_keys.hpp"

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
// | rooms.default                 | lobby          | room name, or "" = no automatic join      |
// | rooms.history                 | 50             | 0 .. 100000 (memory: rooms x history)     |
// | rooms.history_replay          | 20             | 0 .. history                              |
// | rooms.presence_delay          | 100ms          | 0 (at once) .. 10s                        |
// | rooms.presence_max_members    | 1000           | 0 (no limit) or 1 .. 1000000              |
// | rooms.keep_empty              | 10m            | 0 (removed at once) .. 7d                 |
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

config_key choice_key(std::string name, field<log_config, std::string> at,
                      std::initializer_list<std::string_view> choices) {
  std::string expected = "expected one of";
  for (std::string_view choice : choices) {
    expected += ' ';
    expected += choice;
    expected += ',';
  }
  expected.pop_back();
  std::vector<std::string_view> allowed(choices);
  return config_key{
      std::move(name), expected,
      [=](std::string_view text, config& cfg) -> std::optional<std::string> {
        if (std::find(allowed.begin(), allowed.end(), text) == allowed.end()) return expected;
        at(cfg) = std::string(text);
        return std::nullopt;
      },
      [=](const config& cfg) { return at(cfg); }};
}

config_key pattern_key() {
  const field<log_config, std::string> at{&config::log, &log_config::pattern};
  std::string expected = "expected a non-empty spdlog pattern";
  return config_key{
      "log.pattern", expected,
      [=](std::string_view text, config& cfg) -> std::optional<std::string> {
        if (text.empty()) return expected;
        at(cfg) = std::string(text);
        return std::nullopt;
      },
      [=](const config& cfg) { return at(cfg); }};
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
  const field<L, std::size_t> max_line_bytes{&config::limits, &L::max_line_bytes};
  const field<L, std::size_t> max_outbound_bytes{&config::limits, &L::max_outbound_bytes};
  return {
      chat_address_key(),
      metrics_address_key(),
      choice_key("log.level", {&config::log, &log_config::level},
                 {"trace", "debug", "info", "warn", "error", "critical", "off"}),
      choice_key("log.format", {&config::log, &log_config::format}, {"text", "json"}),
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
      default_room_key(),
      count_key("rooms.history", field{&config::rooms, &R::history}, 0, 100'000),
      count_key("rooms.history_replay", field{&config::rooms, &R::history_replay}, 0, 100'000),
      duration_key<R>("rooms.presence_delay", {&config::rooms, &R::presence_delay}, 0ms, 10s),
      ranged_key("rooms.presence_max_members", field{&config::rooms, &R::presence_max_members},
                 count_kind, std::size_t{1}, std::size_t{1'000'000},
                 "expected 0 (no limit) or an integer from 1 to 1000000",
                 /*zero_means_off=*/true),
      duration_key<R>("rooms.keep_empty", {&config::rooms, &R::keep_empty}, 0ms, 7 * 24h),
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

std::vector<key_relation> make_relations() {
  using L = limits_config;
  return {
      bounded_by("limits.max_outbound_bytes", field{&config::limits, &L::max_outbound_bytes},
                 "limits.max_line_bytes", field{&config::limits, &L::max_line_bytes}, size_kind,
                 /*at_least=*/true),
      key_relation{"listen.metrics", "listen.chat", listeners_differ},
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

std::string_view section_of(std::string_view dotted) { return dotted.substr(0, dotted.find('.')); }
std::string_view leaf_of(std::string_view dotted) { return dotted.substr(dotted.find('.') + 1); }

constexpr std::array<std::string_view, 4> sections{"listen", "log", "limits", "rooms"};

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

bool is_section(std::string_view name) {
  return std::find(sections.begin(), sections.end(), name) != sections.end();
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
  std::vector<std::string_view> candidates;
  if (section.empty()) {
    candidates.assign(sections.begin(), sections.end());
  } else {
    for (const config_key& key : all_keys()) {
      if (section_of(key.name) == section) candidates.push_back(leaf_of(key.name));
    }
  }
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

}  // namespace chatd::config_detail
