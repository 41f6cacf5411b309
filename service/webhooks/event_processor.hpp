// Applies received provider events to pledges: a consumer of the event stream, one per worker
// thread. Exactly one effect per event over at-least-once delivery: each event's change and its
// dedupe mark are one Redis script (pledges::pledge_store::apply_provider_update).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/steady_timer.hpp>
#include <vector>

#include "core/batch_join.hpp"
#include "core/net.hpp"
#include "pledges/pledge_store.hpp"
#include "webhooks/event_stream.hpp"

namespace supportd::pledges {
struct pledge_metrics;
struct provider_update_result;
}  // namespace supportd::pledges

namespace supportd::security {
class data_keys;
}

namespace supportd::webhooks {

struct webhook_metrics;

struct processor_options {
  // A pending event nobody acknowledged for this long is taken over (its consumer died, or
  // processing failed and it waits for another attempt).
  std::chrono::milliseconds retry_after{30'000};
  // Attempts at an event that fails, or that names no pledge we know yet, before it is
  // dead-lettered (or, naming none, kept as an orphan).
  int max_attempts = 5;
  // How long an event's dedupe mark is kept: longer than Stripe's three days of retries, and
  // than the 30 days its event list goes back, so that the reconciliation (reconcile/) finds
  // the mark of every event that was applied. About 100 bytes of Redis each.
  std::chrono::milliseconds remember_for = std::chrono::hours(24 * 32);
  // Entries read, applied (pipelined) and acknowledged together. Each batch waits its turn in a
  // worker busy with requests several times over, so under a steady flow of webhooks a batch of
  // 64 fell behind ingest (the backlog grew by thousands a second); 256 keeps it flat.
  std::size_t batch = 256;
  // How long before a yearly pledge renews its reader is told (--renewal-notice-days).
  std::chrono::days renewal_notice{14};
  // Seal the address a reader paid with over the pledge's copy; null: addresses are not kept.
  std::shared_ptr<const security::data_keys> data_keys{};
  // Called with each entry before it is applied: a seam for tests, which make it throw as a bug
  // would.
  std::function<void(const stream_entry&)> before_apply{};
};

// A pledge's first payment cancels the reader's pending reminders for its campaign (a pledge
// that is only posted cancels nothing: anyone can post one with anyone's address). app/ wires
// it to the reminders (webhooks know nothing of them); empty: reminders are off. Called with the
// reader's keyed hash (security/reader_hash.hpp) and the campaign; false: try again later.
using reader_gave =
    std::function<awaitable<bool>(std::string_view reader_hash, std::string_view campaign)>;

class event_processor {
 public:
  event_processor(redis::connection& redis, std::string_view prefix, webhook_metrics& metrics,
                  pledges::pledge_metrics& pledge_stats, std::string consumer,
                  processor_options options, reader_gave on_reader_gave = {});

  // Runs until `stop` is set (checked between batches).
  awaitable<void> run(const std::atomic<bool>& stop);

 private:
  // What the loop keeps from one batch to the next.
  struct loop_state {
    std::chrono::steady_clock::time_point last_claim;
    std::chrono::steady_clock::time_point last_backlog;
    bool group_ready = false;
  };
  // One read, processing and acknowledgement of a batch (or the pause when there is nothing).
  awaitable<void> run_batch(loop_state& state);

  enum class outcome {
    done,       // applied, duplicate, orphaned, unknown or dead-lettered: acknowledged
    failed,     // counted as a failed attempt, dead-lettered after the last
    try_later,  // already counted; stays pending until retried
  };
  awaitable<outcome> process(const stream_entry& e);
  // Once the pledge has left `pending`: paid, its reader's reminders for the campaign are
  // cancelled; either way the reader's hash is dropped from it. Exactly once in effect: the hash
  // is dropped only after the cancelling succeeded, and until then every copy of the event (the
  // retry of a failed one included) tries again; cancelling twice changes nothing more.
  awaitable<bool> settle_reminders(const pledges::provider_update_result& applied);
  // Processes one entry of a batch; the last one to finish wakes the batch.
  awaitable<void> process_in_batch(const stream_entry& e, std::vector<std::string>& done,
                                   std::shared_ptr<batch_join> join);

  event_stream stream_;
  webhook_metrics& metrics_;
  pledges::pledge_metrics& pledge_stats_;
  std::string consumer_;
  processor_options options_;
  reader_gave on_reader_gave_;
  pledges::pledge_store pledges_;
};

}  // namespace supportd::webhooks
