#include "protocol/room_pattern.hpp"

#include <fnmatch.h>

#include "protocol/names.hpp"

namespace chatd::protocol {

room_pattern::room_pattern(std::string_view typed) {
  if (typed.empty()) return;
  if (typed.front() == '#') typed.remove_prefix(1);
  // Folding the pattern, not asking for FNM_CASEFOLD (a GNU extension), matches it
  // case-insensitively against names that are lower case already: "[A-Z]" becomes "[a-z]".
  pattern_ = fold_case(typed);
  all_ = pattern_.find_first_not_of('*') == std::string::npos && !pattern_.empty();
}

bool room_pattern::matches(const std::string& canonical) const {
  if (all_) return true;
  // Any result but 0 is no match: FNM_NOMATCH, or an error on a malformed pattern (glibc
  // reads an unclosed '[' as a literal and reports none).
  return ::fnmatch(pattern_.c_str(), canonical.c_str(), 0) == 0;
}

}  // namespace chatd::protocol
