// What chatd writes into the engine (NATS JetStream) and reads back from it, as pure values:
// the record of a room's messages (one stream message carries a batch of consecutive seqs) and
// the engine's answer to a publish. Everything read here came over the network from a shared
// engine, so decoding is total: anything malformed is nullopt, never an exception.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/events.hpp"

namespace chatd::protocol {

struct record_message {
  std::string from;
  std::string text;
  timestamp_ms ts = 0;
  bool action = false;
  std::uint64_t client = 0;  // the sender's connection id on the node that wrote the record
};

// Consecutive messages of one room, numbered first_seq, first_seq + 1, ... in `epoch`.
struct room_record {
  std::string epoch;
  std::uint64_t first_seq = 0;
  std::string node;  // the writing node's instance (node name and start), to find its senders
  std::uint64_t batch = 0;  // the writer's number for this record, to know it when it comes back
  std::vector<record_message> messages;
  // A fence: written under a batch's Nats-Msg-Id once its writer gave up on it, so that the
  // batch, should it still reach the engine, is dropped as a duplicate. It has no messages,
  // takes no seq, and every node skips it.
  bool fence = false;
};

std::string encode_room_record(const room_record& record);
// nullopt unless it is a record: an object with a valid epoch, first_seq >= 1, and 1 or more
// messages whose fields have the right types (none for a fence).
std::optional<room_record> decode_room_record(std::string_view bytes);

// JetStream's reply to a publish: {"stream":"S","seq":N[,"duplicate":true]}, or an error
// {"error":{"code":C,"err_code":E,"description":"..."}}.
struct publish_ack {
  std::uint64_t stream_seq = 0;
  bool duplicate = false;
};
struct publish_refusal {
  int code = 0;
  int err_code = 0;  // JetStream's error code; wrong_last_subject_seq is the one chatd retries
  std::string description;
};
inline constexpr int wrong_last_subject_seq = 10071;

struct publish_reply {
  std::optional<publish_ack> ack;  // exactly one of the two is set
  std::optional<publish_refusal> refusal;
};
// nullopt when the bytes are neither (then the publish's fate is unknown).
std::optional<publish_reply> parse_publish_reply(std::string_view bytes);
// The subject's actual last stream seq that a wrong_last_subject_seq refusal names
// ("wrong last sequence: 42").
std::optional<std::uint64_t> refusal_last_seq(const publish_refusal& refusal);

}  // namespace chatd::protocol
