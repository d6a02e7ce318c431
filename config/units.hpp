// Text forms of the numbers in chatd's config: counts, sizes, durations and rates.
//
// Every parser is strict and total: it takes the whole text and returns nullopt unless all of it
// is one well-formed value, so "10 parsecs", "-1s" and "1.5.2s" are rejected rather than read as
// their longest valid prefix. Range checks are the caller's job; these only read the syntax.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace chatd::config_detail {

inline constexpr std::size_t kib = 1024;
inline constexpr std::size_t mib = 1024 * kib;
inline constexpr std::size_t gib = 1024 * mib;

// A plain non-negative decimal integer: digits only, no sign, no exponent, no separators.
std::optional<std::size_t> parse_count(std::string_view text);

// A byte size: a count, optionally followed (without a space) by one unit.
//   B = 1; kB = 1000, MB = 1000^2, GB = 1000^3 (SI); KiB = 1024, MiB = 1024^2, GiB = 1024^3 (IEC).
// Units are case-sensitive. "KB" is rejected as ambiguous (JEDEC reads it as 1024, SI as 1000),
// and so are "k", "mb" and friends: the operator must say which one they mean.
std::optional<std::size_t> parse_size(std::string_view text);

// A duration: a count followed (without a space) by ms, s, m, h or d; a bare count is seconds.
// Whole counts only ("1500ms", not "1.5s"), so a value always means exactly what it says.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// A finite decimal number, e.g. "10", "0.5", "2e3". No sign is accepted, so never negative.
std::optional<double> parse_number(std::string_view text);

// Inverse forms: the shortest text the matching parser reads back as the same value.
std::string format_size(std::size_t bytes);                   // 1048576 -> "1MiB"
std::string format_duration(std::chrono::milliseconds value);  // 600000 -> "10m"
std::string format_number(double value);                      // 10.0 -> "10"

}  // namespace chatd::config_detail
