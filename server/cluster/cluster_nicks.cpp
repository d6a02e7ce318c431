#include "server/cluster/cluster_nicks.hpp"

#include <string_view>

#include <asio/post.hpp>
#include <spdlog/spdlog.h>

#include "protocol/cluster_state.hpp"
#include "server/cluster/cluster_metrics.hpp"
#include "server/cluster/nats_link.hpp"

namespace chatd {

namespace {
// Claims of a crowd registering at once overlap on this many threads; each waits on the engine
// (a round trip at replicas 3), not on a core.
constexpr std::size_t claim_threads = 4;
}  // namespace

cluster_nicks::cluster_nicks(nats_link& link, asio::any_io_executor loop,
                             cluster_metrics& metrics, const cluster_config& cfg,
                             std::string holder)
    : link_(link),
      loop_(std::move(loop)),
      metrics_(metrics),
      cfg_(cfg),
      holder_(std::move(holder)),
      bucket_(cfg.prefix + "_nicks"),
      stream_("KV_" + bucket_),
      pool_(claim_threads) {}

cluster_nicks::~cluster_nicks() {
  *alive_ = false;
  pool_.join();  // no pool thread uses kv_ after this
  if (kv_ != nullptr) kvStore_Destroy(kv_);
}

void cluster_nicks::start() {
  if (kv_ != nullptr) return;  // opened by an earlier attempt
  kv_ = link_.open_bucket(bucket_, cfg_.replicas);
  spdlog::info("cluster: nicks in bucket {}", bucket_);
}

void cluster_nicks::claim(const std::string& folded, const std::string& nick,
                          std::function<void(nick_claim)> done) {
  // Two clients of this node asking at once: the second need not ask the engine.
  nick_claim early = nick_claim::won;
  if (claiming_.count(folded) != 0) {
    early = nick_claim::taken;
  } else if (!link_.connected_now()) {
    metrics_.nick_claims_failed.inc();
    early = nick_claim::unavailable;
  }
  if (early != nick_claim::won) {
    // Always answered later, never from inside the caller.
    return asio::post(loop_, [done = std::move(done), early] { done(early); });
  }
  claiming_.insert(folded);
  // Unique per claim, so a create that timed out is known for ours when read back.
  std::string value =
      protocol::encode_nick_holder({holder_, std::to_string(++claims_), nick});
  asio::post(pool_, [this, folded, value = std::move(value), done = std::move(done),
                     alive = alive_]() mutable {
    const nick_claim result = claim_now(folded, value);
    asio::post(loop_, [this, folded, done = std::move(done), alive, result] {
      if (!*alive) return;
      claiming_.erase(folded);
      if (result == nick_claim::unavailable) metrics_.nick_claims_failed.inc();
      done(result);
    });
  });
}

// kvStore_Create is not enough on nats-server 2.9: two creates at the same instant can both
// be stored (its expected-sequence check races in clustered streams), and then two clients
// would hold one nick. So the create is written by hand, as kvStore_Create writes it, plus a
// Nats-Msg-Id naming the key and the revision it follows: two nodes claiming the same free
// nick write the same id, and JetStream's duplicate check keeps only the first.
nick_claim cluster_nicks::claim_now(const std::string& key, const std::string& value) {
  const std::string subject = "$KV." + bucket_ + "." + key;
  // What the key holds now: nothing (base 0), a delete marker (base: its revision), or a
  // holder.
  std::uint64_t base = 0;
  natsMsg* last = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_GetLastMsg(&last, link_.jetstream(), stream_.c_str(), subject.c_str(),
                               nullptr, &jerr);
  if (s == NATS_OK) {
    const char* op = nullptr;
    const bool freed = natsMsgHeader_Get(last, "KV-Operation", &op) == NATS_OK && op != nullptr &&
                       (std::string_view(op) == "DEL" || std::string_view(op) == "PURGE");
    const std::string held(natsMsg_GetData(last),
                           static_cast<std::size_t>(natsMsg_GetDataLength(last)));
    base = natsMsg_GetSequence(last);
    natsMsg_Destroy(last);
    if (!freed) return held == value ? nick_claim::won : nick_claim::taken;
  } else if (s != NATS_NOT_FOUND) {
    spdlog::warn("cluster: reading nick {}: {}", key, nats_error_text(s));
    return nick_claim::unavailable;
  }

  const std::string id = key + ":" + std::to_string(base);
  const std::string expected = std::to_string(base);
  natsMsg* msg = nullptr;
  s = natsMsg_Create(&msg, subject.c_str(), nullptr, value.data(), static_cast<int>(value.size()));
  if (s == NATS_OK) s = natsMsgHeader_Set(msg, "Nats-Msg-Id", id.c_str());
  if (s == NATS_OK) s = natsMsgHeader_Set(msg, "Nats-Expected-Last-Subject-Sequence", expected.c_str());
  jsPubAck* ack = nullptr;
  if (s == NATS_OK) s = js_PublishMsg(&ack, link_.jetstream(), msg, nullptr, &jerr);
  natsMsg_Destroy(msg);
  const bool duplicate = ack != nullptr && ack->Duplicate;
  if (ack != nullptr) jsPubAck_Destroy(ack);
  if (s == NATS_OK && !duplicate) return nick_claim::won;
  if (s != NATS_OK && jerr == JSStreamWrongLastSequenceErr) return nick_claim::taken;
  // A duplicate (someone claimed it from the same state first, or this is the engine
  // answering a claim of ours it already has) or no answer: what the key holds tells.
  kvEntry* entry = nullptr;
  const natsStatus got = kvStore_Get(&entry, kv_, key.c_str());
  if (got == NATS_OK) {
    const bool ours = kvEntry_ValueString(entry) == value;
    kvEntry_Destroy(entry);
    return ours ? nick_claim::won : nick_claim::taken;
  }
  if (s == NATS_OK) return nick_claim::taken;  // a duplicate whose holder let go already
  spdlog::warn("cluster: claiming nick {}: {}", key, nats_error_text(s));
  return nick_claim::unavailable;
}

void cluster_nicks::release(const std::string& folded) {
  asio::post(pool_, [this, folded] {
    const natsStatus s = kvStore_Delete(kv_, folded.c_str());
    if (s != NATS_OK) spdlog::warn("cluster: freeing nick {}: {}", folded, nats_error_text(s));
  });
}

}  // namespace chatd
