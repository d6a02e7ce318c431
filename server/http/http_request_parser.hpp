// An incremental parser for the head of an HTTP/1.x request (request line and headers), for the
// metrics endpoint. Pure: bytes in, a request or a verdict out; no socket, no clock.
// Shaped like asio's example request_parser: each call reports done / bad / need more, and how
// many of the given bytes belong to this request (the rest start the next one).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace chatd {

struct http_header {
  std::string name;   // as sent; compare without regard to case
  std::string value;  // without surrounding spaces or tabs
};

struct http_request {
  std::string method;        // case-sensitive token: "GET", "HEAD", ...
  std::string target;        // as sent: "/metrics?x=1"
  int version_minor = 1;     // HTTP/1.0 or HTTP/1.1
  std::vector<http_header> headers;
  std::uint64_t content_length = 0;  // 0 when absent
  bool chunked = false;              // a Transfer-Encoding header was sent

  // The value of the first header called `name` (any case), or nullptr.
  const std::string* header(std::string_view name) const;
  // The target up to any '?'.
  std::string_view path() const;
  // HTTP/1.1 keeps the connection open unless told "Connection: close"; HTTP/1.0 closes it
  // unless told "Connection: keep-alive".
  bool keep_alive() const;
  // A body follows the head. The endpoint never reads bodies, so it closes after answering.
  bool has_body() const { return content_length > 0 || chunked; }
};

class http_request_parser {
 public:
  enum class status {
    need_more,  // every byte given was taken; feed more
    done,       // request() is complete; bytes past `consumed` belong to the next request
    bad,        // malformed or too long (error() says which); answer 400 and close
  };
  struct result {
    status state;
    std::size_t consumed;  // bytes of the input that were taken
  };

  // `max_head_bytes` bounds the request line plus headers, counting line ends.
  explicit http_request_parser(std::size_t max_head_bytes) : max_head_bytes_(max_head_bytes) {}

  // Takes bytes until the blank line that ends the head. Once done or bad, further calls take
  // nothing and repeat the verdict until reset().
  result parse(std::string_view data);

  // Valid after `done`.
  const http_request& request() const noexcept { return request_; }
  // After `bad`: a short reason for logs ("request head too large", ...).
  std::string_view error() const noexcept { return error_; }

  // Forgets the last request, for the next one on the same connection.
  void reset();

 private:
  status finish();
  status fail(std::string_view why);
  bool parse_request_line(std::string_view line);
  bool parse_header_line(std::string_view line);
  bool apply_framing_headers();

  std::size_t max_head_bytes_;
  std::size_t taken_ = 0;      // bytes taken for this head, including skipped leading CRLFs
  std::string head_;           // the head from the request line on
  bool at_line_start_ = false;
  status state_ = status::need_more;
  std::string_view error_;
  http_request request_;
};

}  // namespace chatd
