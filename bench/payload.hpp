// The message text every publisher sends: fixed size, printable ASCII that no server rewrites.
//   t<16 hex: steady_clock ns at send>p<6 hex: publisher id>s<12 hex: publisher's sequence>
// then 'x' padding up to the requested size. Fixed positions keep decoding to a few loads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace chatbench {

inline constexpr std::size_t payload_min_size = 40;

struct payload_fields {
  std::uint64_t sent_ns = 0;
  std::uint32_t publisher = 0;
  std::uint64_t seq = 0;
};

class payload_writer {
 public:
  explicit payload_writer(std::size_t size);
  // Fills in the fields and returns the text (valid until the next call).
  std::string_view make(const payload_fields& f);

 private:
  std::string text_;
};

// Decodes a payload; false if it is not one of ours (wrong size or layout).
bool read_payload(std::string_view text, payload_fields& out);

}  // namespace chatbench
