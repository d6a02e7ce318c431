#include "server/http/http_response.hpp"

#include <utility>

namespace chatd {

http_response http_text_response(int status, std::string body) {
  http_response response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

std::string_view http_reason_phrase(int status) noexcept {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
  }
  return "Unknown";
}

std::string serialize(const http_response& response, bool keep_alive, bool head_only) {
  std::string out;
  out.reserve(128 + (head_only ? 0 : response.body.size()));
  out += "HTTP/1.1 ";
  out += std::to_string(response.status);
  out += ' ';
  out += http_reason_phrase(response.status);
  out += "\r\nContent-Type: ";
  out += response.content_type;
  out += "\r\nContent-Length: ";
  out += std::to_string(response.body.size());
  out += keep_alive ? "\r\nConnection: keep-alive" : "\r\nConnection: close";
  for (const http_header& h : response.headers) {
    out += "\r\n";
    out += h.name;
    out += ": ";
    out += h.value;
  }
  out += "\r\n\r\n";
  if (!head_only) out += response.body;
  return out;
}

}  // namespace chatd
