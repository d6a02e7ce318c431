#include "server/cluster/stream_rooms.hpp"

#include <algorithm>
#include <charconv>

#include <spdlog/spdlog.h>

#include "protocol/engine_record.hpp"
#include "protocol/names.hpp"
#include "server/chat/chat_client.hpp"
#include "server/chat/directory.hpp"
#include "server/chat/memory_room_log.hpp"
#include "server/chat/server_metrics.hpp"
#include "server/cluster/cluster_metrics.hpp"
#include "server/cluster/nats_link.hpp"

namespace chatd {

namespace {

// A record holds what waited while the previous one was out: up to this many messages or
// bytes of text. One record in flight per room, so a busy room's throughput is the batch over
// the engine's round trip.
constexpr std::size_t max_batch_messages = 512;
constexpr std::size_t max_batch_bytes = 256 * 1024;
// An unanswered batch is sent again (same id and expected seq: JetStream keeps it once) this
// often, until cluster.publish_timeout; then it is fenced (see room_record::fence) until the
// fence is answered, unless NATS is out of reach for twice the timeout.
constexpr std::chrono::milliseconds resend_after{1000};
// Nats-Msg-Id duplicates are caught this long, much longer than any resend.
constexpr std::int64_t duplicate_window_ns = 120LL * 1000 * 1000 * 1000;

std::string unavailable_text(publish_failure why) {
  switch (why) {
    case publish_failure::disconnected:
      return "the chat cluster is not reachable now; the message reached no one, send it again";
    case publish_failure::refused:
      return "the chat cluster refused to store the message; it reached no one";
    case publish_failure::timeout:
      return "the chat cluster did not store the message in time; send it again";
  }
  return "the chat cluster is unavailable";
}

// The rule every node applies alike: a record is kept if it continues the room's numbering.
// The first record a node reads of a room starts its log wherever the stream's history of the
// room starts (older records may have been trimmed by rooms.history).
bool continues(const memory_room_log& log, const protocol::room_record& record) {
  if (log.last_seq() == 0 && log.size() == 0) return true;
  return record.first_seq == log.last_seq() + 1 && record.epoch == log.epoch();
}

}  // namespace

stream_rooms::stream_rooms(nats_link& link, directory& dir, cluster_metrics& metrics,
                           const config& cfg, std::string instance)
    : link_(link),
      dir_(dir),
      metrics_(metrics),
      cluster_(cfg.cluster),
      history_(cfg.rooms.history),
      instance_(std::move(instance)),
      stream_name_(cfg.cluster.prefix + "_rooms"),
      subject_prefix_(cfg.cluster.prefix + ".room."),
      replies_(dir.executor(), [this](std::vector<engine_reply>& acks) { on_acks(acks); }),
      reader_(dir.executor(), [this](std::vector<stream_entry>& items) { on_stream(items); }) {}

stream_rooms::~stream_rooms() = default;

void stream_rooms::start() {
  const std::string subjects = subject_prefix_ + ">";
  const char* subject_list[] = {subjects.c_str()};
  jsStreamConfig sc;
  jsStreamConfig_Init(&sc);
  sc.Name = stream_name_.c_str();
  sc.Subjects = subject_list;
  sc.SubjectsLen = 1;
  sc.Storage = js_FileStorage;
  sc.Retention = js_LimitsPolicy;
  sc.Discard = js_DiscardOld;
  sc.Replicas = static_cast<int64_t>(cluster_.replicas);
  // History is per room: the stream keeps the latest records of each subject. A record holds
  // one message or more, so this keeps at least rooms.history messages.
  sc.MaxMsgsPerSubject = static_cast<int64_t>(std::max<std::size_t>(history_, 1));
  sc.Duplicates = duplicate_window_ns;
  sc.AllowDirect = true;

  jsStreamInfo* info = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_AddStream(&info, link_.jetstream(), &sc, nullptr, &jerr);
  if (s != NATS_OK && jerr == JSStreamNameExistErr)
    s = js_UpdateStream(&info, link_.jetstream(), &sc, nullptr, &jerr);
  if (s != NATS_OK) {
    throw engine_error("cluster: cannot create the stream " + stream_name_ + ": " +
                       nats_error_text(s));
  }
  start_last_seq_ = info->State.LastSeq;
  stream_created_ns_ = info->Created;
  spdlog::info("cluster: stream {} ({} replicas, {} messages, last seq {})", stream_name_,
               cluster_.replicas, info->State.Msgs, info->State.LastSeq);
  jsStreamInfo_Destroy(info);

  replies_.start(link_.connection());
  reader_.start(link_.jetstream(), stream_name_, subjects, false);
}

// ---- rooms on this node ------------------------------------------------------------------------

stream_rooms::room_state& stream_rooms::state(const std::string& name) {
  auto [it, added] = rooms_.try_emplace(name);
  // Every node numbers a room with no record yet in the same epoch, so that a client who
  // joined it empty on one node resumes on another: derived from the stream's creation (a
  // stream made again is another numbering) and the room. Records carry their epoch, and
  // a room's first record read sets it in any case.
  if (added) {
    it->second.log = std::make_shared<memory_room_log>(
        history_, protocol::derived_epoch(std::to_string(stream_created_ns_) + "\n" + name));
  }
  return it->second;
}

std::shared_ptr<room_log> stream_rooms::log_for(const std::string& name) {
  return state(name).log;
}

void stream_rooms::attach(room& r) { state(r.name()).local = &r; }

void stream_rooms::detach(room& r) noexcept {
  const auto it = rooms_.find(r.name());
  if (it != rooms_.end() && it->second.local == &r) it->second.local = nullptr;
}

void stream_rooms::publish(room& r, publish_request request) {
  room_state& st = state(r.name());
  st.waiting.push_back(std::move(request));
  send_next(r.name(), st);
}

// ---- writing ----------------------------------------------------------------------------------

void stream_rooms::send_next(const std::string& name, room_state& st) {
  if (st.in_flight || st.waiting.empty()) return;
  if (!link_.connected_now()) {
    std::vector<publish_request> all(std::make_move_iterator(st.waiting.begin()),
                                     std::make_move_iterator(st.waiting.end()));
    st.waiting.clear();
    return fail(all, publish_failure::disconnected);
  }
  // Numbered after the newest record read: the previous batch is read back before the next
  // is written, so a node never numbers past what it knows.
  auto b = std::make_unique<batch>();
  b->token = ++next_token_;
  b->expected = st.stream_seq;
  b->first_seq = st.log->last_seq() + 1;

  protocol::room_record record;
  b->epoch = st.log->epoch();
  record.epoch = b->epoch;
  record.first_seq = b->first_seq;
  record.node = instance_;
  record.batch = b->token;
  std::size_t bytes = 0;
  while (!st.waiting.empty() && b->requests.size() < max_batch_messages &&
         (b->requests.empty() || bytes + st.waiting.front().text.size() <= max_batch_bytes)) {
    publish_request& req = st.waiting.front();
    bytes += req.text.size() + req.from.size();
    record.messages.push_back({req.from, req.text, req.ts, req.action, req.sender_id});
    b->requests.push_back(std::move(req));
    st.waiting.pop_front();
  }
  b->payload = protocol::encode_room_record(record);
  b->msg_id = instance_ + "-" + std::to_string(b->token);
  b->first_sent = clock::now();
  in_flight_[b->token] = name;
  st.in_flight = std::move(b);
  send(name, *st.in_flight);
}

void stream_rooms::send(const std::string& name, batch& b) {
  b.last_sent = clock::now();
  ++b.sends;
  const std::string subject = subject_prefix_ + name;
  const std::string reply = replies_.subject(b.fence_token != 0 ? b.fence_token : b.token);
  const std::string expected = std::to_string(b.expected);
  natsMsg* msg = nullptr;
  natsStatus s = natsMsg_Create(&msg, subject.c_str(), reply.c_str(), b.payload.data(),
                                static_cast<int>(b.payload.size()));
  if (s == NATS_OK) s = natsMsgHeader_Set(msg, "Nats-Msg-Id", b.msg_id.c_str());
  // A fence must be stored whatever was written since: only a duplicate id stops it.
  if (s == NATS_OK && b.fence_token == 0)
    s = natsMsgHeader_Set(msg, "Nats-Expected-Last-Subject-Sequence", expected.c_str());
  if (s == NATS_OK) s = natsConnection_PublishMsg(link_.connection(), msg);
  natsMsg_Destroy(msg);
  // A failed send is tried again at the next tick, like an unanswered one.
  if (s != NATS_OK) spdlog::debug("cluster: sending to {}: {}", subject, nats_error_text(s));
}

std::unique_ptr<stream_rooms::batch> stream_rooms::take(room_state& st) {
  std::unique_ptr<batch> b = std::move(st.in_flight);
  in_flight_.erase(b->token);
  if (b->fence_token != 0) in_flight_.erase(b->fence_token);
  return b;
}

void stream_rooms::fence(const std::string& name, batch& b) {
  spdlog::warn("cluster: no answer from JetStream within cluster.publish_timeout ({} ms) for {} "
               "messages to room {}; fencing them off",
               cluster_.publish_timeout.count(), b.requests.size(), name);
  protocol::room_record record;
  record.epoch = b.epoch;
  record.first_seq = b.first_seq;
  record.node = instance_;
  record.batch = b.token;
  record.fence = true;
  b.payload = protocol::encode_room_record(record);
  b.fence_token = ++next_token_;
  in_flight_[b.fence_token] = name;
  b.settles_at.reset();
  send(name, b);
}

void stream_rooms::complete(const std::string& name, room_state& st, std::uint64_t first_seq) {
  std::unique_ptr<batch> b = take(st);
  metrics_.publish_seconds.observe(
      std::chrono::duration<double>(clock::now() - b->first_sent).count());
  metrics_.records_published.inc();
  std::uint64_t seq = first_seq;
  for (const publish_request& req : b->requests) {
    chat_client* sender = dir_.find_client(req.sender_id);
    if (sender == req.sender) sender->publish_done(protocol::ok_say_event{name, seq});
    ++seq;
  }
  send_next(name, st);
}

void stream_rooms::fail(std::vector<publish_request>& requests, publish_failure why) {
  const std::string text = unavailable_text(why);
  for (const publish_request& req : requests) {
    metrics_.failures(why).inc();
    chat_client* sender = dir_.find_client(req.sender_id);
    if (sender != nullptr && sender == req.sender) sender->publish_failed(text);
  }
}

void stream_rooms::requeue(room_state& st) {
  std::unique_ptr<batch> b = take(st);
  for (auto it = b->requests.rbegin(); it != b->requests.rend(); ++it)
    st.waiting.push_front(std::move(*it));
}

void stream_rooms::on_acks(std::vector<engine_reply>& acks) {
  for (engine_reply& item : acks) {
    const auto at = in_flight_.find(item.token);
    if (at == in_flight_.end()) continue;  // settled already: the stream brought it back
    const std::string name = at->second;
    room_state& st = rooms_.at(name);
    batch& b = *st.in_flight;
    const auto reply = protocol::parse_publish_reply(item.data);
    if (!reply) continue;  // not an answer: resent at the next tick
    if (item.token == b.fence_token && reply->ack && !reply->ack->duplicate) {
      // The fence is stored under the batch's id: the batch never will be.
      std::unique_ptr<batch> fenced = take(st);
      fail(fenced->requests, publish_failure::timeout);
      send_next(name, st);
      continue;
    }
    if (item.token == b.fence_token && !reply->ack) continue;  // tried again at the next tick
    if (reply->ack) {
      // Stored (or a duplicate of what is stored there, the fence's answer included: the
      // batch got in first): kept or not, reading tells.
      b.settles_at = reply->ack->stream_seq;
      acked_up_to_ = std::max(acked_up_to_, reply->ack->stream_seq);
    } else if (reply->refusal->err_code == protocol::wrong_last_subject_seq) {
      // Another node wrote the room first (or this is a resend of a batch stored already):
      // reading up to the seq the engine named tells which.
      metrics_.conflicts.inc();
      b.settles_at = protocol::refusal_last_seq(*reply->refusal).value_or(b.expected + 1);
      acked_up_to_ = std::max(acked_up_to_, *b.settles_at);  // the stream is that far at least
    } else if (b.sends > 1) {
      // Another copy may be stored: the next answer, the stream or the timeout decides.
      spdlog::debug("cluster: JetStream refused a copy of a record for room {}: {}", name,
                    reply->refusal->description);
      continue;
    } else {
      spdlog::warn("cluster: JetStream refused a record for room {}: {} (code {})", name,
                   reply->refusal->description, reply->refusal->err_code);
      std::unique_ptr<batch> failed = take(st);
      fail(failed->requests, publish_failure::refused);
      send_next(name, st);
      continue;
    }
    settle(name, st);
  }
}

void stream_rooms::settle(const std::string& name, room_state& st) {
  if (!st.in_flight || !st.in_flight->settles_at || st.stream_seq < *st.in_flight->settles_at)
    return;
  // Read past where the engine put it (or said the room was), and not read back kept: its
  // seqs went to another record. Number it again.
  requeue(st);
  send_next(name, st);
}

void stream_rooms::on_tick(clock::time_point now) {
  watch_reading(now);
  for (auto& [name, st] : rooms_) {
    if (!st.in_flight) continue;
    batch& b = *st.in_flight;
    const auto waited = now - b.first_sent;
    if (waited >= 2 * cluster_.publish_timeout && !link_.connected_now()) {
      // NATS is out of reach, so not even a fence can be written. The senders cannot wait
      // forever; should the batch still be stored, it is delivered although they were told
      // otherwise (docs/cluster.md, failures). While the link is up the fence is sent until
      // answered: a stream electing a leader answers nothing for seconds.
      spdlog::error("cluster: NATS unreachable for twice cluster.publish_timeout; {} "
                    "messages to room {} answered unavailable, unfenced",
                    b.requests.size(), name);
      std::unique_ptr<batch> failed = take(st);
      fail(failed->requests, publish_failure::timeout);
      send_next(name, st);
    } else if (waited >= cluster_.publish_timeout && b.fence_token == 0 &&
               link_.connected_now()) {
      fence(name, b);
    } else if (now - b.last_sent >= resend_after && link_.connected_now()) {
      send(name, b);
    }
  }
}

// libnats restarts an ordered consumer by itself after a gap or missed heartbeats, but after a
// NATS server dies that can take long while JetStream elects leaders, and senders wait on
// reading their records back. When the engine has acked records this node has not read for
// half of cluster.publish_timeout, reading starts again from the last seq read (what was
// read is read again and skipped, nothing is missed), early enough for waiting senders to
// get their ok rather than a fence.
void stream_rooms::watch_reading(clock::time_point now) {
  if (consumed_ != consumed_at_check_ || acked_up_to_ <= consumed_ || !link_.connected_now()) {
    consumed_at_check_ = consumed_;
    read_progress_at_ = now;
    return;
  }
  if (now - read_progress_at_ < cluster_.publish_timeout / 2) return;
  if (!reader_.restart(consumed_ + 1)) return;
  metrics_.reader_restarts.inc();
  spdlog::warn("cluster: reading the stream {} stalled at seq {} behind seq {} stored; "
               "reading again from seq {}",
               stream_name_, consumed_, acked_up_to_, consumed_ + 1);
  read_progress_at_ = now;  // the new consumer gets as long
}

void stream_rooms::on_reconnected() {
  for (auto& [name, st] : rooms_)
    if (st.in_flight) send(name, *st.in_flight);
}

// ---- reading ----------------------------------------------------------------------------------

void stream_rooms::on_stream(std::vector<stream_entry>& items) {
  for (const stream_entry& item : items) read_record(item);
}

void stream_rooms::read_record(const stream_entry& item) {
  // The stream comes in order; anything at or below consumed_ is a consumer starting over.
  if (item.stream_seq <= consumed_) return;
  consumed_ = item.stream_seq;
  const std::string_view subject = item.subject;
  if (subject.size() <= subject_prefix_.size() ||
      subject.compare(0, subject_prefix_.size(), subject_prefix_) != 0)
    return;
  const std::string name(subject.substr(subject_prefix_.size()));
  room_state& st = state(name);
  if (item.stream_seq <= st.stream_seq) return;  // read already (the consumer started over)
  st.stream_seq = item.stream_seq;

  const auto record = protocol::decode_room_record(item.data);
  if (!record) {
    metrics_.records_malformed.inc();
    spdlog::warn("cluster: stream message {} on {} is not a chatd record; skipped",
                 item.stream_seq, item.subject);
  } else if (record->fence) {
    // Takes no seq. This node's own, read before its answer: the batch it fences is out.
    if (record->node == instance_ && st.in_flight && st.in_flight->token == record->batch) {
      std::unique_ptr<batch> fenced = take(st);
      fail(fenced->requests, publish_failure::timeout);
    }
  } else if (!continues(*st.log, *record)) {
    // Its seqs were taken by a record before it: every node skips it alike.
    ++superseded_;
    metrics_.records_superseded.inc();
  } else {
    if (record->epoch != st.log->epoch()) st.log->set_epoch(record->epoch);
    const bool own = record->node == instance_;
    std::uint64_t seq = record->first_seq;
    for (const protocol::record_message& m : record->messages) {
      const stored_message& stored =
          st.log->append_numbered(stored_message{m.from, m.text, seq++, m.ts, m.action});
      if (st.local != nullptr) st.local->fan_out_stored(stored, own ? m.client : 0);
    }
    if (own && st.in_flight && st.in_flight->token == record->batch) {
      return complete(name, st, record->first_seq);
    }
  }
  if (st.in_flight && st.in_flight->settles_at) return settle(name, st);
  send_next(name, st);
}

}  // namespace chatd
