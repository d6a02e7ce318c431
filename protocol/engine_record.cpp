#include "protocol/engine_record.hpp"

#include <cstdint>
#include <string_view>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "protocol/names.hpp"
#include "protocol/utf8.hpp"

namespace chatd::protocol {

namespace {

using nlohmann::json;

// The JSON form's short keys (a record is stored in every replica and read by every node).
constexpr const char* k_epoch = "e";
constexpr const char* k_first = "s";
constexpr const char* k_node = "n";
constexpr const char* k_batch = "b";
constexpr const char* k_fence = "v";
constexpr const char* k_messages = "m";
constexpr const char* k_from = "f";
constexpr const char* k_text = "t";
constexpr const char* k_ts = "ts";
constexpr const char* k_action = "a";
constexpr const char* k_client = "c";

template <class T>
bool read(const json& obj, const char* key, T& out) {
  const auto it = obj.find(key);
  if (it == obj.end()) return false;
  if constexpr (std::is_same_v<T, std::string>) {
    if (!it->is_string()) return false;
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!it->is_boolean()) return false;
  } else if constexpr (std::is_unsigned_v<T>) {
    if (!it->is_number_unsigned()) return false;
  } else {
    if (!it->is_number_integer()) return false;
  }
  out = it->get<T>();
  return true;
}

// The record's bytes, version 1: a tag byte, then fields as LEB128 varints and
// length-prefixed strings. Not JSON: a node encodes each record once and every node decodes
// every record, and JSON cost a quarter of a busy node's CPU. Records of the JSON form
// (which starts with '{', never the tag) are still read.
constexpr char binary_tag = '\x01';
constexpr unsigned char flag_fence = 1;
constexpr unsigned char flag_action = 1;

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// Texts are sanitized UTF-8; should one not be, it is stored with U+FFFD, not refused.
void put_text(std::string& out, std::string_view text) {
  if (is_valid_utf8(text)) {
    put_varint(out, text.size());
    out.append(text);
    return;
  }
  std::string fixed;
  for (std::size_t i = 0; i < text.size();) {
    const utf8_sequence seq = decode_utf8(text, i);
    if (seq.valid) {
      fixed.append(text.substr(i, seq.length));
    } else {
      fixed.append(replacement_character_utf8);
    }
    i += seq.length;
  }
  put_varint(out, fixed.size());
  out.append(fixed);
}

// Reads from the front of `in`, consuming what it read; false on truncated or overlong input.
bool get_varint(std::string_view& in, std::uint64_t& out) {
  std::uint64_t v = 0;
  for (unsigned shift = 0; shift < 64; shift += 7) {
    if (in.empty()) return false;
    const auto b = static_cast<unsigned char>(in.front());
    in.remove_prefix(1);
    if (shift == 63 && b > 1) return false;  // past 64 bits
    v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
    if (b < 0x80) {
      out = v;
      return true;
    }
  }
  return false;
}

bool get_text(std::string_view& in, std::string& out) {
  std::uint64_t size = 0;
  if (!get_varint(in, size) || size > in.size()) return false;
  const std::string_view text = in.substr(0, size);
  if (!is_valid_utf8(text)) return false;
  out.assign(text);
  in.remove_prefix(size);
  return true;
}

bool get_byte(std::string_view& in, unsigned char& out) {
  if (in.empty()) return false;
  out = static_cast<unsigned char>(in.front());
  in.remove_prefix(1);
  return true;
}

std::optional<room_record> decode_binary(std::string_view in) {
  room_record record;
  unsigned char flags = 0;
  std::uint64_t count = 0;
  if (!get_text(in, record.epoch) || !is_valid_epoch(record.epoch)) return std::nullopt;
  if (!get_varint(in, record.first_seq) || record.first_seq == 0) return std::nullopt;
  if (!get_text(in, record.node) || !get_varint(in, record.batch)) return std::nullopt;
  if (!get_byte(in, flags) || (flags & ~flag_fence) != 0) return std::nullopt;
  record.fence = (flags & flag_fence) != 0;
  if (!get_varint(in, count) || (count == 0) != record.fence) return std::nullopt;
  // Each message takes at least 5 bytes: a bound on the count before reserving for it.
  if (count > in.size() / 5) return std::nullopt;
  record.messages.reserve(count);
  for (std::uint64_t i = 0; i < count; ++i) {
    record_message m;
    std::uint64_t ts = 0;
    unsigned char mflags = 0;
    if (!get_text(in, m.from) || !get_text(in, m.text) || !get_varint(in, ts) ||
        !get_varint(in, m.client) || !get_byte(in, mflags) || (mflags & ~flag_action) != 0 ||
        ts > static_cast<std::uint64_t>(INT64_MAX)) {
      return std::nullopt;
    }
    m.ts = static_cast<timestamp_ms>(ts);
    m.action = (mflags & flag_action) != 0;
    record.messages.push_back(std::move(m));
  }
  if (!in.empty()) return std::nullopt;
  // The last seq must not wrap around.
  if (record.first_seq > UINT64_MAX - record.messages.size()) return std::nullopt;
  return record;
}

// The JSON form of earlier releases, kept readable so a stream written by one survives an
// upgrade.
std::optional<room_record> decode_json(std::string_view bytes) {
  const json in = json::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (!in.is_object()) return std::nullopt;
  room_record record;
  if (!read(in, k_epoch, record.epoch) || !is_valid_epoch(record.epoch)) return std::nullopt;
  if (!read(in, k_first, record.first_seq) || record.first_seq == 0) return std::nullopt;
  if (!read(in, k_node, record.node) || !read(in, k_batch, record.batch)) return std::nullopt;
  if (in.contains(k_fence) && !read(in, k_fence, record.fence)) return std::nullopt;
  const auto list = in.find(k_messages);
  if (list == in.end() || !list->is_array() || list->empty() != record.fence) return std::nullopt;
  record.messages.reserve(list->size());
  for (const json& one : *list) {
    if (!one.is_object()) return std::nullopt;
    record_message m;
    if (!read(one, k_from, m.from) || !read(one, k_text, m.text) || !read(one, k_ts, m.ts) ||
        !read(one, k_client, m.client) || m.ts < 0) {
      return std::nullopt;
    }
    if (one.contains(k_action) && !read(one, k_action, m.action)) return std::nullopt;
    record.messages.push_back(std::move(m));
  }
  // The last seq must not wrap around.
  if (record.first_seq > UINT64_MAX - record.messages.size()) return std::nullopt;
  return record;
}

}  // namespace

std::string encode_room_record(const room_record& record) {
  std::string out;
  std::size_t size = 32 + record.epoch.size() + record.node.size();
  for (const record_message& m : record.messages) size += 24 + m.from.size() + m.text.size();
  out.reserve(size);
  out.push_back(binary_tag);
  put_text(out, record.epoch);
  put_varint(out, record.first_seq);
  put_text(out, record.node);
  put_varint(out, record.batch);
  out.push_back(static_cast<char>(record.fence ? flag_fence : 0));
  put_varint(out, record.messages.size());
  for (const record_message& m : record.messages) {
    put_text(out, m.from);
    put_text(out, m.text);
    put_varint(out, static_cast<std::uint64_t>(m.ts < 0 ? 0 : m.ts));
    put_varint(out, m.client);
    out.push_back(static_cast<char>(m.action ? flag_action : 0));
  }
  return out;
}

std::optional<room_record> decode_room_record(std::string_view bytes) {
  if (!bytes.empty() && bytes.front() == binary_tag) return decode_binary(bytes.substr(1));
  return decode_json(bytes);
}

std::optional<publish_reply> parse_publish_reply(std::string_view bytes) {
  const json in = json::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (!in.is_object()) return std::nullopt;
  publish_reply reply;
  if (const auto error = in.find("error"); error != in.end()) {
    if (!error->is_object()) return std::nullopt;
    publish_refusal refusal;
    read(*error, "code", refusal.code);
    read(*error, "err_code", refusal.err_code);
    read(*error, "description", refusal.description);
    reply.refusal = std::move(refusal);
    return reply;
  }
  publish_ack ack;
  std::string stream;
  if (!read(in, "stream", stream) || !read(in, "seq", ack.stream_seq) || ack.stream_seq == 0)
    return std::nullopt;
  read(in, "duplicate", ack.duplicate);
  reply.ack = ack;
  return reply;
}

std::optional<std::uint64_t> refusal_last_seq(const publish_refusal& refusal) {
  if (refusal.err_code != wrong_last_subject_seq) return std::nullopt;
  const std::string_view text = refusal.description;
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::uint64_t value = 0;
  bool digits = false;
  for (char c : text.substr(colon + 1)) {
    if (c == ' ' && !digits) continue;
    if (c < '0' || c > '9') return std::nullopt;
    if (value > (UINT64_MAX - 9) / 10) return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
    digits = true;
  }
  if (!digits) return std::nullopt;
  return value;
}

}  // namespace chatd::protocol
