#include "protocol/names.hpp"

namespace chatd::protocol {
namespace {

// Locale-free for the same reason as is_name_char.
constexpr bool is_ascii_letter(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

}  // namespace

bool is_name_token(std::string_view text, std::size_t max_len) noexcept {
  if (text.empty() || text.size() > max_len) return false;
  for (char c : text) {
    if (!is_name_char(c)) return false;
  }
  return true;
}

bool is_valid_nick(std::string_view nick, std::size_t max_len) noexcept {
  return is_name_token(nick, max_len) && is_ascii_letter(nick.front());
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
  // Folded, so is_name_char accepts no upper-case letter here.
  for (char c : folded) {
    if (!is_name_char(c)) return std::nullopt;
  }
  return folded;
}

bool is_valid_epoch(std::string_view epoch) noexcept {
  return is_name_token(epoch, max_epoch_len);
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

std::string derived_epoch(std::string_view seed) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (const char c : seed) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return epoch_token(hash);
}

}  // namespace chatd::protocol
