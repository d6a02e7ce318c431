#include "payload.hpp"

#include <cstring>

namespace chatbench {

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

void put_hex(char* at, std::uint64_t value, int digits) {
  for (int i = digits - 1; i >= 0; --i) {
    at[i] = hex_digits[value & 0xf];
    value >>= 4;
  }
}

// Eight lower-case hex digits to their value, eight at a time (SWAR). The caller has checked
// the layout markers; a non-hex byte just yields a wrong number.
std::uint64_t hex8(const char* at) {
  std::uint64_t x;
  std::memcpy(&x, at, 8);  // little endian: the first digit in the low byte
  x = (x & 0x0f0f0f0f0f0f0f0full) + 9 * ((x >> 6) & 0x0101010101010101ull);  // byte = nibble
  x = ((x & 0x000f000f000f000full) << 4) | ((x >> 8) & 0x000f000f000f000full);
  x = ((x & 0x000000ff000000ffull) << 8) | ((x >> 16) & 0x000000ff000000ffull);
  return ((x & 0xffffull) << 16) | ((x >> 32) & 0xffffull);
}

std::uint64_t slow_hex(const char* at, int digits) {
  std::uint64_t v = 0;
  for (int i = 0; i < digits; ++i) {
    const char c = at[i];
    v = (v << 4) | static_cast<std::uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
  }
  return v;
}

// Layout offsets.
constexpr std::size_t t_at = 0, ts_at = 1, p_at = 17, pub_at = 18, s_at = 24, seq_at = 25,
                      end_at = 37;

}  // namespace

payload_writer::payload_writer(std::size_t size)
    : text_(size < payload_min_size ? payload_min_size : size, 'x') {
  text_[t_at] = 't';
  text_[p_at] = 'p';
  text_[s_at] = 's';
}

std::string_view payload_writer::make(const payload_fields& f) {
  put_hex(text_.data() + ts_at, f.sent_ns, 16);
  put_hex(text_.data() + pub_at, f.publisher, 6);
  put_hex(text_.data() + seq_at, f.seq, 12);
  return text_;
}

bool read_payload(std::string_view text, payload_fields& out) {
  if (text.size() < end_at || text[t_at] != 't' || text[p_at] != 'p' || text[s_at] != 's')
    return false;
  const char* d = text.data();
  out.sent_ns = (hex8(d + ts_at) << 32) | hex8(d + ts_at + 8);
  out.publisher = static_cast<std::uint32_t>(slow_hex(d + pub_at, 6));
  out.seq = (slow_hex(d + seq_at, 4) << 32) | hex8(d + seq_at + 4);
  return true;
}

}  // namespace chatbench
