// The node's one connection to the engine (libnats): options from cluster:, reconnection
// forever, and the connection's state as the loop sees it. libnats calls back on its own
// threads; each callback only posts to the loop.
#pragma once

#include <nats/nats.h>

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>

#include <asio/any_io_executor.hpp>

#include "config/config.hpp"
#include "server/cluster/loop_inbox.hpp"

namespace chatd {

// The engine could not be reached or set up at start.
struct engine_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// NATS turned this node's credentials down: trying again would not help, so start gives up
// at once.
struct engine_refused : engine_error {
  using engine_error::engine_error;
};

// natsStatus as text, with libnats's last error detail when it has one.
std::string nats_error_text(natsStatus status);

class nats_link {
 public:
  // What the loop hears: the link went down or came back (`server`: the URL now used).
  struct state_change {
    bool connected;
    std::string server;
  };
  using state_handler = std::function<void(const state_change&)>;

  nats_link(asio::any_io_executor loop, const cluster_config& cfg, std::string client_name,
            state_handler on_state);
  ~nats_link();
  nats_link(const nats_link&) = delete;
  nats_link& operator=(const nats_link&) = delete;

  // Connects to one of cluster.nats, waiting (at start, before the loop runs); throws
  // engine_error saying why not. Once connected, calling it again does nothing.
  void connect();

  // Makes (or opens) the key-value bucket `bucket`, keeping one value per key, on file, at
  // `replicas`; the caller owns it. Throws engine_error.
  kvStore* open_bucket(const std::string& bucket, std::size_t replicas) const;

  natsConnection* connection() const noexcept { return conn_; }
  jsCtx* jetstream() const noexcept { return js_; }
  // Right now, from libnats (any thread): publishing while not connected would only buffer.
  bool connected_now() const noexcept;
  // As the loop last heard.
  bool connected() const noexcept { return connected_; }
  const std::string& server() const noexcept { return server_; }
  std::uint64_t reconnects() const noexcept { return reconnects_; }

 private:
  static void on_disconnected(natsConnection* nc, void* closure);
  static void on_reconnected(natsConnection* nc, void* closure);
  static void on_closed(natsConnection* nc, void* closure);
  static void on_async_error(natsConnection* nc, natsSubscription* sub, natsStatus err,
                             void* closure);
  void finish_connect();
  void tell(natsConnection* nc, bool connected);
  void changed(std::vector<state_change>& changes);

  const cluster_config cfg_;
  const std::string client_name_;
  state_handler on_state_;
  loop_inbox<state_change> inbox_;
  natsOptions* opts_ = nullptr;
  natsConnection* conn_ = nullptr;
  jsCtx* js_ = nullptr;
  bool connected_ = false;
  std::string server_;
  std::uint64_t reconnects_ = 0;
};

}  // namespace chatd
