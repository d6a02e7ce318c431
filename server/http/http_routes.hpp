// What the metrics listener answers to each request. Pure apart from the two callbacks.
#pragma once

#include <functional>
#include <string>

#include "server/http/http_request_parser.hpp"
#include "server/http/http_response.hpp"

namespace chatd {

struct http_handlers {
  std::function<std::string()> metrics_body;  // the /metrics text, rendered now
  std::function<bool()> healthy;              // false once shutdown has begun
};

// GET|HEAD /metrics -> 200 with the Prometheus text content type;
// GET|HEAD /healthz -> 200 "ok\n" when healthy, else 503 "shutting down\n";
// other methods on those paths -> 405 with "Allow: GET, HEAD"; any other path -> 404.
// The caller leaves the body out for HEAD. Exceptions from the handlers propagate.
http_response route(const http_request& request, const http_handlers& handlers);

}  // namespace chatd
