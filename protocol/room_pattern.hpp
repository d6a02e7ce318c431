// The PATTERN of "/rooms [PATTERN] [LIMIT]": a glob on room names, as fnmatch(3) reads it.
#pragma once

#include <string>
#include <string_view>

namespace chatd::protocol {

// `*` matches any run of characters, `?` one character, `[...]` one of a set (`[!...]` one not
// in it), `\` quotes the next character. A leading `#` is dropped and upper case is folded, as
// in room names, so "#Dev*" lists dev and dev-ops. Matching is libc's fnmatch(3) with no flags:
// room names hold no '/' or '.' for its flags to be about.
class room_pattern {
 public:
  room_pattern() = default;  // no pattern: every room
  // `typed`: the word as the client typed it; empty means no pattern.
  explicit room_pattern(std::string_view typed);

  // Whether the room called `canonical` (lower case, no '#': a room's name) matches.
  bool matches(const std::string& canonical) const;
  // True when every room matches without asking fnmatch (no pattern, or "*").
  bool matches_all() const noexcept { return all_; }
  // The pattern as it is matched (folded, without the '#'); empty when there is none.
  const std::string& text() const noexcept { return pattern_; }

 private:
  std::string pattern_;
  bool all_ = true;
};

}  // namespace chatd::protocol
