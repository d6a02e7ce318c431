// Hands what libnats's threads receive to the event loop, which owns all chat state. Items
// pushed while a drain is already posted ride along with it: a burst of stream messages costs
// one post and one lock per drain, not one per message.
#pragma once

#include <functional>
#include <mutex>
#include <utility>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/post.hpp>

namespace chatd {

template <class T>
class loop_inbox {
 public:
  using handler = std::function<void(std::vector<T>&)>;

  loop_inbox(asio::any_io_executor loop, handler on_items)
      : loop_(std::move(loop)), on_items_(std::move(on_items)) {}

  // Any thread. The inbox must outlive the loop's last run (the cluster node owns it and is
  // destroyed after the loop returns).
  void push(T item) {
    bool post = false;
    {
      std::lock_guard lock(mutex_);
      items_.push_back(std::move(item));
      post = !posted_;
      posted_ = true;
    }
    if (post) asio::post(loop_, [this] { drain(); });
  }

 private:
  void drain() {
    {
      std::lock_guard lock(mutex_);
      taken_.swap(items_);
      posted_ = false;
    }
    on_items_(taken_);
    taken_.clear();
  }

  asio::any_io_executor loop_;
  handler on_items_;
  std::mutex mutex_;
  std::vector<T> items_;  // guarded by mutex_
  bool posted_ = false;   // guarded by mutex_
  std::vector<T> taken_;  // loop only
};

}  // namespace chatd
