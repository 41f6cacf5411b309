// The decisions of a reconciliation with Stripe, without I/O: where a run starts, how it walks
// the provider's event list (newest first, a page at a time), which events it feeds and in what
// order, and how far its checkpoint may then move. stripe_reconciler carries them out.
//
// Why the checkpoint moves only as it does: the list is newest first, so a walk reaches the
// oldest event of its window last, and the events are fed oldest first (the order they
// happened in) only once the walk is over. A checkpoint therefore moves only past events that
// were fed or found applied; a walk that fails moves it not at all. It is kept `overlap` behind
// the moment the walk began: an event created that second, or listed late, is listed again by
// the next run, and the pipeline's dedupe marks make a second feeding of it a no-op.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "providers/event_source.hpp"

namespace supportd::reconcile {

struct plan_limits {
  // Stripe guarantees events are listable for 30 days
  // (https://docs.stripe.com/api/events): a checkpoint older than that has lost events for good.
  std::int64_t retention_s = 30LL * 86'400;
  // Where a first run (no checkpoint yet) starts: the dedupe marks' lifetime before the
  // reconciliation existed, so every event applied in it still has its mark and is not fed
  // again (a payment counted before the `counted:` bookkeeping existed would count twice).
  std::int64_t first_run_lookback_s = 7LL * 86'400;
  // How far behind the start of a complete walk the checkpoint stays.
  std::int64_t overlap_s = 300;
  // Unapplied events a pass holds in memory at most (bodies of a few kB each): beyond it the
  // pass feeds the oldest ones, moves the checkpoint to them, and the next pass goes on.
  std::size_t max_kept = 2000;
};

struct run_window {
  std::int64_t since = 0;           // list events created at or after this (Unix seconds)
  bool first_run = false;           // there was no checkpoint
  bool checkpoint_expired = false;  // it was older than the provider keeps events
};

run_window window_for(std::optional<std::int64_t> checkpoint, std::int64_t now_s,
                      const plan_limits& limits);

// What the reconciler found out about a listed event.
enum class disposition {
  feed,     // no dedupe mark: not applied, or its effect was lost
  applied,  // its dedupe mark is there
  ignored,  // not for this deployment (the other mode) or not an event supportd reads
};

// One walk of the list from `since` to now, and what it feeds.
class pass_plan {
 public:
  pass_plan(std::int64_t since, std::int64_t walk_started_s, const plan_limits& limits);

  // One page, newest first, and what each of its events is. Returns the cursor of the next
  // page (the page's last event), or nullopt when the walk is over.
  std::optional<std::string> add_page(std::vector<providers::listed_event> events,
                                      const std::vector<disposition>& each, bool has_more);

  bool done() const { return done_; }
  // More unapplied events than max_kept were listed: the newest of them wait for the next pass.
  bool truncated() const { return truncated_; }

  // The events to feed, oldest first; call once, after the walk is done.
  std::vector<providers::listed_event> take_feed();

  // Where the checkpoint may move once the first `fed` events of take_feed()'s order were
  // appended to the event stream. Never before `since`.
  std::int64_t checkpoint_after(std::size_t fed) const;

  std::int64_t pages() const { return pages_; }
  std::int64_t listed() const { return listed_; }
  std::int64_t already_applied() const { return applied_; }
  std::int64_t ignored() const { return ignored_; }

 private:
  std::int64_t since_;
  std::int64_t walk_started_s_;
  plan_limits limits_;
  // Newest at the front: pages arrive newest first, each newer than the next.
  std::deque<providers::listed_event> kept_;
  std::vector<std::int64_t> fed_created_;  // take_feed()'s order
  bool done_ = false;
  bool truncated_ = false;
  std::int64_t pages_ = 0;
  std::int64_t listed_ = 0;
  std::int64_t applied_ = 0;
  std::int64_t ignored_ = 0;
};

}  // namespace supportd::reconcile
