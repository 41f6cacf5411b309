#include "pledges/pledge_state.hpp"

#include <gtest/gtest.h>

#include <map>

namespace supportd::pledges {
namespace {

using enum pledge_state;
using enum pledge_event;

constexpr pledge_state all_states[] = {pending,  active,   past_due,  paid,  canceled,
                                       refunded, disputed, abandoned, failed};
constexpr pledge_event all_events[] = {
    checkout_completed, async_payment_succeeded, async_payment_failed, checkout_expired,
    renewal_paid,       renewal_failed,          subscription_ended,   cancel_requested,
    refund_issued,      dispute_opened};

// The whole table, state x input, for each kind of pledge: what the README promises.
TEST(PledgeState, EveryStateTimesEveryInput) {
  const std::map<std::pair<pledge_state, pledge_event>, pledge_state> monthly = {
      {{pending, checkout_completed}, active},    {{pending, async_payment_succeeded}, active},
      {{pending, async_payment_failed}, failed},  {{pending, checkout_expired}, abandoned},
      {{pending, renewal_paid}, active},          {{pending, cancel_requested}, canceled},
      {{pending, subscription_ended}, canceled},  {{active, renewal_failed}, past_due},
      {{active, subscription_ended}, canceled},   {{active, cancel_requested}, canceled},
      {{active, dispute_opened}, disputed},       {{past_due, renewal_paid}, active},
      {{past_due, subscription_ended}, canceled}, {{past_due, cancel_requested}, canceled},
      {{past_due, dispute_opened}, disputed},     {{canceled, dispute_opened}, disputed},
      {{refunded, dispute_opened}, disputed},
  };
  const std::map<std::pair<pledge_state, pledge_event>, pledge_state> once = {
      {{pending, checkout_completed}, paid},     {{pending, async_payment_succeeded}, paid},
      {{pending, async_payment_failed}, failed}, {{pending, checkout_expired}, abandoned},
      {{pending, cancel_requested}, canceled},   {{paid, refund_issued}, refunded},
      {{paid, dispute_opened}, disputed},        {{canceled, dispute_opened}, disputed},
      {{refunded, dispute_opened}, disputed},
  };
  for (auto s : all_states) {
    for (auto e : all_events) {
      for (auto [every, expected] :
           {std::pair{interval::month, &monthly}, std::pair{interval::once, &once}}) {
        auto it = expected->find({s, e});
        auto got = next_state(s, e, every);
        if (it == expected->end()) {
          EXPECT_FALSE(got) << to_string(s) << " + " << to_string(e) << " (" << to_string(every)
                            << ")";
        } else {
          EXPECT_EQ(got, it->second) << to_string(s) << " + " << to_string(e);
        }
      }
      EXPECT_EQ(next_state(s, e, interval::year), next_state(s, e, interval::month));
    }
  }
}

TEST(PledgeState, RepeatsAndLateArrivalsChangeNothing) {
  // The completion after an early renewal, and a second completion, are no-ops.
  EXPECT_FALSE(next_state(active, checkout_completed, interval::month));
  EXPECT_FALSE(next_state(paid, checkout_completed, interval::once));
  EXPECT_FALSE(next_state(canceled, renewal_paid, interval::month));
  EXPECT_FALSE(next_state(canceled, cancel_requested, interval::month));
}

TEST(PledgeState, NamesRoundTrip) {
  for (auto s : all_states) {
    EXPECT_EQ(parse_state(to_string(s)), s);
  }
  for (auto e : all_events) {
    EXPECT_EQ(parse_event(to_string(e)), e);
  }
  EXPECT_FALSE(parse_state("gone"));
}

TEST(PledgeState, OnlyLiveSubscriptionsAreRecurringRevenue) {
  for (auto s : all_states) {
    const bool live = s == active || s == past_due;
    EXPECT_EQ(monthly_recurring_minor(s, interval::month, 500).has_value(), live) << to_string(s);
    EXPECT_FALSE(monthly_recurring_minor(s, interval::once, 500)) << to_string(s);
  }
  EXPECT_EQ(monthly_recurring_minor(active, interval::month, 500), 500);
  // A yearly pledge adds a twelfth of its amount, rounded down.
  EXPECT_EQ(monthly_recurring_minor(past_due, interval::year, 1000), 83);
  EXPECT_EQ(monthly_recurring_minor(active, interval::year, 1200), 100);
  EXPECT_EQ(monthly_recurring_minor(active, interval::year, 11), 0);
}

TEST(PledgeState, RecurringTotalsAddUpPerCurrency) {
  recurring_totals t;
  t.add("USD", active, interval::month, 500);
  t.add("USD", past_due, interval::year, 1000);
  t.add("EUR", active, interval::year, 1199);
  t.add("EUR", canceled, interval::month, 500);
  t.add("GBP", paid, interval::once, 500);
  EXPECT_EQ(t.active, (std::map<std::string, std::int64_t, std::less<>>{{"EUR", 1}, {"USD", 2}}));
  EXPECT_EQ(t.mrr_minor,
            (std::map<std::string, std::int64_t, std::less<>>{{"EUR", 99}, {"USD", 583}}));

  // Currencies at zero are as good as absent; any other difference counts.
  auto u = t;
  u.active["JPY"] = 0;
  u.mrr_minor["JPY"] = 0;
  EXPECT_TRUE(t.same_as(u));
  EXPECT_TRUE(u.same_as(t));
  u.mrr_minor["USD"] += 1;
  EXPECT_FALSE(t.same_as(u));
  EXPECT_FALSE(u.same_as(t));
}

}  // namespace
}  // namespace supportd::pledges
