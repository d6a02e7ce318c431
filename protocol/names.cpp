#include "protocol/names.hpp"

namespace chatd::protocol {
namespace {

// Locale-free on purpose: names are ASCII by rule, and std::isalpha would depend on the C locale.
constexpr bool is_ascii_letter(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr bool is_ascii_digit(char c) noexcept { return c >= '0' && c <= '9'; }

}  // namespace

bool is_valid_nick(std::string_view nick, std::size_t max_len) noexcept {
  if (nick.empty() || nick.size() > max_len || !is_ascii_letter(nick.front())) return false;
  for (char c : nick) {
    if (!is_ascii_letter(c) && !is_ascii_digit(c) && c != '_' && c != '-') return false;
  }
  return true;
}

std::string fold_case(std::string_view text) {
  std::string folded(text);
  for (char& c : folded) c = fold_char(c);
  return folded;
}

std::optional<std::string> normalize_room(std::string_view name) {
  if (!name.empty() && name.front() == '#') name.remove_prefix(1);
  if (name.empty() || name.size() > max_room_name_len) return std::nullopt;
  std::string folded = fold_case(name);
  for (char c : folded) {
    if (!(c >= 'a' && c <= 'z') && !is_ascii_digit(c) && c != '_' && c != '-') return std::nullopt;
  }
  return folded;
}

bool is_valid_epoch(std::string_view epoch) noexcept {
  if (epoch.empty() || epoch.size() > max_epoch_len) return false;
  for (char c : epoch) {
    if (!is_ascii_letter(c) && !is_ascii_digit(c) && c != '_' && c != '-') return false;
  }
  return true;
}

std::string epoch_token(std::uint64_t bits) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string token(11, 'A');
  for (char& c : token) {  // 6 bits a character; the last takes the remaining 4
    c = alphabet[bits & 63];
    bits >>= 6;
  }
  return token;
}

}  // namespace chatd::protocol
