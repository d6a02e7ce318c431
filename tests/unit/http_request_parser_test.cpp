#include "server/http/http_request_parser.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace chatd {
namespace {

using status = http_request_parser::status;

constexpr std::size_t max_head = 8192;

struct outcome {
  status state = status::need_more;
  std::size_t consumed = 0;  // of all the pieces together
  http_request request;
};

// Feeds `pieces` in turn until a verdict, as a connection would.
outcome feed(const std::vector<std::string_view>& pieces, std::size_t max = max_head) {
  http_request_parser parser(max);
  outcome out;
  for (std::string_view piece : pieces) {
    const auto r = parser.parse(piece);
    out.consumed += r.consumed;
    out.state = r.state;
    if (r.state != status::need_more) break;
  }
  if (out.state == status::done) out.request = parser.request();
  return out;
}

std::vector<std::string_view> split_at(std::string_view text, std::size_t offset) {
  return {text.substr(0, offset), text.substr(offset)};
}

std::vector<std::string_view> byte_by_byte(std::string_view text) {
  std::vector<std::string_view> pieces;
  for (std::size_t i = 0; i < text.size(); ++i) pieces.push_back(text.substr(i, 1));
  return pieces;
}

void expect_same(const http_request& a, const http_request& b, const std::string& where) {
  EXPECT_EQ(a.method, b.method) << where;
  EXPECT_EQ(a.target, b.target) << where;
  EXPECT_EQ(a.version_minor, b.version_minor) << where;
  ASSERT_EQ(a.headers.size(), b.headers.size()) << where;
  for (std::size_t i = 0; i < a.headers.size(); ++i) {
    EXPECT_EQ(a.headers[i].name, b.headers[i].name) << where;
    EXPECT_EQ(a.headers[i].value, b.headers[i].value) << where;
  }
}

struct good_case {
  const char* name;
  std::string text;
  const char* method;
  const char* target;
  int version_minor;
  std::size_t header_count;
};

const std::vector<good_case>& good_cases() {
  static const std::vector<good_case> cases{
      {"prometheus scrape",
       "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9102\r\nUser-Agent: Prometheus/2.42.0\r\n"
       "Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5\r\n"
       "Accept-Encoding: gzip\r\nX-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n",
       "GET", "/metrics", 1, 5},
      {"no headers", "GET /healthz HTTP/1.1\r\n\r\n", "GET", "/healthz", 1, 0},
      {"http/1.0", "HEAD /metrics HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "HEAD",
       "/metrics", 0, 1},
      {"bare LF line ends", "GET /metrics HTTP/1.1\nHost: x\n\n", "GET", "/metrics", 1, 1},
      {"leading empty lines", "\r\n\r\nGET / HTTP/1.1\r\n\r\n", "GET", "/", 1, 0},
      {"query and odd spacing in values",
       "GET /metrics?name[]=a%20b HTTP/1.1\r\nHost:x\r\nX-Empty:\r\nX-Pad: \t v  v \t\r\n\r\n",
       "GET", "/metrics?name[]=a%20b", 1, 3},
      {"other method with zero body", "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
       "POST", "/metrics", 1, 1},
      {"obs-text in a value", "GET / HTTP/1.1\r\nX-Name: caf\xc3\xa9\r\n\r\n", "GET", "/", 1, 1},
  };
  return cases;
}

TEST(HttpRequestParser, ParsesGoodRequestsWhole) {
  for (const auto& c : good_cases()) {
    const auto out = feed({c.text});
    ASSERT_EQ(out.state, status::done) << c.name;
    EXPECT_EQ(out.consumed, c.text.size()) << c.name;
    EXPECT_EQ(out.request.method, c.method) << c.name;
    EXPECT_EQ(out.request.target, c.target) << c.name;
    EXPECT_EQ(out.request.version_minor, c.version_minor) << c.name;
    EXPECT_EQ(out.request.headers.size(), c.header_count) << c.name;
  }
}

TEST(HttpRequestParser, GivesTheSameRequestSplitAtEveryOffsetAndByteByByte) {
  for (const auto& c : good_cases()) {
    const auto whole = feed({c.text});
    for (std::size_t offset = 0; offset <= c.text.size(); ++offset) {
      const auto out = feed(split_at(c.text, offset));
      const std::string where = std::string(c.name) + " split at " + std::to_string(offset);
      ASSERT_EQ(out.state, status::done) << where;
      EXPECT_EQ(out.consumed, c.text.size()) << where;
      expect_same(out.request, whole.request, where);
    }
    const auto out = feed(byte_by_byte(c.text));
    ASSERT_EQ(out.state, status::done) << c.name;
    expect_same(out.request, whole.request, std::string(c.name) + " byte by byte");
  }
}

TEST(HttpRequestParser, KeepsHeaderNamesAsSentAndFindsThemInAnyCase) {
  const auto out = feed({"GET /metrics?x=1 HTTP/1.1\r\nHOST: a\r\nx-Thing:  b \r\n\r\n"});
  ASSERT_EQ(out.state, status::done);
  EXPECT_EQ(out.request.headers[0].name, "HOST");
  ASSERT_NE(out.request.header("host"), nullptr);
  EXPECT_EQ(*out.request.header("host"), "a");
  EXPECT_EQ(*out.request.header("X-THING"), "b");
  EXPECT_EQ(out.request.header("missing"), nullptr);
  EXPECT_EQ(out.request.path(), "/metrics");
}

TEST(HttpRequestParser, StopsAtTheEndOfTheHeadLeavingPipelinedBytes) {
  const std::string first = "GET /metrics HTTP/1.1\r\n\r\n";
  const std::string second = "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n";
  const std::string both = first + second;
  http_request_parser parser(max_head);
  const auto r1 = parser.parse(both);
  ASSERT_EQ(r1.state, status::done);
  EXPECT_EQ(r1.consumed, first.size());
  EXPECT_EQ(parser.request().target, "/metrics");
  // A finished parser takes nothing more until reset.
  EXPECT_EQ(parser.parse("x").consumed, 0u);
  parser.reset();
  const auto r2 = parser.parse(std::string_view(both).substr(r1.consumed));
  ASSERT_EQ(r2.state, status::done);
  EXPECT_EQ(r2.consumed, second.size());
  EXPECT_EQ(parser.request().target, "/healthz");
  EXPECT_FALSE(parser.request().keep_alive());
}

TEST(HttpRequestParser, NeedsMoreUntilTheBlankLine) {
  for (const char* partial : {"", "GET", "GET /metrics HTTP/1.1", "GET /metrics HTTP/1.1\r\n",
                              "GET /metrics HTTP/1.1\r\nHost: x\r\n", "GET / HTTP/1.1\r\n\r"}) {
    const auto out = feed({partial});
    EXPECT_EQ(out.state, status::need_more) << partial;
    EXPECT_EQ(out.consumed, std::string_view(partial).size()) << partial;
  }
}

struct bad_case {
  const char* name;
  std::string text;
};

TEST(HttpRequestParser, RejectsMalformedRequestsHoweverTheyAreSplit) {
  const std::vector<bad_case> cases{
      {"unsupported version", "GET /metrics HTTP/2.0\r\n\r\n"},
      {"lower-case version", "GET /metrics http/1.1\r\n\r\n"},
      {"HTTP/0.9 request line", "GET /metrics\r\n\r\n"},
      {"garbage", "hello\r\n\r\n"},
      {"double space", "GET  /metrics HTTP/1.1\r\n\r\n"},
      {"trailing space", "GET /metrics HTTP/1.1 \r\n\r\n"},
      {"extra word", "GET /a b HTTP/1.1\r\n\r\n"},
      {"bad method", "G(T / HTTP/1.1\r\n\r\n"},
      {"control byte in target", "GET /\x01 HTTP/1.1\r\n\r\n"},
      {"non-ASCII target", "GET /caf\xc3\xa9 HTTP/1.1\r\n\r\n"},
      {"stray CR in request line", "GET /\r HTTP/1.1\r\n\r\n"},
      {"header without colon", "GET / HTTP/1.1\r\nNoColon\r\n\r\n"},
      {"space before colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n"},
      {"empty header name", "GET / HTTP/1.1\r\n: x\r\n\r\n"},
      {"obsolete line folding", "GET / HTTP/1.1\r\nX-A: a\r\n b\r\n\r\n"},
      {"control byte in value", "GET / HTTP/1.1\r\nX-A: a\x7f\r\n\r\n"},
      {"NUL in value", std::string("GET / HTTP/1.1\r\nX-A: a\0b\r\n\r\n", 28)},
      {"non-numeric Content-Length", "POST / HTTP/1.1\r\nContent-Length: ten\r\n\r\n"},
      {"negative Content-Length", "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"},
      {"empty Content-Length", "POST / HTTP/1.1\r\nContent-Length:\r\n\r\n"},
      {"conflicting Content-Lengths",
       "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"},
      {"Content-Length with Transfer-Encoding",
       "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"},
  };
  for (const auto& c : cases) {
    const auto whole = feed({c.text});
    EXPECT_EQ(whole.state, status::bad) << c.name;
    for (std::size_t offset = 0; offset <= c.text.size(); ++offset)
      EXPECT_EQ(feed(split_at(c.text, offset)).state, status::bad)
          << c.name << " split at " << offset;
    EXPECT_EQ(feed(byte_by_byte(c.text)).state, status::bad) << c.name << " byte by byte";
  }
}

TEST(HttpRequestParser, SaysWhyARequestWasRejected) {
  http_request_parser parser(max_head);
  EXPECT_EQ(parser.parse("GET / HTTP/3\r\n\r\n").state, status::bad);
  EXPECT_EQ(parser.error(), "unsupported HTTP version");
  // A rejected parser repeats its verdict and takes nothing.
  const auto again = parser.parse("GET / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(again.state, status::bad);
  EXPECT_EQ(again.consumed, 0u);
  parser.reset();
  EXPECT_EQ(parser.parse("GET / HTTP/1.1\r\n\r\n").state, status::done);
}

TEST(HttpRequestParser, AcceptsAHeadOfExactlyTheLimitAndRejectsOneByteMore) {
  const std::string start = "GET / HTTP/1.1\r\nX-Pad: ";
  const std::string end = "\r\n\r\n";
  const std::size_t limit = 256;
  const std::string exact = start + std::string(limit - start.size() - end.size(), 'a') + end;
  ASSERT_EQ(exact.size(), limit);
  EXPECT_EQ(feed({exact}, limit).state, status::done);
  const std::string over = start + std::string(limit - start.size() - end.size() + 1, 'a') + end;
  const auto out = feed({over}, limit);
  EXPECT_EQ(out.state, status::bad);
  EXPECT_EQ(out.consumed, limit + 1);  // stops taking as soon as the limit is passed
  EXPECT_EQ(feed(byte_by_byte(over), limit).state, status::bad);
}

TEST(HttpRequestParser, RejectsAnEndlessHeadOnceItPassesTheLimit) {
  http_request_parser parser(1024);
  const std::string chunk = "X-Endless: " + std::string(100, 'z') + "\r\n";
  EXPECT_EQ(parser.parse("GET / HTTP/1.1\r\n").state, status::need_more);
  status state = status::need_more;
  for (int i = 0; i < 20 && state == status::need_more; ++i) state = parser.parse(chunk).state;
  EXPECT_EQ(state, status::bad);
  EXPECT_EQ(parser.error(), "request head too large");
}

TEST(HttpRequestParser, CountsSkippedEmptyLinesAgainstTheLimit) {
  EXPECT_EQ(feed({std::string(100, '\n')}, 64).state, status::bad);
}

TEST(HttpRequestParser, DecidesKeepAliveFromVersionAndConnectionHeader) {
  struct row {
    const char* text;
    bool keep_alive;
  };
  const row rows[] = {
      {"GET / HTTP/1.1\r\n\r\n", true},
      {"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", false},
      {"GET / HTTP/1.1\r\nconnection: Keep-Alive, CLOSE\r\n\r\n", false},
      {"GET / HTTP/1.1\r\nConnection: upgrade\r\nConnection: close\r\n\r\n", false},
      {"GET / HTTP/1.1\r\nConnection: closed\r\n\r\n", true},
      {"GET / HTTP/1.0\r\n\r\n", false},
      {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true},
      {"GET / HTTP/1.0\r\nConnection: TE, Keep-Alive\r\n\r\n", true},
  };
  for (const row& r : rows) {
    const auto out = feed({r.text});
    ASSERT_EQ(out.state, status::done) << r.text;
    EXPECT_EQ(out.request.keep_alive(), r.keep_alive) << r.text;
  }
}

TEST(HttpRequestParser, NotesWhetherABodyFollows) {
  EXPECT_FALSE(feed({"GET / HTTP/1.1\r\n\r\n"}).request.has_body());
  EXPECT_FALSE(feed({"POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n"}).request.has_body());
  const auto sized = feed({"POST / HTTP/1.1\r\nContent-Length: 12\r\n\r\n"}).request;
  EXPECT_TRUE(sized.has_body());
  EXPECT_EQ(sized.content_length, 12u);
  EXPECT_TRUE(feed({"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"}).request.has_body());
  EXPECT_EQ(feed({"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n"}).state,
            status::done);
}

}  // namespace
}  // namespace chatd
