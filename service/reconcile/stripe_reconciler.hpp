// Repairs pledges from Stripe when writes were lost anyway (a Sentinel failover, a restore from
// a backup): lists Stripe's events since the checkpoint, only the types supportd consumes, and
// appends every one whose dedupe mark is missing to the event stream, where the webhook
// processors apply it exactly as if its webhook had come (pledge_store::apply_provider_update;
// a payment is counted once even when its event is applied again). reconcile_plan decides the
// paging and the checkpoint; reconcile_store holds the lease that makes it one run at a time
// across every worker and replica.
//
// One per worker thread (its Redis connection and Stripe client); the first worker's also runs
// the schedule. Not thread-safe.
#pragma once

#include <atomic>
#include <boost/system/result.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>

#include "core/net.hpp"
#include "providers/event_source.hpp"
#include "reconcile/reconcile_plan.hpp"
#include "reconcile/reconcile_store.hpp"

namespace supportd::redis {
class connection;
}

namespace supportd::reconcile {

struct reconcile_metrics;

struct reconciler_options {
  plan_limits limits{};
  int page_size = 100;  // Stripe's largest
  // Held while a run goes on, renewed after every page and every append: longer than one
  // Stripe call with its retries (3 attempts of --stripe-timeout and their backoff). A run
  // whose process died frees it when it runs out.
  std::chrono::milliseconds lease{120'000};
  // Events appended per script (all or none), and the webhook backlog bound they respect.
  std::size_t append_chunk = 100;
  std::int64_t max_backlog = 0;
  // Events of the other mode are not this deployment's (as for webhooks).
  bool livemode = false;
  // Unix milliseconds; the system clock when empty. Tests move it.
  std::function<std::int64_t()> now_ms{};
  // Checked between pages: true once the process is shutting down.
  std::function<bool()> stopping{};
};

// A run that holds the lease, not begun yet.
struct started_run {
  std::string token;
  std::string trigger;
  std::int64_t started_at_ms = 0;
  std::optional<std::int64_t> checkpoint;  // as the run found it
  run_window window;
};

struct start_result {
  start_attempt attempt;
  started_run run;  // when attempt.what is started
};

class stripe_reconciler {
 public:
  stripe_reconciler(redis::connection& redis, std::string_view prefix,
                    providers::event_source& stripe, reconcile_metrics* metrics,
                    reconciler_options options);

  // Takes the lease for a run started by `trigger` ("admin", "schedule"), unless one is
  // running or, with `min_gap` above zero, the last one started less than that long ago.
  awaitable<boost::system::result<start_result>> try_start(std::string_view trigger,
                                                           std::chrono::milliseconds min_gap);
  // Carries a started run out to its end, saves its report and releases the lease.
  awaitable<run_report> run(started_run started);

  // Every minute or so (sooner for a shorter `interval`), until `stop`: refreshes the checkpoint
  // age gauge and, when `interval` is above zero and the last run (of any replica) started at
  // least `interval` ago, runs.
  awaitable<void> run_every(std::chrono::milliseconds interval, const std::atomic<bool>& stop);

  // Sets the checkpoint age gauge from Redis.
  awaitable<void> refresh_gauge();

 private:
  struct pass_result {
    run_outcome outcome = run_outcome::ok;
    bool truncated = false;
    std::int64_t checkpoint = 0;
    // The events it fed that were created in the checkpoint's second: the next pass lists them
    // again, maybe before the processors set their marks.
    std::set<std::string> fed_at_checkpoint;
  };
  // One walk of the list from `since`, its feeding, and the checkpoint's move. `fed_before`:
  // events the previous pass fed at `since`.
  awaitable<pass_result> pass(const started_run& started, std::int64_t since,
                              const std::set<std::string>& fed_before, run_report& report);
  // Which of a page's events to feed: the ones of this mode that supportd reads, that have no
  // dedupe mark and that this run did not feed already. Empty on a Redis failure.
  awaitable<std::optional<std::vector<disposition>>> classify(
      const providers::event_page& page, const std::set<std::string>& fed_before);
  // Appends `feed` in chunks, oldest first; how many went, and why it stopped if it did.
  awaitable<std::pair<std::size_t, run_outcome>> feed(
      const started_run& started, const std::vector<providers::listed_event>& feed);

  std::int64_t now_ms() const;

  redis::connection& redis_;
  std::string prefix_;
  providers::event_source& stripe_;
  reconcile_metrics* metrics_;
  reconciler_options options_;
  reconcile_store store_;
};

}  // namespace supportd::reconcile
