#include "protocol/line_splitter.hpp"

namespace chatd::protocol {

// How partial_ is used: between calls it holds the start of an unfinished line (never an LF).
// When a line that spans chunks is completed, it is assembled in partial_ and returned as a view
// into it; an LF is appended as a marker that partial_ now holds a delivered line, which the next
// call discards first. A delivered line is at most max_ bytes, so with its marker partial_ still
// never exceeds max_ + 1 bytes.
//
// Bound check for an unfinished line of n bytes: it is certainly too long once n > max_ + 1, or
// once n == max_ + 1 and its last byte is not a CR (a CR might be the one dropped before the LF,
// so the answer for "max_ bytes then CR" has to wait for the next byte).

namespace {

bool is_unfinished_line_too_long(std::size_t n, char last, std::size_t max) {
  return n > max + 1 || (n == max + 1 && last != '\r');
}

}  // namespace

std::optional<frame> line_splitter::next(std::string_view& input) {
  if (!partial_.empty() && partial_.back() == '\n') partial_.clear();  // delivered last time

  while (!input.empty()) {
    const std::size_t lf = input.find('\n');

    if (discarding_) {
      if (lf == std::string_view::npos) {
        input = {};
        return std::nullopt;
      }
      input.remove_prefix(lf + 1);
      discarding_ = false;
      continue;
    }

    if (lf == std::string_view::npos) {
      const std::size_t n = partial_.size() + input.size();
      if (is_unfinished_line_too_long(n, input.back(), max_)) {
        partial_.clear();
        input = {};
        discarding_ = true;
        return frame{frame_kind::too_long, {}};
      }
      partial_.append(input);
      input = {};
      return std::nullopt;
    }

    // A whole line ends in this chunk: compute its length without copying anything yet.
    const std::string_view tail = input.substr(0, lf);
    input.remove_prefix(lf + 1);
    const char last = !tail.empty() ? tail.back() : (!partial_.empty() ? partial_.back() : '\n');
    const std::size_t length = partial_.size() + tail.size() - (last == '\r' ? 1 : 0);
    if (length > max_) {
      partial_.clear();
      return frame{frame_kind::too_long, {}};
    }
    if (partial_.empty()) return frame{frame_kind::line, tail.substr(0, length)};  // no copy

    partial_.append(tail);
    partial_.resize(length);
    partial_.push_back('\n');  // delivered-line marker, see above
    return frame{frame_kind::line, std::string_view(partial_).substr(0, length)};
  }
  return std::nullopt;
}

}  // namespace chatd::protocol
