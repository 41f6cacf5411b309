// Delivers due reminders: claims a batch under a lease, re-checks each just before sending
// (an unsubscribe that came after the claim wins), takes each one's send claim (a reader gets at
// most one reminder per campaign within `send_window`: a second one due meanwhile, from a
// repeated sign-up, is finished as a duplicate unsent), sends them concurrently, and records each
// outcome with a compare-and-set (delivered, moved on to its next occurrence, retried on the
// Standard Webhooks schedule, or dead-lettered). One per worker thread; any number of them, in
// any number of processes, share the due set.
#pragma once

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/result.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/batch_join.hpp"
#include "core/net.hpp"
#include "notify/event_sender.hpp"
#include "reminders/reminder_message.hpp"
#include "reminders/reminder_store.hpp"

namespace supportd::reminders {

class reminder_book;
struct reminder_metrics;

struct scheduler_options {
  // Reminders claimed at once, all sent concurrently: bounds memory and connections per worker.
  std::size_t batch = 128;
  // Batches in flight at once per scheduler: while some wait for Redis (the claim, the
  // outcomes' write), the others send. Four drained a backlog fastest of 2, 4 and 8 (tests/bench).
  std::size_t lanes = 4;
  // Longer than a delivery can take (the sender's timeout): a lease that runs out means its
  // scheduler died, and another one takes the reminder over.
  std::chrono::milliseconds lease{60'000};
  // How often an idle scheduler looks for due reminders: reminders go out this soon after
  // their due time.
  std::chrono::milliseconds idle_poll{250};
  // At most one reminder per reader and campaign goes out within this long (the send claim's
  // life). Shorter than a month, so that a monthly reminder's next occurrence is never held back
  // by its own previous one; long enough to cover the "remind me in <month>" sign-ups a reader
  // (or anyone with their address) repeats within a month.
  std::chrono::milliseconds send_window{std::chrono::hours(24 * 25)};
  std::string public_url;  // base of unsubscribe links
  std::string give_url;    // where "give now" points
  // The clock, injectable for tests: unix milliseconds.
  std::function<std::int64_t()> now_ms;
  // Whether this scheduler refreshes the Redis-wide gauges (pending, backlog, …): one per process
  // is enough.
  bool reports_gauges = true;
};

class reminder_scheduler {
 public:
  reminder_scheduler(reminder_store& store, const reminder_book& book, notify::event_sender& sender,
                     reminder_metrics* metrics, scheduler_options options);

  // Runs rounds in `lanes` until `stop` is set (checked between rounds).
  awaitable<void> run(const std::atomic<bool>& stop);

  // The two halves of a round, apart so tests can act between them.
  awaitable<boost::system::result<std::vector<stored_reminder>>> claim();
  // Sends what is still as claimed and records the outcomes; returns how many were delivered.
  awaitable<std::size_t> deliver(std::vector<stored_reminder> batch);

 private:
  // What one delivery attempt leads to: the write that records it.
  struct attempt {
    reminder_change change;
    bool delivered = false;
  };

  awaitable<void> run_lane(const std::atomic<bool>& stop, bool reports);
  // One claim and delivery of a lane (or the pause when there is nothing to do).
  awaitable<void> run_round(bool reports, bool& settings_checked);
  awaitable<attempt> deliver_one(const stored_reminder& r);
  // deliver_one for one of a batch; the last to finish wakes the batch.
  awaitable<void> deliver_in_batch(const stored_reminder& r, std::vector<reminder_change>& changes,
                                   std::size_t& delivered, std::shared_ptr<batch_join> join);
  // The change recording `outcome` for `r`: delivered (or moved to its next occurrence), to be
  // retried on the schedule, or dead.
  reminder_change outcome_of(const stored_reminder& r, const notify::delivery_outcome& outcome,
                             std::int64_t now_ms);
  // The change finishing `r` unsent because another reminder of its reader and campaign went
  // out within the window: a one-off ends as a duplicate, a recurring one moves to its next
  // occurrence.
  reminder_change duplicate_of(const stored_reminder& r, std::int64_t now_ms) const;
  awaitable<void> refresh_gauges(std::int64_t now_ms);

  reminder_store& store_;
  const reminder_book& book_;
  notify::event_sender& sender_;
  reminder_metrics* metrics_;
  scheduler_options options_;
  give_link give_link_;
  std::int64_t gauges_refreshed_ms_ = 0;
};

}  // namespace supportd::reminders
