// Delivers the outbound messages (outbox.hpp): claims a batch under a lease, has each one's
// producer make it into a delivery just before sending (message_renderer: the address is read
// then, so an erasure since queuing leaves nothing to send), sends them concurrently through the
// event_sender reminders use too, and records every outcome in one script: gone when delivered,
// tried again on the Standard Webhooks schedule (retry_schedule.hpp), or dead-lettered (after
// the last attempt, or at once on 410), where an admin may replay it.
//
// One per worker thread, on that thread's io_context; any number of them, in any number of
// processes, share the queue (the leases keep each message with one of them).
#pragma once

#include <atomic>
#include <boost/system/result.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "core/batch_join.hpp"
#include "core/net.hpp"
#include "notify/event_sender.hpp"
#include "notify/outbox_metrics.hpp"
#include "notify/outbox_store.hpp"

namespace supportd::notify {

// What a producer makes of its queued message at send time.
class message_renderer {
 public:
  virtual ~message_renderer() = default;
  // The delivery; nullopt when there is nothing to send any more (the reader was erased, what
  // the message is about is gone): the message is then finished unsent. An error (Redis is
  // down) leaves it to be tried again.
  virtual awaitable<boost::system::result<std::optional<delivery>>> render(const claimed_message& m,
                                                                           std::int64_t now_ms) = 0;
};

struct outbox_options {
  // Messages claimed, and sent concurrently, at once.
  std::size_t batch = 64;
  // Longer than a delivery can take (the sender's timeout): a lease that runs out means its
  // sender died, and another takes the message over.
  std::chrono::milliseconds lease{60'000};
  // How often an idle sender looks for due messages.
  std::chrono::milliseconds idle_poll{1'000};
  // The clock, injectable for tests: unix milliseconds.
  std::function<std::int64_t()> now_ms;
  // Where attempts and queue sizes are counted; none in tests that do not look.
  outbox_metrics* metrics = nullptr;
};

class outbox_sender {
 public:
  outbox_sender(outbox_store& store, message_renderer& renderer, event_sender& sender,
                outbox_options options);

  // Rounds until `stop` is set (checked between rounds).
  awaitable<void> run(const std::atomic<bool>& stop);

  // One claim, delivery and settlement; how many were finished (delivered, or with nothing
  // left to send); nullopt: Redis failed.
  awaitable<std::optional<std::size_t>> round();

 private:
  awaitable<void> deliver_one(const claimed_message& m, message_outcome& out,
                              std::shared_ptr<batch_join> join);
  message_outcome outcome_of(const claimed_message& m, const delivery_outcome& sent,
                             std::int64_t now_ms) const;
  void count(std::string_view outcome) const;
  // At most once a second: the queue's sizes into the gauges.
  awaitable<void> refresh_gauges(std::int64_t now_ms);

  outbox_store& store_;
  message_renderer& renderer_;
  event_sender& sender_;
  outbox_options options_;
  std::int64_t gauges_refreshed_ms_ = 0;
};

}  // namespace supportd::notify
