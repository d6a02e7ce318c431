// The small values nodes tell each other through the engine's key-value buckets and subjects:
// who holds a nick, who is in a room, a room's topic, a private message. Pure, and total on
// what they read (it comes from a shared engine): anything malformed is nullopt.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "protocol/events.hpp"

namespace chatd::protocol {

// PREFIX_nicks: the node instance holding a nick, the claim it won it with, the nick as
// written.
struct nick_holder {
  std::string instance;
  std::string claim;
  std::string nick;
};
std::string encode_nick_holder(const nick_holder& holder);
std::optional<nick_holder> decode_nick_holder(std::string_view bytes);

// PREFIX_state, m.ROOM.NICK: a member of ROOM on node `instance`.
struct member_entry {
  std::string nick;
  std::string instance;
};
std::string encode_member(const member_entry& member);
std::optional<member_entry> decode_member(std::string_view bytes);

// PREFIX_state, t.ROOM: the topic, who set it, from which node.
struct topic_entry {
  std::string topic;
  std::string by;
  std::string instance;
};
std::string encode_topic(const topic_entry& topic);
std::optional<topic_entry> decode_topic(std::string_view bytes);

// PREFIX.pm.INSTANCE: a private message for a client of that node.
struct private_message {
  std::string from;
  std::string to;
  std::string text;
  timestamp_ms ts = 0;
};
std::string encode_private(const pm_event& pm);
std::optional<private_message> decode_private(std::string_view bytes);

}  // namespace chatd::protocol
