// Looking at text 8 bytes at a time: the bit tricks the sanitiser and the JSON writer use to
// find, in one step, whether a word of a chat line holds any byte they must look at closer.
// Each returns a word with the high bit set in (at least) the bytes that match, so non-zero
// means "some byte does".
#pragma once

#include <cstdint>
#include <cstring>

namespace chatd::protocol::byte_words {

inline constexpr std::uint64_t ones = 0x0101010101010101;
inline constexpr std::uint64_t highs = 0x8080808080808080;

inline std::uint64_t load(const char* p) noexcept {
  std::uint64_t w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

// Bytes at 0x80 and above.
constexpr std::uint64_t non_ascii(std::uint64_t w) noexcept { return w & highs; }
// Bytes equal to `c`: (x - 0x01..) & ~x & 0x80.. is non-zero exactly when some byte of x is 0.
constexpr std::uint64_t equal_to(std::uint64_t w, unsigned char c) noexcept {
  const std::uint64_t x = w ^ (ones * c);
  return (x - ones) & ~x & highs;
}
// Bytes below `n` (n <= 0x80); exact for ASCII bytes, so combine it with non_ascii.
constexpr std::uint64_t below(std::uint64_t w, unsigned char n) noexcept {
  return (w - ones * n) & ~w & highs;
}

}  // namespace chatd::protocol::byte_words
