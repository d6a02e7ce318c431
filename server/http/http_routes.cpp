#include "server/http/http_routes.hpp"

#include "metrics/text_exposition.hpp"

namespace chatd {

namespace {

http_response metrics_page(const http_handlers& handlers) {
  http_response response = http_text_response(200, handlers.metrics_body());
  response.content_type = metrics::text_content_type;
  return response;
}

http_response health(const http_handlers& handlers) {
  const std::string reason = handlers.unhealthy_reason();
  return reason.empty() ? http_text_response(200, "ok\n") : http_text_response(503, reason + "\n");
}

}  // namespace

http_response route(const http_request& request, const http_handlers& handlers) {
  const auto path = request.path();
  const bool is_metrics = path == "/metrics";
  if (!is_metrics && path != "/healthz") return http_text_response(404, "not found\n");
  if (request.method != "GET" && request.method != "HEAD") {
    http_response response = http_text_response(405, "method not allowed\n");
    response.headers.push_back({"Allow", "GET, HEAD"});
    return response;
  }
  return is_metrics ? metrics_page(handlers) : health(handlers);
}

}  // namespace chatd
