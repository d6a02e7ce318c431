#include "server/http/http_response.hpp"

#include <gtest/gtest.h>

namespace chatd {
namespace {

TEST(HttpResponse, SerializesStatusHeadersLengthAndBody) {
  EXPECT_EQ(serialize(http_text_response(200, "ok\n"), true, false),
            "HTTP/1.1 200 OK\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Length: 3\r\n"
            "Connection: keep-alive\r\n"
            "\r\n"
            "ok\n");
}

TEST(HttpResponse, SaysCloseAndAddsExtraHeaders) {
  http_response response = http_text_response(405, "method not allowed\n");
  response.headers.push_back({"Allow", "GET, HEAD"});
  EXPECT_EQ(serialize(response, false, false),
            "HTTP/1.1 405 Method Not Allowed\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Length: 19\r\n"
            "Connection: close\r\n"
            "Allow: GET, HEAD\r\n"
            "\r\n"
            "method not allowed\n");
}

TEST(HttpResponse, HeadKeepsTheLengthOfTheBodyItLeavesOut) {
  EXPECT_EQ(serialize(http_text_response(503, "shutting down\n"), true, true),
            "HTTP/1.1 503 Service Unavailable\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Length: 14\r\n"
            "Connection: keep-alive\r\n"
            "\r\n");
}

TEST(HttpResponse, AlwaysSendsContentLengthEvenForAnEmptyBody) {
  const std::string bytes = serialize(http_text_response(200, ""), true, false);
  EXPECT_NE(bytes.find("\r\nContent-Length: 0\r\n"), std::string::npos);
}

TEST(HttpResponse, NamesTheStatusCodesItSends) {
  EXPECT_EQ(http_reason_phrase(400), "Bad Request");
  EXPECT_EQ(http_reason_phrase(404), "Not Found");
  EXPECT_EQ(http_reason_phrase(408), "Request Timeout");
  EXPECT_EQ(http_reason_phrase(500), "Internal Server Error");
  EXPECT_EQ(http_reason_phrase(599), "Unknown");
}

}  // namespace
}  // namespace chatd
