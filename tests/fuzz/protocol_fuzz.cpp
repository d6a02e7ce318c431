// libFuzzer entry point for the input path: framing, sanitising, parsing, encoding.
//
//   clang++ -std=c++20 -O1 -fsanitize=fuzzer,address,undefined -I. tests/fuzz/protocol_fuzz.cpp \
//       protocol/*.cpp -o /tmp/pfuzz
//   mkdir -p /tmp/corpus && cp tests/fuzz/corpus/* /tmp/corpus && /tmp/pfuzz /tmp/corpus
//
// Use -O1 for speed. The corpus is copied first so that the inputs libFuzzer adds do not end up
// in the repository.
//
// Besides crashes and sanitizer reports it checks the promises callers rely on: chunking never
// changes the frames, the splitter's memory bound, sanitize's output guarantees, a listing's
// LIMIT is in range, encoded lines are single CRLF-terminated lines, the JSON line is exactly the
// expected object with the text escaped so that it decodes back to itself, the UTF-8 decoder is
// total and round-trips, and the JSON string writer turns any bytes, under either policy, into a
// string that decodes to the input with each ill-formed sequence replaced.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/cluster_state.hpp"
#include "protocol/command.hpp"
#include "protocol/engine_record.hpp"
#include "protocol/format.hpp"
#include "protocol/json_chat_lines.hpp"
#include "protocol/json_string.hpp"
#include "protocol/line_splitter.hpp"
#include "protocol/names.hpp"
#include "protocol/room_pattern.hpp"
#include "protocol/sanitize.hpp"
#include "protocol/tls_sniff.hpp"
#include "protocol/utf8.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

using namespace chatd::protocol;

// Small, so that over-long lines and lines right at the bound are common.
constexpr std::size_t max_line = 40;

struct seen {
  frame_kind kind;
  std::string text;
  bool operator==(const seen&) const = default;
};

// Feeds `data` in chunks whose sizes come from `seed` (0 = all at once).
std::vector<seen> split(std::string_view data, std::uint32_t seed) {
  line_splitter splitter(max_line);
  std::vector<seen> frames;
  while (!data.empty()) {
    std::size_t n = data.size();
    if (seed != 0) {
      seed ^= seed << 13;  // xorshift32
      seed ^= seed >> 17;
      seed ^= seed << 5;
      n = std::min<std::size_t>(n, 1 + seed % 17);
    }
    std::string_view chunk = data.substr(0, n);
    data.remove_prefix(n);
    while (auto f = splitter.next(chunk)) {
      FUZZ_CHECK(f->kind == frame_kind::line || f->text.empty());
      FUZZ_CHECK(f->text.size() <= max_line);
      FUZZ_CHECK(f->text.find('\n') == std::string_view::npos);
      frames.push_back({f->kind, std::string(f->text)});
      FUZZ_CHECK(splitter.buffered() <= max_line + 1);
    }
    FUZZ_CHECK(chunk.empty());
    FUZZ_CHECK(splitter.buffered() <= max_line + 1);
  }
  return frames;
}

void check_safe(const std::string& s) {
  FUZZ_CHECK(is_valid_utf8(s));
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    FUZZ_CHECK(b >= 0x20 || b == '\t');
    FUZZ_CHECK(b != 0x7F);
    if (b == 0xC2 && i + 1 < s.size()) FUZZ_CHECK(static_cast<unsigned char>(s[i + 1]) >= 0xA0);
  }
  FUZZ_CHECK(sanitize(s) == s);  // nothing left to remove
}

void check_single_line(const std::string& out) {
  FUZZ_CHECK(out.size() >= 2 && out.compare(out.size() - 2, 2, "\r\n") == 0);
  FUZZ_CHECK(out.find('\n') == out.size() - 1);
  FUZZ_CHECK(out.find('\r') == out.size() - 2);
}

// Decodes the JSON string whose first character is at s[pos] (just past the opening quote) and
// moves `pos` past the closing quote. A small reader of our own, because nlohmann's parser would
// take most of each run's time (and brings thousands of coverage features of its own). Only the
// \u escapes that policy `how` writes are accepted.
std::optional<std::string> read_json_string(std::string_view s, std::size_t& pos,
                                            json_escape how = json_escape::wire) {
  std::string out;
  while (pos < s.size()) {
    const char c = s[pos++];
    if (c == '"') return out;
    if (static_cast<unsigned char>(c) < 0x20) return std::nullopt;  // must have been escaped
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (pos >= s.size()) return std::nullopt;
    switch (const char e = s[pos++]) {
      case '"': case '\\': case '/': out.push_back(e); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'u': {
        // ensure_ascii is off, so only control characters (and for the log the separators)
        // come as \u escapes.
        if (pos + 4 > s.size()) return std::nullopt;
        unsigned value = 0;
        for (char h : s.substr(pos, 4)) {
          const int digit = (h >= '0' && h <= '9') ? h - '0' : (h >= 'a' && h <= 'f') ? h - 'a' + 10 : -1;
          if (digit < 0) return std::nullopt;
          value = value * 16 + static_cast<unsigned>(digit);
        }
        const bool log_only = value == 0x7F || (value >= 0x80 && value <= 0x9F) ||
                              value == 0x2028 || value == 0x2029;
        if (value >= 0x20 && !(log_only && how == json_escape::log)) return std::nullopt;
        append_utf8(out, value);
        pos += 4;
        break;
      }
      default: return std::nullopt;
    }
  }
  return std::nullopt;  // unterminated
}

// The input as a replacing decoder reads it, checking on the way that decoding is total (every
// byte is covered once, nothing past the end) and that each valid sequence encodes back to itself.
std::string replaced(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    const utf8_sequence seq = decode_utf8(s, i);
    FUZZ_CHECK(seq.length >= 1 && seq.length <= 4 && seq.length <= s.size() - i);
    if (seq.valid) {
      const std::size_t start = out.size();
      append_utf8(out, seq.code_point);
      FUZZ_CHECK(std::string_view(out).substr(start) == s.substr(i, seq.length));
    } else {
      FUZZ_CHECK(seq.code_point == replacement_character);
      out += replacement_character_utf8;
    }
    i += seq.length;
  }
  FUZZ_CHECK(is_valid_utf8(out));
  FUZZ_CHECK(is_valid_utf8(s) == (out == s));
  return out;
}

// Raw bytes, not sanitised: the log writes whatever a message holds.
void check_json_string(std::string_view raw) {
  const std::string want = replaced(raw);
  for (const json_escape how : {json_escape::wire, json_escape::log}) {
    std::string out;
    append_json_string(out, raw, how);
    FUZZ_CHECK(is_valid_utf8(out));
    FUZZ_CHECK(!out.empty() && out.front() == '"');
    std::size_t end = 1;
    const std::optional<std::string> decoded = read_json_string(out, end, how);
    FUZZ_CHECK(decoded && *decoded == want && end == out.size());
    if (how == json_escape::log) {
      FUZZ_CHECK(out.find('\x7F') == std::string::npos);
      FUZZ_CHECK(out.find("\xE2\x80\xA8") == std::string::npos);
      FUZZ_CHECK(out.find("\xE2\x80\xA9") == std::string::npos);
      for (std::size_t i = 0; i + 1 < out.size(); ++i) {
        const auto next = static_cast<unsigned char>(out[i + 1]);
        FUZZ_CHECK(!(out[i] == '\xC2' && next >= 0x80 && next <= 0x9F));
      }
    }
  }
}

void check_line(std::string_view raw) {
  const std::string text = sanitize(raw);
  check_safe(text);
  if (text.empty()) return;  // the server ignores it

  const parse_result parsed = parse_command(text);
  if (const auto* cmd = std::get_if<command>(&parsed)) {
    FUZZ_CHECK(!command_name(cmd->kind).empty());
    if (cmd->kind == command_kind::format) FUZZ_CHECK(cmd->arg == "human" || cmd->arg == "json");
    if (cmd->kind == command_kind::rooms || cmd->kind == command_kind::who) {
      FUZZ_CHECK(!cmd->count || (*cmd->count >= 1 && *cmd->count <= max_listing_limit));
      FUZZ_CHECK(cmd->arg.find_first_of(" \t") == std::string::npos);  // one word at most
      // A pattern matches or not; fnmatch never reads past it, whatever it holds.
      if (cmd->kind == command_kind::rooms) (void)room_pattern(cmd->arg).matches("dev-ops_1");
    }
    if (cmd->kind == command_kind::history) {
      FUZZ_CHECK(!cmd->count || (*cmd->count >= 1 && *cmd->count <= max_history_request));
      FUZZ_CHECK(cmd->arg.find_first_of(" \t") == std::string::npos);
    }
    // Only a resuming join has a seq; its epoch is empty or one the server could have given,
    // and its room is one word.
    FUZZ_CHECK(!cmd->since || cmd->kind == command_kind::join);
    FUZZ_CHECK(cmd->epoch.empty() || (cmd->since && is_valid_epoch(cmd->epoch)));
    if (cmd->since) FUZZ_CHECK(cmd->arg.find_first_of(" \t") == std::string::npos);
  } else {
    const auto& error = std::get<parse_error>(parsed);
    FUZZ_CHECK(error.code == error_code::bad_argument || error.code == error_code::unknown_command);
  }

  const bool action = text.size() % 2 == 0;
  const bool history = text.size() % 3 == 0;
  const msg_event msg{"lobby", "fuzz", text, 1, 1'795'312'595'123, action, history};
  check_single_line(encode(msg, output_format::human));

  // The whole JSON line is known except the text, which must decode back to the input.
  const std::string json = encode(msg, output_format::json);
  check_single_line(json);
  const std::string_view prefix = R"({"type":"msg","room":"lobby","from":"fuzz","text":")";
  FUZZ_CHECK(std::string_view(json).substr(0, prefix.size()) == prefix);
  std::size_t end = prefix.size();
  const std::optional<std::string> decoded = read_json_string(json, end);
  FUZZ_CHECK(decoded && *decoded == text);
  const std::string suffix = R"(,"seq":1,"ts":"2026-11-22T01:56:35.123Z","action":)" +
                             std::string(action ? "true" : "false") +
                             (history ? R"(,"history":true})" : "}") + "\r\n";
  FUZZ_CHECK(std::string_view(json).substr(end) == suffix);
  // Plain text is laid out in one pass, at the size it announced; anything else is escaped.
  const std::size_t plain_size = plain_json_size(msg);
  FUZZ_CHECK(plain_size == (is_plain_json(text) ? json.size() : 0));
}

// What comes back from the engine: a record or a bucket value read is written back to the
// same value, and a publish reply is an ack or a refusal, never both.
void check_engine_input(std::string_view input) {
  if (const auto record = decode_room_record(input)) {
    FUZZ_CHECK(record->messages.empty() == record->fence && record->first_seq >= 1);
    const auto again = decode_room_record(encode_room_record(*record));
    FUZZ_CHECK(again && again->epoch == record->epoch && again->first_seq == record->first_seq &&
               again->node == record->node && again->batch == record->batch &&
               again->fence == record->fence &&
               again->messages.size() == record->messages.size());
    for (std::size_t i = 0; i < record->messages.size(); ++i) {
      const auto& a = again->messages[i];
      const auto& b = record->messages[i];
      FUZZ_CHECK(a.from == b.from && a.text == b.text && a.ts == b.ts && a.client == b.client &&
                 a.action == b.action);
    }
  }
  if (const auto reply = parse_publish_reply(input)) {
    FUZZ_CHECK(reply->ack.has_value() != reply->refusal.has_value());
    if (reply->refusal) (void)refusal_last_seq(*reply->refusal);
  }
  if (const auto holder = decode_nick_holder(input)) {
    const auto again = decode_nick_holder(encode_nick_holder(*holder));
    FUZZ_CHECK(again && again->nick == holder->nick && again->instance == holder->instance);
  }
  if (const auto member = decode_member(input)) {
    const auto again = decode_member(encode_member(*member));
    FUZZ_CHECK(again && again->nick == member->nick && again->instance == member->instance);
  }
  (void)decode_topic(input);
  (void)decode_private(input);
}

}  // namespace

// The plain port's TLS check: fed in two pieces or whole, the same verdict, and it is "tls"
// exactly for input starting 0x16 0x03.
void check_tls_sniff(std::string_view input) {
  tls_sniffer whole;
  const tls_verdict verdict = whole.feed(input);
  tls_sniffer pieces;
  const std::size_t cut = input.empty() ? 0 : static_cast<unsigned char>(input[0]) % input.size();
  pieces.feed(input.substr(0, cut));
  FUZZ_CHECK(pieces.feed(input.substr(cut)) == verdict);
  const bool hello = input.size() >= 2 && input[0] == '\x16' && input[1] == '\x03';
  FUZZ_CHECK((verdict == tls_verdict::tls) == hello);
  FUZZ_CHECK((verdict == tls_verdict::undecided) == (input.empty() || input == "\x16"));
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::vector<seen> whole = split(input, 0);
  FUZZ_CHECK(split(input, static_cast<std::uint32_t>(size) * 2654435761u | 1u) == whole);
  for (const seen& f : whole) {
    if (f.kind == frame_kind::line) check_line(f.text);
  }
  // The splitter hides long lines; sanitise the raw input too so long sequences get exercised.
  check_line(input.substr(0, 4 * max_line));
  check_json_string(input.substr(0, 4 * max_line));
  check_engine_input(input);
  check_tls_sniff(input);
  return 0;
}
