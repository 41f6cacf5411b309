#include "reconcile/reconcile_plan.hpp"

#include <algorithm>

namespace supportd::reconcile {

run_window window_for(std::optional<std::int64_t> checkpoint, std::int64_t now_s,
                      const plan_limits& limits) {
  const auto oldest_available = now_s - limits.retention_s;
  if (!checkpoint) {
    return {std::max(oldest_available, now_s - limits.first_run_lookback_s), true, false};
  }
  if (*checkpoint < oldest_available) {
    return {oldest_available, false, true};
  }
  return {*checkpoint, false, false};
}

pass_plan::pass_plan(std::int64_t since, std::int64_t walk_started_s, const plan_limits& limits)
    : since_(since), walk_started_s_(walk_started_s), limits_(limits) {}

std::optional<std::string> pass_plan::add_page(std::vector<providers::listed_event> events,
                                               const std::vector<disposition>& each,
                                               bool has_more) {
  if (done_) {
    return std::nullopt;
  }
  ++pages_;
  std::string cursor = events.empty() ? std::string() : events.back().id;
  for (std::size_t i = 0; i < events.size(); ++i) {
    ++listed_;
    const auto what = i < each.size() ? each[i] : disposition::ignored;
    // An event from before the window (a list that ignored created[gte]) is not this run's.
    if (what == disposition::ignored || events[i].created < since_) {
      ++ignored_;
    } else if (what == disposition::applied) {
      ++applied_;
    } else {
      kept_.push_back(std::move(events[i]));
      if (kept_.size() > limits_.max_kept) {
        kept_.pop_front();  // the newest: listed again by the next pass
        truncated_ = true;
      }
    }
  }
  // An empty page that says there is more cannot be paged past.
  if (!has_more || cursor.empty()) {
    done_ = true;
    return std::nullopt;
  }
  return cursor;
}

std::vector<providers::listed_event> pass_plan::take_feed() {
  std::vector<providers::listed_event> feed(std::make_move_iterator(kept_.rbegin()),
                                            std::make_move_iterator(kept_.rend()));
  kept_.clear();
  fed_created_.clear();
  for (const auto& e : feed) {
    fed_created_.push_back(e.created);
  }
  return feed;
}

std::int64_t pass_plan::checkpoint_after(std::size_t fed) const {
  if (!done_) {
    return since_;
  }
  fed = std::min(fed, fed_created_.size());
  if (!truncated_ && fed == fed_created_.size()) {
    // Everything listed is fed or applied: up to the walk's start, less the overlap.
    return std::max(since_, walk_started_s_ - limits_.overlap_s);
  }
  // Up to the newest event fed, its own second included: events of that second that were not
  // fed are listed again (created[gte]), and the ones that were are deduplicated.
  return fed == 0 ? since_ : std::max(since_, fed_created_[fed - 1]);
}

}  // namespace supportd::reconcile
