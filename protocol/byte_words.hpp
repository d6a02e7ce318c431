// Looking at text 8 bytes at a time: the bit tricks the sanitiser and the JSON writer use to
// find, in one step, whether a word of a chat line holds any byte they must look at closer.
// Each returns a word with the high bit set in (at least) the bytes that match, so non-zero
// means "some byte does".
#pragma once

#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

#if defined(__SSE2__)
// 16 bytes at once where the CPU has SSE2 (every x86-64 does): non-zero if any of the 16 bytes
// at `p` is below 0x20, at 0x80 or above (a signed compare puts those below 0x20 too), or
// equal to `a` or `b`.
inline int special_in_16(const char* p, char a, char b) noexcept {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i special = _mm_or_si128(
      _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
      _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(a)), _mm_cmpeq_epi8(v, _mm_set1_epi8(b))));
  return _mm_movemask_epi8(special);
}
#endif

}  // namespace chatd::protocol::byte_words
