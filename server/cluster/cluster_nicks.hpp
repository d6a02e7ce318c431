// One nick namespace for the cluster: a key-value bucket (PREFIX_nicks) whose keys are the
// case-folded nicks. Claiming is a create-if-absent that JetStream decides, so of two nodes
// asked at the same instant exactly one wins. libnats's key-value calls wait for the engine, so they run on a
// small pool of threads and only their answers come back to the loop.
#pragma once

#include <nats/nats.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_set>

#include <asio/any_io_executor.hpp>
#include <asio/thread_pool.hpp>

#include "config/config.hpp"
#include "server/chat/chat_engine.hpp"

namespace chatd {

class cluster_metrics;
class nats_link;

class cluster_nicks final : public nick_engine {
 public:
  // `holder`: what a claimed key holds, this node's instance (node name and start).
  cluster_nicks(nats_link& link, asio::any_io_executor loop, cluster_metrics& metrics,
                const cluster_config& cfg, std::string holder);
  ~cluster_nicks() override;

  // At start, before the loop runs: makes (or opens) the bucket. Throws engine_error.
  void start();

  void claim(const std::string& folded, const std::string& nick,
             std::function<void(nick_claim)> done) override;
  void release(const std::string& folded) override;

 private:
  nick_claim claim_now(const std::string& key, const std::string& value);  // on a pool thread

  nats_link& link_;
  asio::any_io_executor loop_;
  cluster_metrics& metrics_;
  const cluster_config cfg_;
  const std::string holder_;
  const std::string bucket_;
  const std::string stream_;  // the bucket's stream
  kvStore* kv_ = nullptr;
  std::unordered_set<std::string> claiming_;  // loop only: asked, not answered yet
  std::uint64_t claims_ = 0;
  // Guards the answers posted to the loop after this is gone (at shutdown).
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  asio::thread_pool pool_;
};

}  // namespace chatd
