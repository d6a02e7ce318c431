#include "fleet.hpp"

namespace chatbench {

fleet::fleet(asio::io_context& io, const options& opts, connection_handler& handler)
    : io_(io),
      opts_(opts),
      handler_(handler),
      server_(asio::ip::make_address(opts.host), opts.port) {}

std::size_t fleet::add(identity id) {
  const std::size_t n = conns_.size();
  conns_.push_back(std::make_unique<connection>(io_, handler_, n, make_protocol(opts_.server, std::move(id)),
                                                opts_.read_buffer));
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
  if (opts_.source_addrs > 1 && server_.address().is_v4()) {
    const auto last = static_cast<unsigned>(1 + id % opts_.source_addrs);
    source = asio::ip::address_v4((127u << 24) | last);
  }
  conns_[id]->connect(server_, source);
}

void fleet::close_all() {
  for (auto& c : conns_) c->close();
}

}  // namespace chatbench
