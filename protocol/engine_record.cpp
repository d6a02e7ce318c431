#include "protocol/engine_record.hpp"

#include <cstdint>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "protocol/names.hpp"

namespace chatd::protocol {

namespace {

using nlohmann::json;

// Short keys: a record is written once per batch but stored in every replica and read by
// every node.
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

}  // namespace

std::string encode_room_record(const room_record& record) {
  json messages = json::array();
  for (const record_message& m : record.messages) {
    json one = {{k_from, m.from}, {k_text, m.text}, {k_ts, m.ts}, {k_client, m.client}};
    if (m.action) one[k_action] = true;
    messages.push_back(std::move(one));
  }
  json out = {{k_epoch, record.epoch},
              {k_first, record.first_seq},
              {k_node, record.node},
              {k_batch, record.batch},
              {k_messages, std::move(messages)}};
  if (record.fence) out[k_fence] = true;
  // Texts are sanitized UTF-8; should one not be, it is stored with U+FFFD, not refused.
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<room_record> decode_room_record(std::string_view bytes) {
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
        !read(one, k_client, m.client)) {
      return std::nullopt;
    }
    if (one.contains(k_action) && !read(one, k_action, m.action)) return std::nullopt;
    record.messages.push_back(std::move(m));
  }
  // The last seq must not wrap around.
  if (record.first_seq > UINT64_MAX - record.messages.size()) return std::nullopt;
  return record;
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
