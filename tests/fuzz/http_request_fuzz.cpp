// libFuzzer entry point for the metrics listener's request parser.
//
//   clang++ -std=c++20 -fsanitize=fuzzer,address,undefined -I. tests/fuzz/http_request_fuzz.cpp \
//       server/http_request_parser.cpp -o /tmp/hfuzz
//   /tmp/hfuzz -max_total_time=60
//
// Besides crashes and sanitizer reports it checks what the connection relies on: however the
// bytes are chunked, the same requests come out with the same verdicts and the same byte counts;
// no head longer than the limit is accepted; an accepted request is well formed.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "server/http/http_request_parser.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

using chatd::http_request_parser;

// Small, so that heads right at and just over the bound are common.
constexpr std::size_t max_head = 64;

struct verdict {
  http_request_parser::status state;
  std::size_t end;  // offset in the input just past this request's bytes
  std::string method, target;
  int version_minor;
  std::size_t headers;
  bool keep_alive;
  bool operator==(const verdict&) const = default;
};

// Parses `data` as pipelined requests, in chunks whose sizes come from `seed` (0 = whole),
// stopping at the first bad one, as a connection does.
std::vector<verdict> run(std::string_view data, std::uint32_t seed) {
  http_request_parser parser(max_head);
  std::vector<verdict> out;
  std::size_t offset = 0;
  while (offset < data.size()) {
    std::size_t n = data.size() - offset;
    if (seed != 0) {
      seed ^= seed << 13;  // xorshift32
      seed ^= seed >> 17;
      seed ^= seed << 5;
      n = std::min<std::size_t>(n, 1 + seed % 23);
    }
    std::string_view chunk = data.substr(offset, n);
    while (!chunk.empty()) {
      const auto r = parser.parse(chunk);
      FUZZ_CHECK(r.consumed <= chunk.size());
      offset += r.consumed;
      chunk.remove_prefix(r.consumed);
      if (r.state == http_request_parser::status::need_more) {
        FUZZ_CHECK(chunk.empty());
        break;
      }
      if (r.state == http_request_parser::status::bad) {
        FUZZ_CHECK(!parser.error().empty());
        out.push_back({r.state, offset, {}, {}, 0, 0, false});
        return out;
      }
      const auto& req = parser.request();
      FUZZ_CHECK(!req.method.empty() && !req.target.empty());
      FUZZ_CHECK(req.target.find_first_of(" \r\n") == std::string::npos);
      FUZZ_CHECK(req.version_minor == 0 || req.version_minor == 1);
      FUZZ_CHECK(!(req.chunked && req.content_length > 0));
      out.push_back({r.state, offset, req.method, req.target, req.version_minor,
                     req.headers.size(), req.keep_alive()});
      parser.reset();
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::vector<verdict> whole = run(input, 0);
  FUZZ_CHECK(run(input, static_cast<std::uint32_t>(size) * 2654435761u | 1u) == whole);
  std::size_t start = 0;
  for (const verdict& v : whole) {
    if (v.state == http_request_parser::status::done) FUZZ_CHECK(v.end - start <= max_head);
    start = v.end;
  }
  return 0;
}
