// What a benchmark connection says and understands, independent of the socket: one adapter
// per server kind (chatd JSON lines, Redis RESP pub/sub, NATS text protocol). An adapter keeps
// the little parse state its connection needs and reports through a protocol_sink.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "options.hpp"

namespace chatbench {

// Events an adapter reports while parsing what the server sent.
class protocol_sink {
 public:
  // Registered and joined / subscribed; `base_seq` is chatd's room seq from the (last) join ok,
  // 0 elsewhere.
  virtual void on_ready(std::uint64_t base_seq) = 0;
  // A live room message. `room_seq` is chatd's per-room seq, 0 for Redis and NATS.
  virtual void on_delivery(std::string_view payload, std::uint64_t room_seq) = 0;
  // `n` of this connection's publishes were acknowledged by the server.
  virtual void on_acks(std::uint64_t n) = 0;
  // The server reported an error or said goodbye; the run cannot go on.
  virtual void on_fail(std::string what) = 0;
  // Bytes that must go to the server now (NATS PONG, chatd /part of an unwanted default room).
  virtual void send_now(std::string_view bytes) = 0;

 protected:
  ~protocol_sink() = default;
};

struct identity {
  std::string nick;                 // chatd only
  std::vector<std::string> rooms;   // rooms (channels, subjects) this connection is in
  bool publisher = false;           // Redis / NATS publishers subscribe to nothing
};

class protocol {
 public:
  virtual ~protocol() = default;
  // Everything to send right after connecting: registration, joins or subscriptions and a
  // marker whose answer means "ready".
  virtual void hello(std::string& out) = 0;
  // One publish of `payload` to rooms[room_index].
  virtual void publish(std::string& out, std::size_t room_index, std::string_view payload) = 0;
  // After a batch of publish() calls (NATS adds a PING whose PONG acknowledges the batch).
  virtual void end_batch(std::string& /*out*/) {}
  // Parses complete frames from data[0..size); returns the bytes consumed (a partial frame at
  // the end stays for the next call).
  virtual std::size_t parse(const char* data, std::size_t size, protocol_sink& sink) = 0;
};

std::unique_ptr<protocol> make_protocol(target t, identity id);

// One-line descriptions for the report: how publishes are acknowledged on each target.
const char* ack_method(target t);

}  // namespace chatbench
