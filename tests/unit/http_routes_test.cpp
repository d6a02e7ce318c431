#include "server/http/http_routes.hpp"

#include <gtest/gtest.h>

#include <string>

#include "metrics/text_exposition.hpp"

namespace chatd {
namespace {

http_request request(std::string method, std::string target) {
  http_request r;
  r.method = std::move(method);
  r.target = std::move(target);
  return r;
}

struct fixture {
  bool healthy = true;
  int renders = 0;
  http_handlers handlers{[this] {
                           ++renders;
                           return std::string("# TYPE up gauge\nup 1\n");
                         },
                         [this] { return healthy ? std::string() : std::string("shutting down"); }};
};

const std::string* header(const http_response& response, std::string_view name) {
  for (const auto& h : response.headers)
    if (h.name == name) return &h.value;
  return nullptr;
}

TEST(HttpRoutes, ServesMetricsWithThePrometheusContentType) {
  fixture f;
  for (const char* method : {"GET", "HEAD"}) {
    const auto response = route(request(method, "/metrics"), f.handlers);
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.content_type, metrics::text_content_type);
    EXPECT_EQ(response.body, "# TYPE up gauge\nup 1\n");
  }
  EXPECT_EQ(route(request("GET", "/metrics?debug=1"), f.handlers).status, 200);
  EXPECT_EQ(f.renders, 3);
}

TEST(HttpRoutes, HealthzSaysOkUntilShutdownBegins) {
  fixture f;
  auto response = route(request("GET", "/healthz"), f.handlers);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "ok\n");
  f.healthy = false;
  response = route(request("GET", "/healthz"), f.handlers);
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.body, "shutting down\n");
  EXPECT_EQ(f.renders, 0);
}

TEST(HttpRoutes, AnswersOtherMethodsWith405AndAllow) {
  fixture f;
  for (const char* method : {"POST", "PUT", "DELETE", "OPTIONS", "get"}) {
    for (const char* path : {"/metrics", "/healthz"}) {
      const auto response = route(request(method, path), f.handlers);
      EXPECT_EQ(response.status, 405) << method << " " << path;
      ASSERT_NE(header(response, "Allow"), nullptr);
      EXPECT_EQ(*header(response, "Allow"), "GET, HEAD");
    }
  }
  EXPECT_EQ(f.renders, 0);
}

TEST(HttpRoutes, AnswersOtherPathsWith404) {
  fixture f;
  for (const char* path : {"/", "/metrics/", "/Metrics", "/healthz/x", "*", "http://h/metrics"})
    EXPECT_EQ(route(request("GET", path), f.handlers).status, 404) << path;
  EXPECT_EQ(route(request("POST", "/nope"), f.handlers).status, 404);
}

}  // namespace
}  // namespace chatd
