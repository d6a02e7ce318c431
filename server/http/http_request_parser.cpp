#include "server/http/http_request_parser.hpp"

#include <algorithm>
#include <charconv>

namespace chatd {

namespace {

char lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return lower(x) == lower(y);
         });
}

// RFC 9110 5.6.2: token characters.
bool is_tchar(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) noexcept {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar);
}

// Field values may hold visible ASCII, spaces, tabs and bytes >= 0x80; no other control bytes.
bool is_field_value(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u == '\t' || (u >= 0x20 && u != 0x7f);
  });
}

// Request targets are visible ASCII only (RFC 3986 characters, percent-encoded otherwise).
bool is_target(std::string_view s) noexcept {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f;
  });
}

std::string_view trim(std::string_view s) noexcept {
  const auto start = s.find_first_not_of(" \t");
  if (start == std::string_view::npos) return {};
  const auto end = s.find_last_not_of(" \t");
  return s.substr(start, end - start + 1);
}

// Whether the comma-separated list `list` holds `token` (any case).
bool has_token(std::string_view list, std::string_view token) noexcept {
  while (!list.empty()) {
    const auto comma = std::min(list.find(','), list.size());
    if (iequals(trim(list.substr(0, comma)), token)) return true;
    list.remove_prefix(std::min(comma + 1, list.size()));
  }
  return false;
}

}  // namespace

const std::string* http_request::header(std::string_view name) const {
  for (const http_header& h : headers)
    if (iequals(h.name, name)) return &h.value;
  return nullptr;
}

std::string_view http_request::path() const {
  const std::string_view t = target;
  return t.substr(0, t.find('?'));
}

bool http_request::keep_alive() const {
  bool close = false;
  bool keep = false;
  for (const http_header& h : headers) {
    if (!iequals(h.name, "connection")) continue;
    close = close || has_token(h.value, "close");
    keep = keep || has_token(h.value, "keep-alive");
  }
  if (close) return false;
  return version_minor >= 1 || keep;
}

http_request_parser::result http_request_parser::parse(std::string_view data) {
  if (state_ != status::need_more) return {state_, 0};
  for (std::size_t i = 0; i < data.size(); ++i) {
    const char c = data[i];
    if (++taken_ > max_head_bytes_) return {fail("request head too large"), i + 1};
    // RFC 9112 2.2: a server should ignore empty lines before the request line.
    if (head_.empty() && (c == '\r' || c == '\n')) continue;
    head_ += c;
    if (c == '\n') {
      if (at_line_start_) return {finish(), i + 1};
      at_line_start_ = true;
    } else if (c != '\r') {
      at_line_start_ = false;
    }
  }
  return {status::need_more, data.size()};
}

void http_request_parser::reset() {
  taken_ = 0;
  head_.clear();
  at_line_start_ = false;
  state_ = status::need_more;
  error_ = {};
  request_ = {};
}

http_request_parser::status http_request_parser::fail(std::string_view why) {
  error_ = why;
  state_ = status::bad;
  return state_;
}

// The head is complete: split it into lines (LF, with an optional CR before it) and read them.
http_request_parser::status http_request_parser::finish() {
  std::string_view rest = head_;
  bool first = true;
  while (!rest.empty()) {
    const auto lf = rest.find('\n');
    std::string_view line = rest.substr(0, lf);
    rest.remove_prefix(lf + 1);
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.empty()) break;  // the blank line that ends the head
    if (first ? !parse_request_line(line) : !parse_header_line(line)) return state_;
    first = false;
  }
  if (!apply_framing_headers()) return state_;
  state_ = status::done;
  return state_;
}

// method SP request-target SP HTTP-version, single spaces (RFC 9112 3).
bool http_request_parser::parse_request_line(std::string_view line) {
  const auto sp1 = line.find(' ');
  const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    fail("malformed request line");
    return false;
  }
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!is_token(method) || !is_target(target)) {
    fail("malformed request line");
    return false;
  }
  if (version == "HTTP/1.1") {
    request_.version_minor = 1;
  } else if (version == "HTTP/1.0") {
    request_.version_minor = 0;
  } else {
    fail("unsupported HTTP version");
    return false;
  }
  request_.method = method;
  request_.target = target;
  return true;
}

// field-name ":" OWS field-value OWS. No space before the colon and no obsolete line folding:
// RFC 9112 5.1 and 5.2 let a server reject both, and accepting them invites smuggling.
bool http_request_parser::parse_header_line(std::string_view line) {
  const auto colon = line.find(':');
  if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) {
    fail("malformed header");
    return false;
  }
  const std::string_view value = trim(line.substr(colon + 1));
  if (!is_field_value(value)) {
    fail("malformed header");
    return false;
  }
  request_.headers.push_back({std::string(line.substr(0, colon)), std::string(value)});
  return true;
}

// Content-Length and Transfer-Encoding say whether a body follows; conflicting or malformed
// framing is rejected (RFC 9112 6.3) because we would otherwise misread the next request.
bool http_request_parser::apply_framing_headers() {
  bool seen_length = false;
  for (const http_header& h : request_.headers) {
    if (iequals(h.name, "transfer-encoding")) {
      request_.chunked = true;
    } else if (iequals(h.name, "content-length")) {
      std::uint64_t length = 0;
      const char* begin = h.value.data();
      const char* end = begin + h.value.size();
      const auto parsed = std::from_chars(begin, end, length);
      if (h.value.empty() || parsed.ec != std::errc() || parsed.ptr != end ||
          (seen_length && length != request_.content_length)) {
        fail("bad Content-Length");
        return false;
      }
      seen_length = true;
      request_.content_length = length;
    }
  }
  if (request_.chunked && seen_length) {
    fail("both Content-Length and Transfer-Encoding");
    return false;
  }
  return true;
}

}  // namespace chatd
