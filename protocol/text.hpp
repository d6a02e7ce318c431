// Blanks as the protocol means them: space and TAB separate words in a line. Shared so that the
// parser and the server cut arguments at the same characters.
#pragma once

#include <string_view>

namespace chatd::protocol {

constexpr bool is_blank(char c) noexcept { return c == ' ' || c == '\t'; }

constexpr std::string_view trim_leading(std::string_view s) noexcept {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  return s;
}

constexpr std::string_view trim_trailing(std::string_view s) noexcept {
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

constexpr std::string_view trim(std::string_view s) noexcept { return trim_trailing(trim_leading(s)); }

}  // namespace chatd::protocol
