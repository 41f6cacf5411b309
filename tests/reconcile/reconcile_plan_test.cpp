// The reconciliation's decisions without I/O: its window, its walk of a newest-first list, what
// it feeds in which order, and how far its checkpoint moves.
#include "reconcile/reconcile_plan.hpp"

#include <gtest/gtest.h>

namespace supportd::reconcile {
namespace {

constexpr std::int64_t day = 86'400;
constexpr std::int64_t now = 1'750'000'000;

providers::listed_event at(std::int64_t created, std::string id) {
  return {std::move(id), "invoice.paid", created, "{}"};
}

std::vector<std::string> ids(const std::vector<providers::listed_event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) {
    out.push_back(e.id);
  }
  return out;
}

TEST(ReconcileWindow, StartsAtTheCheckpointOrTheOldestStripeKeeps) {
  const plan_limits limits;
  auto w = window_for(now - 3600, now, limits);
  EXPECT_EQ(w.since, now - 3600);
  EXPECT_FALSE(w.checkpoint_expired);
  EXPECT_FALSE(w.first_run);

  // Thirty days to the second is still listable; a second more is not.
  EXPECT_FALSE(window_for(now - 30 * day, now, limits).checkpoint_expired);
  auto expired = window_for(now - 30 * day - 1, now, limits);
  EXPECT_TRUE(expired.checkpoint_expired);
  EXPECT_EQ(expired.since, now - 30 * day);

  // No checkpoint: the week the dedupe marks covered before there was any.
  auto first = window_for(std::nullopt, now, limits);
  EXPECT_TRUE(first.first_run);
  EXPECT_FALSE(first.checkpoint_expired);
  EXPECT_EQ(first.since, now - 7 * day);
  // A lookback longer than Stripe keeps events is cut to what it keeps.
  EXPECT_EQ(window_for(std::nullopt, now, {.first_run_lookback_s = 60 * day}).since,
            now - 30 * day);
}

TEST(ReconcilePass, FeedsWhatLacksItsMarkOldestFirstAndAdvancesBehindTheWalk) {
  pass_plan plan(now - 3600, now, {});
  using enum disposition;
  auto next = plan.add_page({at(now - 10, "e5"), at(now - 20, "e4"), at(now - 30, "e3")},
                            {feed, applied, feed}, true);
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, "e3");  // the page's last (oldest) event is the next cursor
  EXPECT_FALSE(plan.done());
  next = plan.add_page({at(now - 40, "e2"), at(now - 50, "e1")}, {ignored, feed}, false);
  EXPECT_FALSE(next);
  EXPECT_TRUE(plan.done());
  EXPECT_FALSE(plan.truncated());
  EXPECT_EQ(plan.pages(), 2);
  EXPECT_EQ(plan.listed(), 5);
  EXPECT_EQ(plan.already_applied(), 1);
  EXPECT_EQ(plan.ignored(), 1);
  auto feed_order = plan.take_feed();
  EXPECT_EQ(ids(feed_order), (std::vector<std::string>{"e1", "e3", "e5"}));
  // All fed: the checkpoint moves to the walk's start less the overlap (events of that second,
  // or listed late, are listed again and deduplicated).
  EXPECT_EQ(plan.checkpoint_after(3), now - 300);
  // Only some fed: up to the newest fed, its second included; none: not at all.
  EXPECT_EQ(plan.checkpoint_after(2), now - 30);
  EXPECT_EQ(plan.checkpoint_after(0), now - 3600);
}

TEST(ReconcilePass, NeverMovesTheCheckpointBackNorBeforeTheWalkEnds) {
  // A checkpoint within the overlap of now stays where it is.
  pass_plan recent(now - 60, now, {});
  EXPECT_EQ(recent.checkpoint_after(0), now - 60);  // not done
  recent.add_page({}, {}, false);
  EXPECT_TRUE(recent.done());
  recent.take_feed();
  EXPECT_EQ(recent.checkpoint_after(0), now - 60);

  // A walk cut short (a failed page) moves nothing, whatever it saw.
  pass_plan cut(now - 3600, now, {});
  cut.add_page({at(now - 10, "e2")}, {disposition::applied}, true);
  EXPECT_EQ(cut.checkpoint_after(0), now - 3600);
}

TEST(ReconcilePass, EventsFromBeforeTheWindowAreNotFed) {
  pass_plan plan(now - 100, now, {});
  plan.add_page({at(now - 50, "in"), at(now - 150, "before")},
                {disposition::feed, disposition::feed}, false);
  EXPECT_EQ(ids(plan.take_feed()), (std::vector<std::string>{"in"}));
  EXPECT_EQ(plan.ignored(), 1);
}

TEST(ReconcilePass, AnEmptyPageThatClaimsMoreEndsTheWalk) {
  pass_plan plan(now - 100, now, {});
  EXPECT_FALSE(plan.add_page({}, {}, true));
  EXPECT_TRUE(plan.done());
}

// Beyond max_kept unapplied events the pass keeps the oldest (they must be fed first), and its
// checkpoint stops at the newest of them: the next pass lists the rest.
TEST(ReconcilePass, BeyondItsMemoryAPassFeedsTheOldestAndTheNextGoesOn) {
  const plan_limits limits{.max_kept = 3};
  pass_plan plan(now - 3600, now, limits);
  using enum disposition;
  plan.add_page({at(now - 10, "e6"), at(now - 20, "e5"), at(now - 20, "e4")}, {feed, feed, feed},
                true);
  plan.add_page({at(now - 30, "e3"), at(now - 40, "e2"), at(now - 50, "e1")}, {feed, applied, feed},
                false);
  EXPECT_TRUE(plan.truncated());
  auto feed_order = plan.take_feed();
  EXPECT_EQ(ids(feed_order), (std::vector<std::string>{"e1", "e3", "e4"}));
  // e4's second is e5's too: the next pass starts there, lists e5 and e6 (and e4 again, whose
  // mark is there by then or whose second feeding is a duplicate).
  EXPECT_EQ(plan.checkpoint_after(3), now - 20);
  EXPECT_EQ(plan.checkpoint_after(1), now - 50);

  pass_plan next(now - 20, now + 600, limits);
  next.add_page({at(now - 10, "e6"), at(now - 20, "e5"), at(now - 20, "e4")}, {feed, feed, applied},
                false);
  EXPECT_FALSE(next.truncated());
  EXPECT_EQ(ids(next.take_feed()), (std::vector<std::string>{"e5", "e6"}));
  EXPECT_EQ(next.checkpoint_after(2), now + 600 - 300);
}

}  // namespace
}  // namespace supportd::reconcile
