// Waiting for a batch of coroutines spawned side by side (co_spawn … detached): each member
// counts itself finished however it ends, a thrown exception included, and the last one wakes
// the batch.
//
// The count and the timer are owned jointly by the batch and its members (shared_ptr): when an
// io_context is destroyed with a batch suspended, it destroys their frames in no particular order,
// and a member must not reach into a batch frame that is already gone (AddressSanitizer caught
// exactly that when the members held references).
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstddef>
#include <memory>

#include "core/net.hpp"
#include "core/use_tuple.hpp"

namespace supportd {

class batch_join {
 public:
  // A member: held by a spawned coroutine for its whole life, as its first local.
  class member {
   public:
    explicit member(std::shared_ptr<batch_join> join) : join_(std::move(join)) {}
    ~member() {
      if (join_ && --join_->remaining_ == 0) {
        join_->finished_.cancel();
      }
    }
    member(member&&) = default;
    member(const member&) = delete;
    member& operator=(const member&) = delete;
    member& operator=(member&&) = delete;

   private:
    std::shared_ptr<batch_join> join_;
  };

  batch_join(const net::any_io_executor& executor, std::size_t members)
      : remaining_(members), finished_(executor, net::steady_timer::time_point::max()) {}

  // Until every member has ended; at once when all ended without suspending (co_spawn may run
  // them inline).
  awaitable<void> wait() {
    if (remaining_ > 0) {
      co_await finished_.async_wait(use_tuple);
    }
  }

 private:
  std::size_t remaining_;
  net::steady_timer finished_;
};

}  // namespace supportd
