#include "fleet.hpp"

namespace chatbench {

fleet::fleet(asio::io_context& io, const options& opts, connection_handler& handler)
    : io_(io),
      opts_(opts),
      handler_(handler) {
  if (opts.tls) {
    // The benchmark measures the cost of TLS, not of trust: the test certificate is taken as is.
    tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
    tls_->set_verify_mode(asio::ssl::verify_none);
  }
  const auto address = asio::ip::make_address(opts.host);
  for (const auto port : opts.ports) servers_.emplace_back(address, port);
}

std::size_t fleet::add(identity id, std::size_t node) {
  const std::size_t n = conns_.size();
  node_of_.push_back(node % servers_.size());
  conns_.push_back(std::make_unique<connection>(io_, handler_, n, make_protocol(opts_.server, std::move(id)),
                                                opts_.read_buffer, tls_.get()));
  return n;
}

void fleet::start() {
  while (in_setup_ < opts_.connect_parallel && next_ < conns_.size()) launch(next_++);
}

void fleet::note_ready() {
  ++ready_;
  if (in_setup_ > 0) --in_setup_;
  start();
}

void fleet::launch(std::size_t id) {
  ++in_setup_;
  asio::ip::address source;  // unspecified: let the kernel choose
  const auto& server = servers_[node_of_[id]];
  if (opts_.source_addrs > 1 && server.address().is_v4()) {
    const auto last = static_cast<unsigned>(1 + id % opts_.source_addrs);
    source = asio::ip::address_v4((127u << 24) | last);
  }
  conns_[id]->connect(server, source);
}

void fleet::close_all() {
  for (auto& c : conns_) c->close();
}

}  // namespace chatbench
