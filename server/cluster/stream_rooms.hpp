// Rooms over one JetStream stream, a subject per room (PREFIX.room.NAME). Each record in it is
// a batch of one room's consecutive messages, numbered by the node that wrote it. Every node
// reads the whole stream in order through an ordered consumer and keeps a record only if it
// continues the room's numbering (its first seq is the room's last + 1): the same rule on the
// same order, so every node keeps the same records and fans them out to its own members. A
// record that lost the race for its seqs is skipped everywhere and its writer numbers it
// again. The engine's checks (Nats-Expected-Last-Subject-Sequence, and a Nats-Msg-Id naming
// the seqs a record takes) keep such losers rare; the rule keeps them harmless, which the
// checks alone do not in nats-server 2.9 (docs/cluster.md). A sender's ok comes when its
// node reads its record back kept: stored, with its seq, as every node will have it.
#pragma once

#include <nats/nats.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.hpp"
#include "server/chat/chat_engine.hpp"
#include "server/chat/room.hpp"
#include "server/cluster/cluster_metrics.hpp"
#include "server/cluster/reply_inbox.hpp"
#include "server/cluster/stream_reader.hpp"

namespace chatd {

class directory;
class memory_room_log;
class nats_link;

class stream_rooms final : public room_engine {
 public:
  using clock = std::chrono::steady_clock;

  // `instance`: this node's name and start, written in its records to know its own senders.
  stream_rooms(nats_link& link, directory& dir, cluster_metrics& metrics,
               const config& cfg, std::string instance);
  ~stream_rooms() override;

  // At start, before the loop runs: makes (or updates) the stream and starts reading it from
  // the beginning. Throws engine_error.
  void start();
  // Until the stream has been read up to where it was at start, rooms may not know their
  // latest seq yet (/healthz says so).
  bool caught_up() const noexcept { return consumed_ >= start_last_seq_; }

  // The sweep: resends what the engine has not answered, fails what waited too long.
  void on_tick(clock::time_point now);
  // The link came back: resend every unanswered batch now rather than at its next tick.
  void on_reconnected();

  std::size_t rooms_known() const noexcept { return rooms_.size(); }
  // Records skipped because another record took their seqs first (and read the same way on
  // every node).
  std::uint64_t records_superseded() const noexcept { return superseded_; }

  // --- room_engine ---
  std::shared_ptr<room_log> log_for(const std::string& name) override;
  void attach(room& r) override;
  void detach(room& r) noexcept override;
  void publish(room& r, publish_request request) override;

 private:
  struct batch {
    std::uint64_t token = 0;
    std::string msg_id;          // Nats-Msg-Id: JetStream keeps one record under it
    std::uint64_t fence_token = 0;  // the fence's answers, once the batch is given up
    std::uint64_t expected = 0;  // the subject's last stream seq it was written after
    std::uint64_t first_seq = 0;
    std::string epoch;
    std::vector<publish_request> requests;
    std::string payload;
    clock::time_point first_sent;
    clock::time_point last_sent;
    int sends = 0;  // copies sent: a refusal of one says nothing of the others
    // The engine answered (stored, a duplicate, or refused as written after a stale seq): once
    // the stream is read up to this seq, the batch was either read back kept or it was not.
    std::optional<std::uint64_t> settles_at;
  };
  struct room_state {
    std::shared_ptr<memory_room_log> log;
    std::uint64_t stream_seq = 0;  // of the latest record read
    room* local = nullptr;
    std::deque<publish_request> waiting;
    std::unique_ptr<batch> in_flight;
  };

  room_state& state(const std::string& name);
  void send_next(const std::string& name, room_state& st);
  void send(const std::string& name, batch& b);
  void complete(const std::string& name, room_state& st, std::uint64_t first_seq);
  void settle(const std::string& name, room_state& st);
  void fail(std::vector<publish_request>& requests, publish_failure why);
  void requeue(room_state& st);
  // Takes the batch off the room, forgetting its tokens.
  std::unique_ptr<batch> take(room_state& st);
  void fence(const std::string& name, batch& b);
  void on_acks(std::vector<engine_reply>& acks);
  void on_stream(std::vector<stream_entry>& items);
  void read_record(const stream_entry& item);
  void watch_reading(clock::time_point now);


  nats_link& link_;
  directory& dir_;
  cluster_metrics& metrics_;
  const cluster_config cluster_;
  const std::size_t history_;
  const std::string instance_;
  const std::string stream_name_;
  const std::string subject_prefix_;  // "PREFIX.room."

  std::unordered_map<std::string, room_state> rooms_;
  std::unordered_map<std::uint64_t, std::string> in_flight_;  // token -> room
  std::uint64_t next_token_ = 0;
  std::uint64_t consumed_ = 0;        // the stream seq read so far
  std::uint64_t superseded_ = 0;
  std::uint64_t start_last_seq_ = 0;  // the stream's last seq at start
  std::int64_t stream_created_ns_ = 0;  // when JetStream made the stream: seeds room epochs
  // The watchdog on reading: the furthest stream seq the engine acked to this node, and when
  // consumed_ last moved (or was last checked while nothing was due).
  std::uint64_t acked_up_to_ = 0;
  std::uint64_t consumed_at_check_ = 0;
  clock::time_point read_progress_at_{};

  reply_inbox replies_;
  stream_reader reader_;  // last: destroyed (unsubscribed) first
};

}  // namespace chatd
