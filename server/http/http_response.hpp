// An HTTP/1.1 response and its bytes on the wire. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "server/http/http_request_parser.hpp"

namespace chatd {

struct http_response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<http_header> headers;  // beyond Content-Type, Content-Length and Connection
};

// A plain-text response: `http_text_response(404, "not found\n")`.
http_response http_text_response(int status, std::string body);

// "OK", "Not Found", ...; "Unknown" for codes we never send.
std::string_view http_reason_phrase(int status) noexcept;

// Status line, Content-Type, Content-Length (always: the length of `body`, also for HEAD),
// Connection ("keep-alive" or "close"), the extra headers, a blank line, then the body unless
// `head_only`.
std::string serialize(const http_response& response, bool keep_alive, bool head_only);

}  // namespace chatd
