// Reading the few fields chatbench needs from chatd's JSON lines, without a JSON parser: the
// values looked at (types, room names, nicks, numbers) never hold escapes.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

namespace chatbench {

inline bool starts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && std::memcmp(s.data(), prefix.data(), prefix.size()) == 0;
}

// The string value of "key":"..." (`key_quote` is `"key":"`), or empty.
inline std::string_view string_field(std::string_view l, std::string_view key_quote) {
  const auto at = l.find(key_quote);
  if (at == std::string_view::npos) return {};
  const auto from = at + key_quote.size();
  const auto to = l.find('"', from);
  if (to == std::string_view::npos) return {};
  return l.substr(from, to - from);
}

// The digits at `at`, as a number (0 when there are none).
inline std::uint64_t number_at(std::string_view l, std::size_t at) {
  std::uint64_t v = 0;
  while (at < l.size() && l[at] >= '0' && l[at] <= '9') v = v * 10 + static_cast<unsigned>(l[at++] - '0');
  return v;
}

// The number after `key_colon` (`"key":`), if the line has one.
inline std::optional<std::uint64_t> number_field(std::string_view l, std::string_view key_colon) {
  const auto at = l.find(key_colon);
  if (at == std::string_view::npos) return std::nullopt;
  const auto from = at + key_colon.size();
  if (from >= l.size() || l[from] < '0' || l[from] > '9') return std::nullopt;
  return number_at(l, from);
}

}  // namespace chatbench
