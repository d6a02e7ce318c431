// Who is where across the nodes. Each node writes its members (m.ROOM.NICK), the topics its
// clients set (t.ROOM) and a heartbeat (n.INSTANCE) into the bucket PREFIX_state, and reads the
// whole bucket back in order: a put of another node's member is a join, its delete marker a
// part, quit or nick change (the marker's Chatd-Why header says which). The nick bucket is read
// the same way, so /msg finds a nick on any node, which gets the message on PREFIX.pm.INSTANCE.
// Every write is acknowledged: until JetStream has answered, the latest value of each key is
// sent again every second (a stream that elects a leader drops what it is sent meanwhile).
// Each node says it is alive every second on PREFIX.heartbeat (plain NATS, so a JetStream
// leader election does not silence it). One silent for cluster.node_timeout, while this node
// has heard NATS all along, is gone: the others delete its members (its clients quit
// everywhere) and free its nicks, each delete conditional on the entry being the gone node's
// still, so a nick claimed again meanwhile is left alone.
#pragma once

#include <nats/nats.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.hpp"
#include "server/chat/chat_engine.hpp"
#include "server/cluster/loop_inbox.hpp"
#include "server/cluster/reply_inbox.hpp"
#include "server/cluster/stream_reader.hpp"

namespace chatd {

class directory;
class nats_link;

class cluster_presence final : public presence_engine {
 public:
  using clock = std::chrono::steady_clock;

  cluster_presence(nats_link& link, directory& dir, const config& cfg, std::string instance);
  ~cluster_presence() override;

  // At start, before the loop runs: the bucket, its readers, the private-message subject.
  void start();
  // The sweep: the heartbeat, and nodes gone silent.
  void on_tick(clock::time_point now);
  // The link came back: this node's members and heartbeat again, in case the others took it
  // for gone meanwhile.
  void on_reconnected();
  // A clean stop: the heartbeat goes, so the others need not wait for node_timeout.
  void on_shutdown();
  // The node instances seen alive, this one included.
  std::size_t nodes_alive() const;

  // --- presence_engine ---
  void joined(const std::string& room, const std::string& nick) override;
  void parted(const std::string& room, const std::string& nick) override;
  void quit(const std::vector<std::string>& rooms, const std::string& nick,
            const std::string& why) override;
  void renamed(const std::vector<std::string>& rooms, const std::string& old_nick,
               const std::string& new_nick) override;
  void topic_set(const std::string& room, const std::string& topic,
                 const std::string& by) override;
  const remote_members* remote_of(const std::string& room) const override;
  void for_each_remote_room(
      const std::function<void(const std::string&, std::size_t, const std::string&)>& fn)
      const override;
  std::string topic_of(const std::string& room) const override;
  std::optional<std::string> send_private(const protocol::pm_event& pm) override;

 private:
  struct node_seen {
    clock::time_point last;
    std::uint64_t revision = 0;  // of its heartbeat entry
    bool gone = false;           // its entries were deleted by this node
  };
  struct entry_rev {
    std::string instance;
    std::uint64_t revision;
  };
  struct held_nick {
    std::string instance;
    std::string nick;
    std::uint64_t revision;
  };
  struct pm_item {
    std::string data;
  };
  struct beat_item {
    std::string instance;
  };

  // A write to a bucket key, kept until JetStream acknowledges it or a newer write to the same
  // key replaces it.
  struct pending_write {
    std::uint64_t token = 0;
    std::string subject;  // $KV.BUCKET.KEY
    bool removes = false;
    std::string value;    // a put's
    std::string why;      // a delete marker's Chatd-Why and Chatd-Text
    std::string text;
    std::optional<std::uint64_t> only_if;  // Nats-Expected-Last-Subject-Sequence
    clock::time_point last_sent;
  };
  void put(const std::string& key, const std::string& value);
  // A delete marker; with `only_if`, only while the key's latest revision is that one.
  void erase(const std::string& bucket, const std::string& key, const std::string& why,
             const std::string& text, std::optional<std::uint64_t> only_if = std::nullopt);
  void write(pending_write w);
  void send(pending_write& w);
  void on_replies(std::vector<engine_reply>& replies);
  void member_key_deleted(const std::string& room, const std::string& folded,
                          const stream_entry& e);
  void on_state(std::vector<stream_entry>& entries);
  void on_nicks(std::vector<stream_entry>& entries);
  void on_private(std::vector<pm_item>& items);
  void on_beats(std::vector<beat_item>& beats);
  node_seen& seen(const std::string& instance);
  void heartbeat();
  void announce();  // the node's entry, and a heartbeat
  void bury(const std::string& instance, node_seen& seen);
  static void on_pm_msg(natsConnection*, natsSubscription*, natsMsg* msg, void* closure);
  static void on_beat_msg(natsConnection*, natsSubscription*, natsMsg* msg, void* closure);

  nats_link& link_;
  directory& dir_;
  const cluster_config cluster_;
  const std::string instance_;
  const std::string bucket_;        // PREFIX_state
  const std::string nick_bucket_;   // PREFIX_nicks
  const std::string pm_prefix_;     // PREFIX.pm.
  const std::string beat_subject_;  // PREFIX.heartbeat

  std::unordered_map<std::string, remote_members> remote_;  // room -> members elsewhere
  std::unordered_map<std::string, std::string> topics_;
  std::unordered_map<std::string, entry_rev> member_revs_;  // m.ROOM.NICK of other nodes
  std::unordered_map<std::string, node_seen> nodes_;        // by instance
  std::unordered_map<std::string, held_nick> nicks_;        // by folded nick, every node's
  clock::time_point next_heartbeat_{};
  clock::time_point hearing_since_ = clock::now();  // connected without a break since

  std::unordered_map<std::string, pending_write> writes_;  // by subject
  std::unordered_map<std::uint64_t, std::string> write_tokens_;
  std::uint64_t next_token_ = 0;

  reply_inbox replies_;
  loop_inbox<pm_item> pm_inbox_;
  loop_inbox<beat_item> beat_inbox_;
  natsSubscription* pm_sub_ = nullptr;
  natsSubscription* beat_sub_ = nullptr;
  stream_reader state_reader_;  // last: destroyed (unsubscribed) first
  stream_reader nick_reader_;
};

}  // namespace chatd
