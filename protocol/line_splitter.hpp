// Incremental LF framing with a length bound. Pure: bytes in, frames out.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace chatd::protocol {

enum class frame_kind {
  line,      // a complete line; text excludes the LF and a CR right before it
  too_long,  // the current line passed the bound; its bytes up to the next LF are discarded
};

struct frame {
  frame_kind kind;
  std::string_view text;  // empty for too_long; valid until the next call to next()
};

// Splits a byte stream into lines. The bound counts the bytes of a line before its LF, not
// counting a CR right before the LF. When a line passes the bound, one too_long frame is
// returned as soon as that is known (so a stream without any LF is reported at once and never
// buffered past the bound), and everything up to and including the next LF is dropped.
// The splitter never holds more than max_line_bytes + 1 bytes.
class line_splitter {
 public:
  explicit line_splitter(std::size_t max_line_bytes) : max_(max_line_bytes) {}

  // Consumes bytes from the front of `input` until one frame is complete or `input` is empty.
  // Returns that frame, or nullopt once `input` is used up (a partial line is kept inside).
  // Call repeatedly with the same view until it returns nullopt.
  std::optional<frame> next(std::string_view& input);

  // Bytes of an unfinished line held between calls.
  std::size_t buffered() const noexcept { return partial_.size(); }

  // A new bound applies from the next byte on (used by config reload).
  void set_max_line_bytes(std::size_t max) noexcept { max_ = max; }
  std::size_t max_line_bytes() const noexcept { return max_; }

 private:
  std::size_t max_;
  std::string partial_;     // start of an unfinished line that began in an earlier chunk
  bool discarding_ = false; // inside an over-long line, dropping until LF
};

}  // namespace chatd::protocol
