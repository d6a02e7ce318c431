// The JSON object builder the wire encoder writes each line with.
//
// Written by hand rather than through a JSON library: the msg line is encoded for every chat
// message, and a DOM per message costs far more than the bytes it produces. The output is byte for
// byte what nlohmann::ordered_json's dump(-1) with error_handler_t::replace gives for the same
// object (tests/unit/format_json_equivalence_test.cpp compares them): compact, keys in the
// documented order, strings escaped as json_escape::wire.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/events.hpp"
#include "protocol/json_string.hpp"
#include "protocol/timestamp.hpp"

namespace chatd::protocol {

inline void append_unsigned(std::string& out, std::uint64_t value) {
  char digits[20];
  std::size_t n = sizeof digits;
  do {
    digits[--n] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  out.append(digits + n, sizeof digits - n);
}

// Longest fixed part of any one object (the msg event with every optional field and the largest
// numbers, is about 130 bytes); reserving this plus the values makes one allocation per line
// unless many characters need escaping.
inline constexpr std::size_t json_overhead = 160;

// One JSON object as a line: {"type":TYPE, fields in call order}\r\n. Keys are literals that need
// no escaping; values are escaped.
class json_line {
 public:
  // `value_bytes`: the lengths of the values to come (a hint for the one allocation).
  json_line(std::string_view type, std::size_t value_bytes) : out_(&own_) {
    own_.reserve(json_overhead + value_bytes);
    start(type);
  }
  // Appends to `out` instead (a buffer reused from line to line: no allocation of its own);
  // end it with finish(), not take().
  json_line(std::string& out, std::string_view type) : out_(&out) { start(type); }

  json_line(json_line&& other) noexcept
      : own_(std::move(other.own_)), out_(other.out_ == &other.own_ ? &own_ : other.out_) {}
  json_line(const json_line&) = delete;
  json_line& operator=(const json_line&) = delete;
  json_line& operator=(json_line&&) = delete;
  template <std::size_t N>
  json_line& str(const char (&key)[N], std::string_view value) {
    name(key);
    string(value);
    return *this;
  }
  template <std::size_t N>
  json_line& number(const char (&key)[N], std::uint64_t value) {
    name(key);
    append_unsigned(*out_, value);
    return *this;
  }
  template <std::size_t N>
  json_line& boolean(const char (&key)[N], bool value) {
    name(key);
    *out_ += value ? "true" : "false";
    return *this;
  }
  template <std::size_t N>
  json_line& timestamp(const char (&key)[N], timestamp_ms ts) {
    name(key);
    out_->push_back('"');
    append_iso8601(*out_, ts);
    out_->push_back('"');
    return *this;
  }
  template <std::size_t N, typename Strings>
  json_line& strings(const char (&key)[N], const Strings& values) {
    name(key);
    out_->push_back('[');
    bool first = true;
    for (std::string_view v : values) {
      if (!first) out_->push_back(',');
      first = false;
      string(v);
    }
    out_->push_back(']');
    return *this;
  }
  template <std::size_t N>
  json_line& rooms(const char (&key)[N], const std::vector<room_info>& rooms) {
    name(key);
    out_->push_back('[');
    bool first = true;
    for (const room_info& r : rooms) {
      *out_ += first ? R"({"name":)" : R"(,{"name":)";
      first = false;
      string(r.name);
      *out_ += R"(,"members":)";
      append_unsigned(*out_, r.members);
      *out_ += R"(,"topic":)";
      string(r.topic);
      out_->push_back('}');
    }
    out_->push_back(']');
    return *this;
  }
  std::string take() {
    finish();
    return std::move(own_);
  }
  void finish() { *out_ += "}\r\n"; }

 private:
  void string(std::string_view value) { append_json_string(*out_, value, json_escape::wire); }

  // ,"key": in one append (N counts the literal's terminating NUL).
  template <std::size_t N>
  void name(const char (&key)[N]) {
    char text[N + 3];
    text[0] = ',';
    text[1] = '"';
    std::memcpy(text + 2, key, N - 1);
    text[N + 1] = '"';
    text[N + 2] = ':';
    out_->append(text, sizeof text);
  }

  void start(std::string_view type) {
    *out_ += R"({"type":")";
    *out_ += type;
    *out_ += '"';
  }

  std::string own_;
  std::string* out_;  // &own_, or the caller's buffer
};

}  // namespace chatd::protocol
