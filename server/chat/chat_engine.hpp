// Where the chat goes beyond this process. Standalone, nothing: rooms number their own
// messages and the directory alone knows the nicks. In a cluster (server/cluster/) one object
// implements both interfaces over the engine, and every answer it gives comes back on the
// loop, which owns all chat state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "protocol/events.hpp"

namespace chatd {

class room;
class room_log;
struct publish_request;

class room_engine {
 public:
  virtual ~room_engine() = default;
  // The log of the room named `name`: the engine appends to it as the stream delivers.
  virtual std::shared_ptr<room_log> log_for(const std::string& name) = 0;
  // `r` exists on this node now (it has members here) / no longer does.
  virtual void attach(room& r) = 0;
  virtual void detach(room& r) noexcept = 0;
  // Stores and numbers `request`; the sender gets its ok (or an error) from the engine.
  virtual void publish(room& r, publish_request request) = 0;
};

enum class nick_claim { won, taken, unavailable };

class nick_engine {
 public:
  virtual ~nick_engine() = default;
  // Asks for `nick` (case-folded: `folded`) cluster-wide; `done` runs on the loop.
  virtual void claim(const std::string& folded, const std::string& nick,
                     std::function<void(nick_claim)> done) = 0;
  // Frees `folded`, held by this node; nothing waits for it.
  virtual void release(const std::string& folded) = 0;
};

// A member of a room on another node.
struct remote_member {
  std::string nick;      // as its owner wrote it
  std::string instance;  // the node instance it is on
};
// A room's members on other nodes, by case-folded nick.
using remote_members = std::unordered_map<std::string, remote_member>;

// Who is where, across the nodes: this node tells the others of its members' joins, parts,
// quits, nick and topic changes; what the others tell comes back through the directory
// (directory::remote_*), on the loop.
class presence_engine {
 public:
  virtual ~presence_engine() = default;
  virtual void joined(const std::string& room, const std::string& nick) = 0;
  virtual void parted(const std::string& room, const std::string& nick) = 0;
  virtual void quit(const std::vector<std::string>& rooms, const std::string& nick,
                    const std::string& why) = 0;
  virtual void renamed(const std::vector<std::string>& rooms, const std::string& old_nick,
                       const std::string& new_nick) = 0;
  virtual void topic_set(const std::string& room, const std::string& topic,
                         const std::string& by) = 0;
  // The members of `room` on other nodes (nullptr: none).
  virtual const remote_members* remote_of(const std::string& room) const = 0;
  // Every room with members on other nodes, with how many and its topic.
  virtual void for_each_remote_room(
      const std::function<void(const std::string& room, std::size_t members,
                               const std::string& topic)>& fn) const = 0;
  // The topic the cluster knows for `room` ("" if none).
  virtual std::string topic_of(const std::string& room) const = 0;
  // Hands `pm` to the node whose client holds `pm.to`; the holder's nick as written, or
  // nullopt if no node's client holds it.
  virtual std::optional<std::string> send_private(const protocol::pm_event& pm) = 0;
};

}  // namespace chatd
