// Writers with output queued this turn, written in one pass: a fan-out to m members posts one
// handler instead of m (Redis writes its clients with pending output once per loop iteration,
// handleClientsWithPendingWrites, for the same reason).
#pragma once

#include <memory>
#include <vector>

#include <asio/any_io_executor.hpp>

namespace chatd {

class tcp_connection;

class write_pass {
 public:
  // Queues `writer` for the next pass, posting one on `executor` if none is due. A writer is
  // added at most once per pass (the connection's writer state says whether it is due).
  void add(std::shared_ptr<tcp_connection> writer, const asio::any_io_executor& executor);

  // Writes the writers due so far now, not at the end of the turn. Only from a point where no
  // caller is iterating members: a room's broadcaster after a big batch, so the lines it just
  // made are copied to the sockets while they are still in the CPU's cache (a turn that serves
  // a thousand rooms first makes megabytes of lines, then finds them all gone cold).
  void run_now() { run(); }

 private:
  void run();

  std::vector<std::shared_ptr<tcp_connection>> due_;
  std::vector<std::shared_ptr<tcp_connection>> running_;  // kept for its capacity
  bool posted_ = false;
};

}  // namespace chatd
