#include "server/transport/write_pass.hpp"

#include <utility>

#include <asio/post.hpp>

#include "server/transport/tcp_connection.hpp"

namespace chatd {

void write_pass::add(std::shared_ptr<tcp_connection> writer,
                     const asio::any_io_executor& executor) {
  due_.push_back(std::move(writer));
  if (posted_) return;
  posted_ = true;
  asio::post(executor, [this] { run(); });
}

void write_pass::run() {
  posted_ = false;  // a pass still posted finds nothing due, or what came after this one
  // Writers queued while this pass runs (a write that ends a connection may make others
  // deliver) go to the next pass, a later turn.
  running_.swap(due_);
  for (auto& writer : running_) writer->write_due();
  running_.clear();
}

}  // namespace chatd
