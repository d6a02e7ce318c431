#include "server/daemon/proxy_gate.hpp"

#include <spdlog/spdlog.h>

#include "server/loop/guard.hpp"
#include "server/transport/endpoint_text.hpp"
#include "server/transport/proxy_header_reader.hpp"

namespace chatd {

proxy_gate::proxy_gate(server_metrics& metrics, admit_fn admit)
    : metrics_(metrics), admit_(std::move(admit)) {}

proxy_gate::~proxy_gate() { *alive_ = false; }

bool proxy_gate::trusts(const asio::ip::address& peer) const {
  if (trusted_.empty()) return false;
  if (peer.is_v4() || (peer.is_v6() && peer.to_v6().is_v4_mapped())) {
    const auto v4 = peer.is_v4() ? peer.to_v4()
                                 : asio::ip::make_address_v4(asio::ip::v4_mapped, peer.to_v6());
    const auto bytes = v4.to_bytes();
    for (const ip_range& range : trusted_) {
      if (range.contains(false, bytes.data())) return true;
    }
    return false;
  }
  const auto bytes = peer.to_v6().to_bytes();
  for (const ip_range& range : trusted_) {
    if (range.contains(true, bytes.data())) return true;
  }
  return false;
}

void proxy_gate::start(asio::ip::tcp::socket socket, std::chrono::milliseconds timeout,
                       bool tls) {
  const auto executor = socket.get_executor();
  spawn_guarded(executor,
                read_then_admit(std::move(socket), tls,
                                std::chrono::steady_clock::now() + timeout,
                                pending_, alive_),
                "PROXY header reader");
}

void proxy_gate::cancel_all() {
  for (asio::ip::tcp::socket* socket : *pending_) {
    asio::error_code ignored;
    socket->cancel(ignored);
  }
}

asio::awaitable<void> proxy_gate::read_then_admit(asio::ip::tcp::socket socket, bool tls,
                                                  std::chrono::steady_clock::time_point deadline,
                                                  std::shared_ptr<pending_list> pending,
                                                  std::shared_ptr<bool> alive) {
  // Listed while the header is read, so that shutdown can end the wait.
  struct listing {
    pending_list& list;
    pending_list::iterator entry;
    bool listed = true;
    void end() {
      if (listed) list.erase(entry);
      listed = false;
    }
    ~listing() { end(); }
  } listed{*pending, pending->insert(pending->end(), &socket)};

  asio::error_code ec;
  const asio::ip::tcp::endpoint balancer = socket.remote_endpoint(ec);
  const proxy_header_result header = co_await read_proxy_header(socket, deadline);
  if (!*alive) co_return;
  using outcome = proxy_header_result::outcome;
  if (header.result == outcome::ok) {
    listed.end();  // admitted: a client from now on, no longer pending
    spdlog::debug("PROXY v{} header from {}: client {}", header.version, endpoint_text(balancer),
                  header.local ? std::string("local") : endpoint_text(header.client));
    admit_(std::move(socket), tls, header.client, balancer);
    co_return;
  }
  if (header.result == outcome::cancelled) co_return;
  const std::string peer = ec ? std::string("a balancer") : endpoint_text(balancer);
  if (header.result == outcome::closed && header.nothing_sent) {
    spdlog::debug("connection from {} {}", peer, header.reason);
    co_return;
  }
  metrics_.rejected(reject_reason::bad_proxy_header).inc();
  if (log_.allow(std::chrono::steady_clock::now())) {
    spdlog::warn("connection from {} closed: bad-proxy-header: {} ({} more not logged)", peer,
                 header.reason, log_.suppressed());
  }
  asio::error_code ignored;
  socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

}  // namespace chatd
