// The reconciliation's state in Redis: who runs it, how far it got, what the last run did.
//
//   <prefix>stripe:reconcile        hash: checkpoint (Unix s: every event created before it was
//                                   fed or found applied), last_started_ms (the running or last
//                                   run's start), and the last finished run's report (last_*)
//   <prefix>stripe:reconcile:lease  the running run's random token, expiring unless renewed: one
//                                   run at a time across every worker and replica
//
// Every write after the start checks the token, so a run that lost its lease (it stalled past
// it, and another run began) changes nothing more.
#pragma once

#include <boost/system/result.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/net.hpp"

namespace supportd::redis {
class connection;
}

namespace supportd::reconcile {

enum class run_outcome {
  ok,                    // the whole window was listed, and what it lacked fed
  provider_unavailable,  // Stripe did not answer (after the client's retries): try again later
  provider_rejected,     // Stripe refused the listing (a key without the permission, say)
  store_unavailable,     // Redis did not answer
  backlog_full,          // the event stream is full (--webhook-max-backlog): the rest next run
  lease_lost,            // the run stalled past its lease; another may have started
  stopped,               // the process is shutting down
  stuck,                 // more unapplied events in one second than a pass holds
};

std::string_view to_string(run_outcome o);
std::optional<run_outcome> parse_run_outcome(std::string_view text);

struct run_report {
  std::string trigger;  // "admin" or "schedule"
  run_outcome outcome = run_outcome::ok;
  std::int64_t started_at_ms = 0;
  std::int64_t finished_at_ms = 0;
  std::int64_t since = 0;  // the window's start, Unix seconds
  bool first_run = false;
  bool checkpoint_expired = false;
  std::int64_t passes = 0;
  std::int64_t pages = 0;
  std::int64_t listed = 0;
  std::int64_t fed = 0;
  std::int64_t already_applied = 0;
  std::int64_t ignored = 0;
  std::int64_t checkpoint = 0;  // after the run
};

struct start_attempt {
  enum class outcome {
    started,  // this caller holds the lease now
    busy,     // a run holds it
    not_due,  // the last run started less than the asked gap ago
  };
  outcome what = outcome::busy;
  std::optional<std::int64_t> checkpoint;
  std::int64_t last_started_ms = 0;  // busy: when the running one started
};

struct reconcile_status {
  bool running = false;
  std::int64_t last_started_ms = 0;
  std::optional<std::int64_t> checkpoint;
  std::optional<run_report> last;
};

class reconcile_store {
 public:
  reconcile_store(redis::connection& redis, std::string_view prefix);

  // Takes the lease for `lease` under `token` unless a run holds it, or, with `min_gap` above
  // zero, unless the last run started less than that long before `now_ms`.
  awaitable<boost::system::result<start_attempt>> try_start(std::string_view token,
                                                            std::int64_t now_ms,
                                                            std::chrono::milliseconds lease,
                                                            std::chrono::milliseconds min_gap);
  // Extends a held lease; false when it is no longer this token's.
  awaitable<boost::system::result<bool>> renew(std::string_view token,
                                               std::chrono::milliseconds lease);
  // Moves the checkpoint forward to `checkpoint` (never back); false when the lease is lost.
  awaitable<boost::system::result<bool>> advance_checkpoint(std::string_view token,
                                                            std::int64_t checkpoint);
  // Saves the report and releases the lease; false (nothing written) when it was lost.
  awaitable<boost::system::result<bool>> finish(std::string_view token, const run_report& report);

  awaitable<boost::system::result<reconcile_status>> status();

 private:
  redis::connection& redis_;
  std::string state_;
  std::string lease_;
};

}  // namespace supportd::reconcile
