#include "protocol/cluster_state.hpp"

#include <nlohmann/json.hpp>

namespace chatd::protocol {

namespace {

using nlohmann::json;

std::string dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// The object in `bytes`, or a discarded value if it is not one.
json object_in(std::string_view bytes) {
  json in = json::parse(bytes.begin(), bytes.end(), nullptr, false);
  return in.is_object() ? in : json(json::value_t::discarded);
}

bool read_string(const json& obj, const char* key, std::string& out) {
  const auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return false;
  out = it->get<std::string>();
  return true;
}

}  // namespace

std::string encode_nick_holder(const nick_holder& holder) {
  return dump({{"i", holder.instance}, {"c", holder.claim}, {"n", holder.nick}});
}

std::optional<nick_holder> decode_nick_holder(std::string_view bytes) {
  const json in = object_in(bytes);
  nick_holder out;
  if (in.is_discarded() || !read_string(in, "i", out.instance) || !read_string(in, "c", out.claim) ||
      !read_string(in, "n", out.nick) || out.nick.empty()) {
    return std::nullopt;
  }
  return out;
}

std::string encode_member(const member_entry& member) {
  return dump({{"n", member.nick}, {"i", member.instance}});
}

std::optional<member_entry> decode_member(std::string_view bytes) {
  const json in = object_in(bytes);
  member_entry out;
  if (in.is_discarded() || !read_string(in, "n", out.nick) || !read_string(in, "i", out.instance) ||
      out.nick.empty()) {
    return std::nullopt;
  }
  return out;
}

std::string encode_topic(const topic_entry& topic) {
  return dump({{"t", topic.topic}, {"n", topic.by}, {"i", topic.instance}});
}

std::optional<topic_entry> decode_topic(std::string_view bytes) {
  const json in = object_in(bytes);
  topic_entry out;
  if (in.is_discarded() || !read_string(in, "t", out.topic) || !read_string(in, "n", out.by) ||
      !read_string(in, "i", out.instance)) {
    return std::nullopt;
  }
  return out;
}

std::string encode_private(const pm_event& pm) {
  return dump({{"f", pm.from}, {"t", pm.to}, {"x", pm.text}, {"ts", pm.ts}});
}

std::optional<private_message> decode_private(std::string_view bytes) {
  const json in = object_in(bytes);
  private_message out;
  if (in.is_discarded() || !read_string(in, "f", out.from) || !read_string(in, "t", out.to) ||
      !read_string(in, "x", out.text)) {
    return std::nullopt;
  }
  const auto ts = in.find("ts");
  if (ts == in.end() || !ts->is_number_integer()) return std::nullopt;
  out.ts = ts->get<timestamp_ms>();
  return out;
}

}  // namespace chatd::protocol
