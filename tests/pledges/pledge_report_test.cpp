// What each change of a pledge adds to the report: once per pledge, at the change that makes it.
#include "pledges/pledge_report.hpp"

#include <gtest/gtest.h>

namespace supportd::pledges {
namespace {

using reports::report_counter;
using enum pledge_state;

constexpr std::int64_t day_ms = 86'400'000;

pledge_facts monthly() {
  return {{"winter", "banner", "a", "USD", "month"}, 500, 1'000 * day_ms, "https://news.example/a"};
}

TEST(PledgeReport, ACreatedPledgeCountsOnce) {
  EXPECT_EQ(report_creation(), (report_counts{{report_counter::pledges_created, 1}}));
}

TEST(PledgeReport, TheFirstPaymentCountsThePledgeAndItsAmount) {
  const auto p = monthly();
  EXPECT_EQ(report_change(p, pending, active, p.created_at_ms),
            (report_counts{{report_counter::pledges_paid, 1},
                           {report_counter::first_payment_minor, 500},
                           {report_counter::recurring_started, 1}}));
  EXPECT_EQ(report_change(p, pending, paid, p.created_at_ms),
            (report_counts{{report_counter::pledges_paid, 1},
                           {report_counter::first_payment_minor, 500}}));
  EXPECT_TRUE(is_first_payment(pending, paid));
  EXPECT_TRUE(is_first_payment(pending, active));
  // Renewals, failed renewals and recoveries are not first payments.
  for (auto [before, after] : {std::pair{active, active}, std::pair{active, past_due},
                               std::pair{past_due, active}, std::pair{paid, refunded}}) {
    EXPECT_FALSE(is_first_payment(before, after));
    EXPECT_TRUE(report_change(p, before, after, p.created_at_ms).empty());
  }
}

TEST(PledgeReport, UnpaidEndsAreCountedByHowTheyEnded) {
  const auto p = monthly();
  EXPECT_EQ(report_change(p, pending, abandoned, p.created_at_ms),
            (report_counts{{report_counter::pledges_abandoned, 1}}));
  EXPECT_EQ(report_change(p, pending, failed, p.created_at_ms),
            (report_counts{{report_counter::pledges_failed, 1}}));
  // Cancelled before it was ever paid: not a recurring pledge that started.
  EXPECT_TRUE(report_change(p, pending, canceled, p.created_at_ms).empty());
}

TEST(PledgeReport, ARecurringPledgeCancelledWithinThirtyDaysOfItsCreation) {
  const auto p = monthly();
  for (auto before : {active, past_due}) {
    EXPECT_EQ(report_change(p, before, canceled, p.created_at_ms + 30 * day_ms),
              (report_counts{{report_counter::canceled_within_30d, 1}}));
    EXPECT_TRUE(report_change(p, before, canceled, p.created_at_ms + 30 * day_ms + 1).empty());
  }
}

TEST(PledgeReport, AGiveLinkConversionIsCountedWithTheReminders) {
  auto p = monthly();
  EXPECT_EQ(give_link_conversion_field(p), "");
  p.page_url = "https://news.example/give?source=reminder&campaign=winter&component=banner";
  EXPECT_EQ(give_link_conversion_field(p), "winter|banner|a|||reminders_converted");
  p.page_url = "https://news.example/give?source=newsletter";
  EXPECT_EQ(give_link_conversion_field(p), "");
}

}  // namespace
}  // namespace supportd::pledges
