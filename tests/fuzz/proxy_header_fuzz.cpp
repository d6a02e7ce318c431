// libFuzzer entry point for the PROXY protocol header parser, which reads the first bytes of
// every connection from a trusted balancer.
//
//   clang++ -std=c++20 -O1 -fsanitize=fuzzer,address,undefined -I. tests/fuzz/proxy_header_fuzz.cpp \
//       protocol/proxy_header.cpp -o /tmp/proxyfuzz
//   mkdir -p /tmp/pcorpus && cp tests/fuzz/proxy_corpus/* /tmp/pcorpus && /tmp/proxyfuzz /tmp/pcorpus
//
// Besides crashes and sanitizer reports it checks what the reader relies on: an answer other
// than need_more never changes as bytes are appended; need_more is never given for more than
// proxy_header_max_bytes; a header consumes no more than it was given (nor more than its bound);
// every prefix of a parsed header asks for more; a v4 source leaves the unused address bytes 0.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "protocol/proxy_header.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

using namespace chatd::protocol;

bool need_more(const proxy_result& r) { return std::holds_alternative<proxy_need_more>(r); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const proxy_result whole = parse_proxy_header(input);
  if (need_more(whole)) {
    FUZZ_CHECK(size < proxy_header_max_bytes);
    return 0;
  }
  if (const auto* parsed = std::get_if<proxy_parsed>(&whole)) {
    FUZZ_CHECK(parsed->consumed > 0 && parsed->consumed <= size);
    FUZZ_CHECK(parsed->consumed <= proxy_header_max_bytes);
    FUZZ_CHECK(parsed->version == 1 || parsed->version == 2);
    if (parsed->version == 1) FUZZ_CHECK(parsed->consumed <= proxy_v1_max_bytes);
    if (parsed->source && !parsed->source->v6) {
      for (std::size_t i = 4; i < 16; ++i) FUZZ_CHECK(parsed->source->address[i] == 0);
    }
    // The header alone gives the same answer, and each of its prefixes asks for more (the
    // reader consumes what a need_more saw, so this is what keeps it from eating chat input).
    const std::string_view header = input.substr(0, parsed->consumed);
    FUZZ_CHECK(parse_proxy_header(header) == whole);
    for (std::size_t cut = 0; cut < header.size(); ++cut) {
      FUZZ_CHECK(need_more(parse_proxy_header(header.substr(0, cut))));
    }
  }
  // A verdict stands whatever comes after: the first prefix that was not need_more decides.
  for (std::size_t cut = 0; cut <= size; ++cut) {
    const proxy_result r = parse_proxy_header(input.substr(0, cut));
    if (need_more(r)) continue;
    FUZZ_CHECK(r == whole);
    break;
  }
  return 0;
}
