// The set of connections of one run and how they get established: at most
// `connect_parallel` connecting or registering at once, sources spread over 127.0.0.1..N,
// each connection to one of the server's ports (the nodes of a chatd cluster).
#pragma once

#include <asio.hpp>

#include <memory>
#include <vector>

#include "connection.hpp"
#include "options.hpp"

namespace chatbench {

class fleet {
 public:
  fleet(asio::io_context& io, const options& opts, connection_handler& handler);

  // Adds a connection (not yet connected) to node `node` (an index into opts.ports); returns
  // its id.
  std::size_t add(identity id, std::size_t node = 0);
  // Starts (or continues) connecting the connections not started yet.
  void start();
  // The handler calls this from on_ready: frees a setup slot and starts the next connection.
  void note_ready();

  std::size_t size() const { return conns_.size(); }
  std::size_t ready() const { return ready_; }
  bool all_ready() const { return ready_ == conns_.size(); }
  std::size_t nodes() const { return servers_.size(); }
  std::size_t node_of(std::size_t id) const { return node_of_[id]; }
  connection& at(std::size_t id) { return *conns_[id]; }
  const connection& at(std::size_t id) const { return *conns_[id]; }
  void close_all();

 private:
  void launch(std::size_t id);

  asio::io_context& io_;
  const options& opts_;
  connection_handler& handler_;
  std::unique_ptr<asio::ssl::context> tls_;  // with --tls: every connection's client context
  std::vector<asio::ip::tcp::endpoint> servers_;  // one per node
  std::vector<std::unique_ptr<connection>> conns_;
  std::vector<std::size_t> node_of_;
  std::size_t next_ = 0;
  std::size_t in_setup_ = 0;
  std::size_t ready_ = 0;
};

}  // namespace chatbench
