#include "server/transport/coalesced_writes.hpp"

#include <string>
#include <utility>

#include <asio/error.hpp>

#include "server/loop/guard.hpp"
#include "server/transport/tcp_connection.hpp"

namespace chatd {

void coalesced_writes::add(std::shared_ptr<tcp_connection> writer,
                           const asio::any_io_executor& executor) {
  waiting_.push_back(std::move(writer));
  if (armed_) return;
  armed_ = true;
  if (!timer_) timer_ = std::make_unique<asio::steady_timer>(executor);
  timer_->expires_after(delay_);
  timer_->async_wait([this](const asio::error_code& ec) {
    if (ec == asio::error::operation_aborted) return;  // the timer is going away with us
    guarded([&] { flush(); }, [] { return std::string("coalesced writes"); },
            [&] { armed_ = false; });
  });
}

void coalesced_writes::flush() {
  armed_ = false;
  flushing_.swap(waiting_);
  // A writer made urgent meanwhile is already scheduled or written; flush_coalesced skips it.
  for (auto& writer : flushing_) writer->flush_coalesced();
  flushing_.clear();
}

}  // namespace chatd
