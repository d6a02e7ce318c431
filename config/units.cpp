#include "config/units.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>

namespace chatd::config_detail {
namespace {

struct unit {
  std::string_view suffix;
  std::uint64_t factor;
};

// Longest suffixes first where one ends another ("ms" before "s", "KiB" before "B").
constexpr std::array<unit, 7> size_units{{
    {"KiB", kib}, {"MiB", mib}, {"GiB", gib},
    {"kB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000},
    {"B", 1},
}};

constexpr std::array<unit, 5> duration_units{{
    {"ms", 1}, {"s", 1000}, {"m", 60 * 1000}, {"h", 60 * 60 * 1000}, {"d", 24 * 60 * 60 * 1000},
}};

// Splits "64KiB" into ("64", factor of KiB). A text with no known suffix comes back whole with
// factor `bare`; if it had an unknown suffix, parsing it as a count then fails.
template <std::size_t n>
std::pair<std::string_view, std::uint64_t> split_unit(std::string_view text,
                                                      const std::array<unit, n>& units,
                                                      std::uint64_t bare) {
  for (const unit& u : units) {
    if (text.size() > u.suffix.size() && text.ends_with(u.suffix)) {
      return {text.substr(0, text.size() - u.suffix.size()), u.factor};
    }
  }
  return {text, bare};
}

std::optional<std::uint64_t> scaled(std::string_view digits, std::uint64_t factor) {
  const auto count = parse_count(digits);
  if (!count || *count > std::numeric_limits<std::uint64_t>::max() / factor) return std::nullopt;
  return *count * factor;
}

// Writes `value` in the largest unit that divides it exactly; units.front() must have factor 1.
template <std::size_t n>
std::string format_exact(std::uint64_t value, const std::array<unit, n>& units) {
  const unit* best = &units.front();
  for (const unit& u : units) {
    if (value % u.factor == 0 && u.factor > best->factor) best = &u;
  }
  return std::to_string(value / best->factor) + std::string(best->suffix);
}

}  // namespace

std::optional<std::size_t> parse_count(std::string_view text) {
  if (text.empty()) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  std::size_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<std::size_t> parse_size(std::string_view text) {
  const auto [digits, factor] = split_unit(text, size_units, 1);
  const auto bytes = scaled(digits, factor);
  if (!bytes || *bytes > std::numeric_limits<std::size_t>::max()) return std::nullopt;
  return static_cast<std::size_t>(*bytes);
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  const auto [digits, factor] = split_unit(text, duration_units, 1000);
  const auto ms = scaled(digits, factor);
  using rep = std::chrono::milliseconds::rep;
  if (!ms || *ms > static_cast<std::uint64_t>(std::numeric_limits<rep>::max())) {
    return std::nullopt;
  }
  return std::chrono::milliseconds{static_cast<rep>(*ms)};
}

std::optional<double> parse_number(std::string_view text) {
  // from_chars also reads "inf", "nan" and hex digits after a 0x-less prefix; allow only the
  // characters of a plain decimal number so those never get through.
  if (text.empty() || text.find_first_not_of("0123456789.eE+-") != std::string_view::npos ||
      text.front() == '-' || text.front() == '+') {
    return std::nullopt;
  }
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::string format_size(std::size_t bytes) {
  // Only the IEC units and bare bytes: they are what the defaults and ranges are written in.
  constexpr std::array<unit, 4> iec{{{"", 1}, {"KiB", kib}, {"MiB", mib}, {"GiB", gib}}};
  if (bytes == 0) return "0";
  return format_exact(bytes, iec);
}

std::string format_duration(std::chrono::milliseconds value) {
  if (value.count() < 0) return std::to_string(value.count()) + "ms";  // unreachable from files
  if (value.count() == 0) return "0s";
  return format_exact(static_cast<std::uint64_t>(value.count()), duration_units);
}

std::string format_number(double value) {
  // Whole numbers print as integers ("1000000", not to_chars' "1e+06"); both read back the same.
  if (std::isfinite(value) && value == std::floor(value) && std::fabs(value) < 1e15) {
    return std::to_string(static_cast<long long>(value));
  }
  std::array<char, 64> buffer{};
  const auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  if (ec != std::errc{}) return "nan";
  return std::string(buffer.data(), end);
}

}  // namespace chatd::config_detail
