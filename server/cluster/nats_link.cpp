#include "server/cluster/nats_link.hpp"

#include <vector>

#include <spdlog/spdlog.h>

namespace chatd {

namespace {

// A killed server closes its sockets, so a lost link is usually seen at once; pings catch the
// silent kind (a partition) within about 2 × 2 s.
constexpr int64_t ping_interval_ms = 2000;
constexpr int max_pings_out = 2;
constexpr int64_t reconnect_wait_ms = 250;
constexpr int64_t connect_timeout_ms = 2000;
constexpr int64_t library_close_wait_ms = 5000;

void check(natsStatus status, const char* what) {
  if (status != NATS_OK) throw engine_error(std::string(what) + ": " + nats_error_text(status));
}

void check_connect(natsStatus status) {
  if (status == NATS_CONNECTION_AUTH_FAILED || status == NATS_NOT_PERMITTED) {
    throw engine_refused(
        "connecting to cluster.nats: NATS refused this node's credentials "
        "(cluster.credentials, or cluster.user and cluster.password): " +
        nats_error_text(status));
  }
  check(status, "connecting to cluster.nats");
}

}  // namespace

std::string nats_error_text(natsStatus status) {
  std::string text = natsStatus_GetText(status);
  natsStatus last = NATS_OK;
  if (const char* detail = nats_GetLastError(&last); detail != nullptr && *detail != '\0' &&
                                                      text.find(detail) == std::string::npos) {
    text += " (";
    text += detail;
    text += ")";
  }
  return text;
}

nats_link::nats_link(asio::any_io_executor loop, const cluster_config& cfg,
                     std::string client_name, state_handler on_state)
    : cfg_(cfg),
      client_name_(std::move(client_name)),
      on_state_(std::move(on_state)),
      inbox_(std::move(loop), [this](std::vector<state_change>& changes) { changed(changes); }) {}

nats_link::~nats_link() {
  if (js_ != nullptr) jsCtx_Destroy(js_);
  if (conn_ != nullptr) {
    natsConnection_Close(conn_);
    natsConnection_Destroy(conn_);
  }
  if (opts_ != nullptr) natsOptions_Destroy(opts_);
  // The closed callback may still be on its way on a libnats thread, with `this` as its
  // closure: wait for the library's threads to end while this object is whole. One link per
  // process, so nothing else uses the library after it.
  nats_CloseAndWait(library_close_wait_ms);
}

void nats_link::connect() {
  if (conn_ != nullptr) return;
  if (opts_ != nullptr) {  // an earlier attempt got as far as connecting
    check_connect(natsConnection_Connect(&conn_, opts_));
    return finish_connect();
  }
  check(natsOptions_Create(&opts_), "nats options");
  std::vector<const char*> servers;
  for (const std::string& url : cfg_.nats) servers.push_back(url.c_str());
  check(natsOptions_SetServers(opts_, servers.data(), static_cast<int>(servers.size())),
        "cluster.nats");
  check(natsOptions_SetName(opts_, client_name_.c_str()), "client name");
  check(natsOptions_SetTimeout(opts_, connect_timeout_ms), "timeout");
  check(natsOptions_SetAllowReconnect(opts_, true), "reconnect");
  check(natsOptions_SetMaxReconnect(opts_, -1), "reconnect");  // forever: the chat waits
  check(natsOptions_SetReconnectWait(opts_, reconnect_wait_ms), "reconnect wait");
  check(natsOptions_SetPingInterval(opts_, ping_interval_ms), "ping interval");
  // Every subscription's callback only copies and posts to the loop: one shared delivery
  // thread does it for all of them, instead of a thread each waking for every message.
  check(natsOptions_UseGlobalMessageDelivery(opts_, true), "message delivery");
  check(natsOptions_SetMaxPingsOut(opts_, max_pings_out), "pings");
  if (!cfg_.credentials.empty()) {
    check(natsOptions_SetUserCredentialsFromFiles(opts_, cfg_.credentials.c_str(), nullptr),
          "cluster.credentials");
  } else if (!cfg_.user.empty()) {
    check(natsOptions_SetUserInfo(opts_, cfg_.user.c_str(), cfg_.password.c_str()),
          "cluster.user");
  }
  if (!cfg_.tls.ca.empty() || !cfg_.tls.cert.empty()) {
    check(natsOptions_SetSecure(opts_, true), "cluster.tls");
    if (!cfg_.tls.ca.empty())
      check(natsOptions_LoadCATrustedCertificates(opts_, cfg_.tls.ca.c_str()), "cluster.tls.ca");
    if (!cfg_.tls.cert.empty())
      check(natsOptions_LoadCertificatesChain(opts_, cfg_.tls.cert.c_str(), cfg_.tls.key.c_str()),
            "cluster.tls.cert");
  }
  check(natsOptions_SetDisconnectedCB(opts_, &nats_link::on_disconnected, this), "callback");
  check(natsOptions_SetReconnectedCB(opts_, &nats_link::on_reconnected, this), "callback");
  check(natsOptions_SetClosedCB(opts_, &nats_link::on_closed, this), "callback");
  check(natsOptions_SetErrorHandler(opts_, &nats_link::on_async_error, this), "callback");

  check_connect(natsConnection_Connect(&conn_, opts_));
  finish_connect();
}

void nats_link::finish_connect() {
  check(natsConnection_JetStream(&js_, conn_, nullptr), "JetStream");
  connected_ = true;
  char url[256] = {0};
  if (natsConnection_GetConnectedUrl(conn_, url, sizeof url) == NATS_OK) server_ = url;
}

kvStore* nats_link::open_bucket(const std::string& bucket, std::size_t replicas) const {
  kvConfig kc;
  kvConfig_Init(&kc);
  kc.Bucket = bucket.c_str();
  kc.History = 1;
  kc.StorageType = js_FileStorage;
  kc.Replicas = static_cast<int>(replicas);
  kvStore* kv = nullptr;
  natsStatus s = js_CreateKeyValue(&kv, js_, &kc);
  if (s != NATS_OK) s = js_KeyValue(&kv, js_, bucket.c_str());
  if (s != NATS_OK)
    throw engine_error("cluster: cannot open the bucket " + bucket + ": " + nats_error_text(s));
  return kv;
}

bool nats_link::connected_now() const noexcept {
  return conn_ != nullptr && natsConnection_Status(conn_) == NATS_CONN_STATUS_CONNECTED;
}

void nats_link::tell(natsConnection* nc, bool connected) {
  state_change change{connected, {}};
  char url[256] = {0};
  if (connected && natsConnection_GetConnectedUrl(nc, url, sizeof url) == NATS_OK)
    change.server = url;
  inbox_.push(std::move(change));
}

void nats_link::on_disconnected(natsConnection* nc, void* closure) {
  static_cast<nats_link*>(closure)->tell(nc, false);
}

void nats_link::on_reconnected(natsConnection* nc, void* closure) {
  static_cast<nats_link*>(closure)->tell(nc, true);
}

void nats_link::on_closed(natsConnection* nc, void* closure) {
  static_cast<nats_link*>(closure)->tell(nc, false);
}

void nats_link::on_async_error(natsConnection*, natsSubscription*, natsStatus err, void*) {
  // Rare and not about chat state (a slow subscription inside libnats): logging is enough, and
  // spdlog is thread-safe.
  spdlog::warn("cluster: engine client error: {}", natsStatus_GetText(err));
}

void nats_link::changed(std::vector<state_change>& changes) {
  for (const state_change& change : changes) {
    if (change.connected == connected_) continue;
    connected_ = change.connected;
    if (connected_) {
      ++reconnects_;
      server_ = change.server;
    }
    on_state_(change);
  }
}

}  // namespace chatd
