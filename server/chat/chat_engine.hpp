// Where the chat goes beyond this process. Standalone, nothing: rooms number their own
// messages and the directory alone knows the nicks. In a cluster (server/cluster/) one object
// implements both interfaces over the engine, and every answer it gives comes back on the
// loop, which owns all chat state.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

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
  // Asks for the case-folded nick `folded` cluster-wide; `done` runs on the loop.
  virtual void claim(const std::string& folded, std::function<void(nick_claim)> done) = 0;
  // Frees `folded`, held by this node; nothing waits for it.
  virtual void release(const std::string& folded) = 0;
};

}  // namespace chatd
