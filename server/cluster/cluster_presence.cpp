#include "server/cluster/cluster_presence.hpp"

#include <spdlog/spdlog.h>

#include "protocol/cluster_state.hpp"
#include "protocol/engine_record.hpp"
#include "protocol/names.hpp"
#include "server/chat/chat_client.hpp"
#include "server/chat/directory.hpp"
#include "server/chat/room.hpp"
#include "server/cluster/nats_link.hpp"

namespace chatd {

namespace {

// Often enough that node_timeout (3 s at the least) always spans a few.
constexpr std::chrono::milliseconds heartbeat_every{1000};

std::string member_key(const std::string& room, const std::string& nick) {
  return "m." + room + "." + protocol::fold_case(nick);
}

// "name.123" -> "name": what people know a node by.
std::string node_name(const std::string& instance) {
  return instance.substr(0, instance.rfind('.'));
}

}  // namespace

cluster_presence::cluster_presence(nats_link& link, directory& dir, const config& cfg,
                                   std::string instance)
    : link_(link),
      dir_(dir),
      cluster_(cfg.cluster),
      instance_(std::move(instance)),
      bucket_(cfg.cluster.prefix + "_state"),
      nick_bucket_(cfg.cluster.prefix + "_nicks"),
      pm_prefix_(cfg.cluster.prefix + ".pm."),
      beat_subject_(cfg.cluster.prefix + ".heartbeat"),
      replies_(dir.executor(), [this](std::vector<engine_reply>& r) { on_replies(r); }),
      pm_inbox_(dir.executor(), [this](std::vector<pm_item>& items) { on_private(items); }),
      beat_inbox_(dir.executor(), [this](std::vector<beat_item>& beats) { on_beats(beats); }),
      state_reader_(dir.executor(), [this](std::vector<stream_entry>& e) { on_state(e); }),
      nick_reader_(dir.executor(), [this](std::vector<stream_entry>& e) { on_nicks(e); }) {}

cluster_presence::~cluster_presence() {
  for (natsSubscription* sub : {pm_sub_, beat_sub_}) {
    if (sub == nullptr) continue;
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
  }
}

void cluster_presence::start() {
  kvStore_Destroy(link_.open_bucket(bucket_, cluster_.replicas));
  natsStatus s = NATS_OK;

  replies_.start(link_.connection());
  if (pm_sub_ == nullptr) {
    s = natsConnection_Subscribe(&pm_sub_, link_.connection(), (pm_prefix_ + instance_).c_str(),
                                 &cluster_presence::on_pm_msg, this);
    if (s != NATS_OK) throw engine_error("cluster: cannot subscribe: " + nats_error_text(s));
  }
  if (beat_sub_ == nullptr) {
    s = natsConnection_Subscribe(&beat_sub_, link_.connection(), beat_subject_.c_str(),
                                 &cluster_presence::on_beat_msg, this);
    if (s != NATS_OK) throw engine_error("cluster: cannot subscribe: " + nats_error_text(s));
  }
  state_reader_.start(link_.jetstream(), "KV_" + bucket_, "$KV." + bucket_ + ".>", true);
  nick_reader_.start(link_.jetstream(), "KV_" + nick_bucket_, "$KV." + nick_bucket_ + ".>", true);
  announce();
  hearing_since_ = clock::now();
}

// ---- writing ----------------------------------------------------------------------------------

void cluster_presence::put(const std::string& key, const std::string& value) {
  pending_write w;
  w.subject = "$KV." + bucket_ + "." + key;
  w.value = value;
  write(std::move(w));
}

void cluster_presence::erase(const std::string& bucket, const std::string& key,
                             const std::string& why, const std::string& text,
                             std::optional<std::uint64_t> only_if) {
  pending_write w;
  w.subject = "$KV." + bucket + "." + key;
  w.removes = true;
  w.why = why;
  w.text = text;
  w.only_if = only_if;
  write(std::move(w));
}

void cluster_presence::write(pending_write w) {
  const auto [it, added] = writes_.try_emplace(w.subject);
  if (!added) write_tokens_.erase(it->second.token);  // its answer no longer matters
  w.token = ++next_token_;
  write_tokens_[w.token] = w.subject;
  it->second = std::move(w);
  send(it->second);
}

void cluster_presence::send(pending_write& w) {
  w.last_sent = clock::now();
  const std::string reply = replies_.subject(w.token);
  const std::string expected = w.only_if ? std::to_string(*w.only_if) : std::string();
  natsMsg* msg = nullptr;
  natsStatus s = natsMsg_Create(&msg, w.subject.c_str(), reply.c_str(), w.value.data(),
                                static_cast<int>(w.value.size()));
  if (s == NATS_OK && w.removes) s = natsMsgHeader_Set(msg, "KV-Operation", "DEL");
  if (s == NATS_OK && !w.why.empty()) s = natsMsgHeader_Set(msg, "Chatd-Why", w.why.c_str());
  if (s == NATS_OK && !w.text.empty()) s = natsMsgHeader_Set(msg, "Chatd-Text", w.text.c_str());
  if (s == NATS_OK && w.only_if)
    s = natsMsgHeader_Set(msg, "Nats-Expected-Last-Subject-Sequence", expected.c_str());
  if (s == NATS_OK) s = natsConnection_PublishMsg(link_.connection(), msg);
  natsMsg_Destroy(msg);
  // Sent again at the next tick, like an unanswered one.
  if (s != NATS_OK) spdlog::debug("cluster: writing {}: {}", w.subject, nats_error_text(s));
}

void cluster_presence::on_replies(std::vector<engine_reply>& replies) {
  for (const engine_reply& r : replies) {
    const auto token = write_tokens_.find(r.token);
    if (token == write_tokens_.end()) continue;
    const auto reply = protocol::parse_publish_reply(r.data);
    if (!reply) continue;  // not an answer (no stream leader yet): sent again
    // Stored, or refused because the key changed since (a conditional delete that another
    // node made first): either way there is nothing more to send. Any other refusal is
    // tried again.
    if (reply->ack || reply->refusal->err_code == protocol::wrong_last_subject_seq) {
      writes_.erase(token->second);
      write_tokens_.erase(token);
    }
  }
}

void cluster_presence::joined(const std::string& room, const std::string& nick) {
  put(member_key(room, nick), protocol::encode_member({nick, instance_}));
}

void cluster_presence::parted(const std::string& room, const std::string& nick) {
  erase(bucket_, member_key(room, nick), "part", "");
}

void cluster_presence::quit(const std::vector<std::string>& rooms, const std::string& nick,
                            const std::string& why) {
  for (const std::string& room : rooms) erase(bucket_, member_key(room, nick), "quit", why);
}

void cluster_presence::renamed(const std::vector<std::string>& rooms, const std::string& old_nick,
                               const std::string& new_nick) {
  // The old key's marker first: the others rename on it, and the new key is then known.
  for (const std::string& room : rooms) {
    erase(bucket_, member_key(room, old_nick), "nick", new_nick);
    put(member_key(room, new_nick), protocol::encode_member({new_nick, instance_}));
  }
}

void cluster_presence::topic_set(const std::string& room, const std::string& topic,
                                 const std::string& by) {
  topics_[room] = topic;
  put("t." + room, protocol::encode_topic({topic, by, instance_}));
}

void cluster_presence::heartbeat() {
  natsConnection_Publish(link_.connection(), beat_subject_.c_str(), instance_.data(),
                         static_cast<int>(instance_.size()));
}

void cluster_presence::announce() {
  put("n." + instance_, protocol::encode_member({cluster_.node, instance_}));
  heartbeat();
}

void cluster_presence::on_reconnected() {
  // The others may have heard nothing of this node for a while, and this node nothing of
  // them: it judges no one until it has heard for node_timeout again.
  hearing_since_ = clock::now();
  announce();
  dir_.for_each_room([&](const room& r) {
    for (const chat_client* member : r.members()) joined(r.name(), member->nick());
  });
}

void cluster_presence::on_shutdown() { erase(bucket_, "n." + instance_, "", ""); }

// ---- reading ----------------------------------------------------------------------------------

void cluster_presence::on_state(std::vector<stream_entry>& entries) {
  const std::string prefix = "$KV." + bucket_ + ".";
  for (const stream_entry& e : entries) {
    if (e.subject.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string key = e.subject.substr(prefix.size());
    const bool removed = e.operation == "DEL" || e.operation == "PURGE";
    if (key.rfind("m.", 0) == 0) {
      const auto dot = key.find('.', 2);
      if (dot == std::string::npos) continue;
      const std::string room = key.substr(2, dot - 2);
      const std::string folded = key.substr(dot + 1);
      if (removed) {
        member_revs_.erase(key);
        member_key_deleted(room, folded, e);
        continue;
      }
      const auto member = protocol::decode_member(e.data);
      if (!member || member->instance == instance_) continue;  // this node knows its own
      member_revs_[key] = {member->instance, e.stream_seq};
      remote_members& members = remote_[room];
      const auto [it, added] = members.try_emplace(folded, remote_member{member->nick, member->instance});
      if (added) {
        dir_.remote_joined(room, member->nick);
      } else {
        it->second = {member->nick, member->instance};
      }
    } else if (key.rfind("t.", 0) == 0) {
      const std::string room = key.substr(2);
      const auto topic = removed ? std::nullopt : protocol::decode_topic(e.data);
      if (!topic) continue;
      topics_[room] = topic->topic;
      if (topic->instance != instance_) dir_.remote_topic(room, topic->by, topic->topic);
    } else if (key.rfind("n.", 0) == 0) {
      const std::string instance = key.substr(2);
      if (removed) {
        nodes_.erase(instance);
        continue;
      }
      // Known to exist; whether it lives its heartbeats tell, within node_timeout from now.
      seen(instance).revision = e.stream_seq;
    }
  }
}

void cluster_presence::member_key_deleted(const std::string& room, const std::string& folded,
                                          const stream_entry& e) {
  const auto in_room = remote_.find(room);
  if (in_room == remote_.end()) return;
  const auto found = in_room->second.find(folded);
  if (found == in_room->second.end()) return;
  const remote_member member = found->second;
  if (e.why != "quit" && e.why != "gone" && e.why != "nick") {  // a part
    dir_.remote_parted(room, member.nick);
    in_room->second.erase(found);
    if (in_room->second.empty()) remote_.erase(in_room);
    return;
  }
  // A quit or a nick change is about every room the member is in: its first marker tells
  // everyone once; the markers of its other rooms then find nothing left to tell.
  std::vector<std::string> rooms;
  for (const auto& [name, members] : remote_) {
    const auto m = members.find(folded);
    if (m != members.end() && m->second.instance == member.instance) rooms.push_back(name);
  }
  if (e.why == "nick") {
    dir_.remote_left_rooms(rooms, protocol::nick_event{member.nick, e.text}, peer_event::change);
    const std::string renamed = protocol::fold_case(e.text);
    for (const std::string& name : rooms) {
      remote_members& members = remote_[name];
      members.erase(folded);
      members[renamed] = {e.text, member.instance};
    }
    return;
  }
  const std::string reason = e.text.empty() ? std::string("quit") : e.text;
  dir_.remote_left_rooms(rooms, protocol::quit_event{member.nick, reason}, peer_event::presence);
  for (const std::string& name : rooms) {
    auto r = remote_.find(name);
    r->second.erase(folded);
    if (r->second.empty()) remote_.erase(r);
  }
}

void cluster_presence::on_nicks(std::vector<stream_entry>& entries) {
  const std::string prefix = "$KV." + nick_bucket_ + ".";
  for (const stream_entry& e : entries) {
    if (e.subject.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string folded = e.subject.substr(prefix.size());
    if (e.operation == "DEL" || e.operation == "PURGE") {
      nicks_.erase(folded);
      continue;
    }
    if (const auto holder = protocol::decode_nick_holder(e.data))
      nicks_[folded] = {holder->instance, holder->nick, e.stream_seq};
  }
}

// ---- nodes gone -------------------------------------------------------------------------------

cluster_presence::node_seen& cluster_presence::seen(const std::string& instance) {
  const auto [it, added] = nodes_.try_emplace(instance);
  if (added) it->second.last = clock::now();
  return it->second;
}

void cluster_presence::on_beat_msg(natsConnection*, natsSubscription*, natsMsg* msg,
                                   void* closure) {
  auto* self = static_cast<cluster_presence*>(closure);
  beat_item item{std::string(natsMsg_GetData(msg),
                             static_cast<std::size_t>(natsMsg_GetDataLength(msg)))};
  natsMsg_Destroy(msg);
  self->beat_inbox_.push(std::move(item));
}

void cluster_presence::on_beats(std::vector<beat_item>& beats) {
  const auto now = clock::now();
  for (const beat_item& beat : beats) {
    node_seen& node = seen(beat.instance);
    node.last = now;
    node.gone = false;
  }
}

void cluster_presence::on_tick(clock::time_point now) {
  if (now >= next_heartbeat_ && link_.connected_now()) {
    heartbeat();
    next_heartbeat_ = now + heartbeat_every;
    for (auto& [subject, w] : writes_)
      if (now - w.last_sent >= heartbeat_every) send(w);
  }
  // Judged only once this node itself has heard NATS for node_timeout without a break.
  if (!link_.connected() || now - hearing_since_ < cluster_.node_timeout) return;
  for (auto& [instance, seen] : nodes_) {
    if (instance == instance_ || seen.gone || now - seen.last < cluster_.node_timeout) continue;
    bury(instance, seen);
  }
}

void cluster_presence::bury(const std::string& instance, node_seen& seen) {
  const std::string name = node_name(instance);
  std::size_t members = 0;
  std::size_t nicks = 0;
  for (const auto& [key, rev] : member_revs_) {
    if (rev.instance != instance) continue;
    erase(bucket_, key, "gone", "node " + name + " went away", rev.revision);
    ++members;
  }
  for (const auto& [folded, held] : nicks_) {
    if (held.instance != instance) continue;
    erase(nick_bucket_, folded, "", "", held.revision);
    ++nicks;
  }
  if (seen.revision != 0) erase(bucket_, "n." + instance, "", "", seen.revision);
  seen.gone = true;
  spdlog::warn("cluster: node {} silent for cluster.node_timeout ({} ms): its {} room "
               "memberships end and its {} nicks are freed",
               instance, cluster_.node_timeout.count(), members, nicks);
}

std::size_t cluster_presence::nodes_alive() const {
  std::size_t alive = 0;
  for (const auto& [instance, seen] : nodes_) alive += seen.gone ? 0 : 1;
  return alive;
}

// ---- asked by the chat ------------------------------------------------------------------------

const remote_members* cluster_presence::remote_of(const std::string& room) const {
  const auto it = remote_.find(room);
  return it == remote_.end() ? nullptr : &it->second;
}

void cluster_presence::for_each_remote_room(
    const std::function<void(const std::string&, std::size_t, const std::string&)>& fn) const {
  for (const auto& [name, members] : remote_) fn(name, members.size(), topic_of(name));
}

std::string cluster_presence::topic_of(const std::string& room) const {
  const auto it = topics_.find(room);
  return it == topics_.end() ? std::string() : it->second;
}

std::optional<std::string> cluster_presence::send_private(const protocol::pm_event& pm) {
  const auto it = nicks_.find(protocol::fold_case(pm.to));
  if (it == nicks_.end() || it->second.instance == instance_) return std::nullopt;
  const std::string subject = pm_prefix_ + it->second.instance;
  const std::string data = protocol::encode_private(pm);
  natsConnection_Publish(link_.connection(), subject.c_str(), data.data(),
                         static_cast<int>(data.size()));
  return it->second.nick;
}

void cluster_presence::on_pm_msg(natsConnection*, natsSubscription*, natsMsg* msg,
                                 void* closure) {
  auto* self = static_cast<cluster_presence*>(closure);
  pm_item item{std::string(natsMsg_GetData(msg),
                           static_cast<std::size_t>(natsMsg_GetDataLength(msg)))};
  natsMsg_Destroy(msg);
  self->pm_inbox_.push(std::move(item));
}

void cluster_presence::on_private(std::vector<pm_item>& items) {
  for (const pm_item& item : items) {
    const auto pm = protocol::decode_private(item.data);
    if (!pm) continue;
    chat_client* target = dir_.find_nick(pm->to);
    if (target == nullptr) continue;  // gone meanwhile
    target->send(protocol::pm_event{pm->from, target->nick(), pm->text, pm->ts});
  }
}

}  // namespace chatd
