// What the metrics listener answers to each request. Pure apart from the two callbacks.
#pragma once

#include <functional>
#include <string>

#include "server/http/http_request_parser.hpp"
#include "server/http/http_response.hpp"

namespace chatd {

struct http_handlers {
  std::function<std::string()> metrics_body;  // the /metrics text, rendered now
  // Why the node cannot serve now ("shutting down", the cluster's engine...), "" if it can.
  std::function<std::string()> unhealthy_reason;
};

// GET|HEAD /metrics -> 200 with the Prometheus text content type;
// GET|HEAD /healthz -> 200 "ok\n" when healthy, else 503 with the reason on one line;
// other methods on those paths -> 405 with "Allow: GET, HEAD"; any other path -> 404.
// The caller leaves the body out for HEAD. Exceptions from the handlers propagate.
http_response route(const http_request& request, const http_handlers& handlers);

}  // namespace chatd
