#include "server/chat/directory.hpp"

#include <algorithm>
#include <cassert>

#include <spdlog/spdlog.h>

#include "protocol/names.hpp"
#include "server/chat/chat_client.hpp"
#include "server/chat/chat_engine.hpp"
#include "server/chat/encoded_event.hpp"
#include "server/chat/memory_room_log.hpp"
#include "server/chat/room.hpp"

namespace chatd {

namespace {
// Two draws: random_device gives 32 bits, and an epoch must not repeat across restarts.
std::uint64_t epoch_seed() {
  std::random_device device;
  return (std::uint64_t{device()} << 32) | device();
}
}  // namespace

directory::directory(asio::any_io_executor executor, const config& cfg, server_metrics& metrics)
    : executor_(std::move(executor)),
      cfg_(cfg),
      metrics_(metrics),
      slow_loop_(metrics.slow_loop(false), metrics.slow_loop(true), cfg.log.slow_loop),
      epoch_bits_(epoch_seed()) {}

directory::~directory() {
  // Clients still here when the loop is gone (a test, a forced exit): let go of them the way
  // they would have left, so each is freed with no registry pointing at it.
  for (auto& [name, r] : rooms_) {
    for (chat_client* member : r->members()) member->registry_refs.release();
    r->clear_members();
    r->stop();
  }
  for (auto& [nick, owner] : nicks_) owner->registry_refs.release();
  nicks_.clear();
  for (auto& [id, c] : clients_) c->registry_refs.release();
}

// ---- clients ----------------------------------------------------------------------------------

std::size_t directory::connections_from(const std::string& address) const {
  const auto it = connections_per_address_.find(address);
  return it == connections_per_address_.end() ? 0 : it->second;
}

void directory::add_client(std::shared_ptr<chat_client> client) {
  client->registry_refs.hold();
  ++connections_per_address_[client->address()];
  const std::uint64_t id = client->id();
  clients_.emplace(id, std::move(client));
}

void directory::forget_client(chat_client& client) {
  const auto it = clients_.find(client.id());
  if (it == clients_.end() || it->second.get() != &client) return;
  const std::shared_ptr<chat_client> keep = std::move(it->second);  // freed on return
  clients_.erase(it);
  client.registry_refs.release();
  const auto from = connections_per_address_.find(client.address());
  if (from != connections_per_address_.end() && --from->second == 0)
    connections_per_address_.erase(from);
  assert(client.registry_refs.count() == 0 && "a finished client is still in a registry");
  if (clients_.empty() && on_empty_) on_empty_();
}

std::vector<std::shared_ptr<chat_client>> directory::all_clients() const {
  std::vector<std::shared_ptr<chat_client>> all;
  all.reserve(clients_.size());
  for (const auto& [id, c] : clients_) all.push_back(c);
  return all;
}


// ---- nicks ------------------------------------------------------------------------------------

chat_client* directory::find_nick(std::string_view nick) const {
  const auto it = nicks_.find(protocol::fold_case(nick));
  return it == nicks_.end() ? nullptr : it->second;
}

void directory::claim_nick(chat_client& owner, std::string_view old_nick,
                           std::string_view new_nick) {
  std::string folded = protocol::fold_case(new_nick);
  // A change of case keeps the nick: releasing it would free it in a cluster.
  if (!old_nick.empty() && protocol::fold_case(old_nick) != folded) release_nick(old_nick);
  chat_client*& slot = nicks_[std::move(folded)];
  if (slot != nullptr) slot->registry_refs.release();
  slot = &owner;
  owner.registry_refs.hold();
}

void directory::release_nick(std::string_view nick) {
  const auto it = nicks_.find(protocol::fold_case(nick));
  if (it == nicks_.end()) return;
  it->second->registry_refs.release();
  if (nick_engine_ != nullptr) nick_engine_->release(it->first);
  nicks_.erase(it);
}

chat_client* directory::find_client(std::uint64_t id) const {
  const auto it = clients_.find(id);
  return it == clients_.end() ? nullptr : it->second.get();
}

std::string directory::new_epoch() { return protocol::epoch_token(epoch_bits_()); }

// ---- rooms ------------------------------------------------------------------------------------

room* directory::find_room(const std::string& canonical) const {
  const auto it = rooms_.find(canonical);
  return it == rooms_.end() ? nullptr : it->second.get();
}

room* directory::create_room(const std::string& canonical) {
  std::shared_ptr<room_log> log =
      room_engine_ != nullptr
          ? room_engine_->log_for(canonical)
          : std::make_shared<memory_room_log>(cfg_.rooms.history, new_epoch());
  auto r = std::make_shared<room>(canonical, std::move(log), metrics_, slow_loop_, writers_);
  r->start(executor_);
  room* raw = r.get();
  rooms_.emplace(canonical, std::move(r));
  if (room_engine_ != nullptr) {
    raw->set_engine(room_engine_);
    room_engine_->attach(*raw);
  }
  if (presence_engine_ != nullptr) {
    raw->set_presence_engine(presence_engine_);
    raw->set_topic(presence_engine_->topic_of(canonical));
  }
  return raw;
}

void directory::room_emptied(room& r) {
  if (cfg_.rooms.keep_empty.count() == 0) return remove_room(r);
  const auto at = kept_.insert(kept_.end(), &r);
  r.set_kept(room::kept_place{at, std::chrono::steady_clock::now()});
}

void directory::room_refilled(room& r) {
  if (!r.kept()) return;
  kept_.erase(r.kept()->at);
  r.set_kept(std::nullopt);
}

void directory::expire_kept_rooms(std::chrono::steady_clock::time_point now) {
  // The list is in the order the rooms emptied, which is the order they expire in for any
  // keep_empty (a reload changes it for all at once).
  const auto keep = cfg_.rooms.keep_empty;
  std::size_t expired = 0;
  while (!kept_.empty() && kept_.front()->kept()->since + keep <= now) {
    room& r = *kept_.front();
    room_refilled(r);  // off the list first: remove_room takes the room's last reference
    spdlog::debug("room {} removed: kept empty for rooms.keep_empty (seq {}, epoch {})",
                  r.name(), r.last_seq(), r.epoch());
    remove_room(r);
    ++expired;
  }
  if (expired > 0) spdlog::debug("{} empty rooms expired; {} kept", expired, kept_.size());
}

void directory::remove_room(room& r) {
  const auto it = rooms_.find(r.name());
  if (it == rooms_.end() || it->second.get() != &r) return;
  const std::shared_ptr<room> keep = std::move(it->second);
  rooms_.erase(it);
  if (room_engine_ != nullptr) room_engine_->detach(*keep);
  keep->stop();  // the broadcaster drains what is queued, then ends and frees the room
}

room_listing directory::list_rooms(const protocol::room_pattern& pattern,
                                   std::size_t limit) const {
  // By reference: the rooms not shown cost no copy.
  struct entry {
    const std::string* name;
    std::size_t members;
    const std::string* topic;
  };
  std::vector<entry> matching;
  matching.reserve(pattern.matches_all() ? rooms_.size() : 0);
  for (const auto& [name, r] : rooms_) {
    if (pattern.matches(name)) matching.push_back({&name, r->member_count(), &r->topic()});
  }
  // Cluster mode: the rooms only other nodes have members in. Collected whole before the
  // entries point into them.
  struct remote_room {
    std::string name;
    std::size_t members;
    std::string topic;
  };
  std::vector<remote_room> remote_only;
  if (presence_engine_ != nullptr) {
    presence_engine_->for_each_remote_room(
        [&](const std::string& name, std::size_t members, const std::string& topic) {
          if (rooms_.count(name) == 0 && pattern.matches(name))
            remote_only.push_back({name, members, topic});
        });
  }
  for (const remote_room& r : remote_only) matching.push_back({&r.name, r.members, &r.topic});
  const auto by_name = [](const entry& a, const entry& b) { return *a.name < *b.name; };
  if (matching.size() > limit) {
    std::partial_sort(matching.begin(), matching.begin() + static_cast<std::ptrdiff_t>(limit),
                      matching.end(), by_name);
  } else {
    std::sort(matching.begin(), matching.end(), by_name);
  }
  room_listing out;
  out.total = matching.size();
  out.rooms.reserve(std::min(limit, matching.size()));
  for (const entry& e : matching) {
    if (out.rooms.size() == limit) break;
    out.rooms.push_back({*e.name, e.members, *e.topic});
  }
  return out;
}

// ---- notices ----------------------------------------------------------------------------------

void directory::notify_peers(chat_client& subject, const protocol::event& ev, peer_event kind) {
  notify_rooms(subject.rooms(), &subject, ev, kind);
}

void directory::notify_rooms(const std::vector<room*>& rooms, const chat_client* subject,
                             const protocol::event& ev, peer_event kind) {
  const std::uint64_t epoch = ++mark_epoch_;
  encoded_event lines(ev);
  const send_urgency urgency = lines.urgency();
  const std::size_t presence_limit = cfg_.rooms.presence_max_members;
  for (room* r : rooms) {
    if (kind == peer_event::presence && !r->sends_presence(presence_limit)) {
      metrics_.presence_suppressed(presence_kind::quit).inc();
      continue;
    }
    for (chat_client* member : r->members()) {
      if (member->mark == epoch || member == subject) continue;
      member->mark = epoch;
      member->deliver(lines.get(member->format()), urgency);
    }
  }
}

void directory::remote_joined(const std::string& room_name, const std::string& nick) {
  room* r = find_room(room_name);
  if (r == nullptr) return;
  const std::size_t limit = cfg_.rooms.presence_max_members;
  if (r->sends_presence(limit)) {
    r->notify(protocol::join_event{room_name, nick}, nullptr);
  } else {
    metrics_.presence_suppressed(presence_kind::join).inc();
  }
  r->watch_presence(limit);
}

void directory::remote_parted(const std::string& room_name, const std::string& nick) {
  room* r = find_room(room_name);
  if (r == nullptr) return;
  if (r->sends_presence(cfg_.rooms.presence_max_members)) {
    r->notify(protocol::part_event{room_name, nick}, nullptr);
  } else {
    metrics_.presence_suppressed(presence_kind::part).inc();
  }
}

void directory::remote_left_rooms(const std::vector<std::string>& names,
                                  const protocol::event& ev, peer_event kind) {
  std::vector<room*> rooms;
  for (const std::string& name : names)
    if (room* r = find_room(name)) rooms.push_back(r);
  notify_rooms(rooms, nullptr, ev, kind);
}

void directory::remote_topic(const std::string& room_name, const std::string& nick,
                             const std::string& topic) {
  room* r = find_room(room_name);
  if (r == nullptr || r->topic() == topic) return;
  r->set_topic(topic);
  r->notify(protocol::topic_event{room_name, nick, topic}, nullptr);
}

void directory::log_offence(std::uint64_t id, const std::string& peer, std::string_view what) {
  log_throttle& throttle = offence_logs_[std::string(what)];
  if (throttle.allow(log_throttle::clock::now())) {
    spdlog::warn("conn {} peer={} limit hit: {} ({} more not logged)", id, peer, what,
                 throttle.suppressed());
  }
}

void directory::apply_config(const config& next) {
  const bool history_changed = next.rooms.history != cfg_.rooms.history;
  cfg_ = next;
  slow_loop_.set_threshold(cfg_.log.slow_loop);
  for (auto& [id, c] : clients_) c->apply_limits(cfg_.limits);
  if (history_changed) {
    for (auto& [name, r] : rooms_) r->set_history_capacity(cfg_.rooms.history);
  }
}

}  // namespace chatd
