// The report's field names and days: what the scripts write is what the report reads back.
#include "reports/report_counter.hpp"

#include <gtest/gtest.h>

namespace supportd::reports {
namespace {

TEST(ReportCounter, EveryCounterHasTheNameTheReportShows) {
  for (auto c : all_counters) {
    EXPECT_EQ(parse_counter(to_string(c)), c);
  }
  EXPECT_EQ(to_string(report_counter::pledges_created), "pledges_created");
  EXPECT_EQ(to_string(report_counter::reminders_converted), "reminders_converted");
  EXPECT_EQ(parse_counter("pledges"), std::nullopt);
}

TEST(ReportCounter, AFieldNamesItsGroupAndCounterAndSplitsBack) {
  const report_group g{"winter-26", "banner", "b", "EUR", "month"};
  const auto field = counter_field(g, report_counter::first_payment_minor);
  EXPECT_EQ(field, "winter-26|banner|b|EUR|month|first_payment_minor");
  auto parsed = parse_counter_field(field);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->group, g);
  EXPECT_EQ(parsed->counter, report_counter::first_payment_minor);

  // A reminder's: no variant, currency or interval.
  const report_group r{"winter-26", "epic", "", "", ""};
  EXPECT_EQ(group_prefix(r) + "reminders_converted", "winter-26|epic||||reminders_converted");
  auto reminder = parse_counter_field(group_prefix(r) + "reminders_converted");
  ASSERT_TRUE(reminder);
  EXPECT_EQ(reminder->group, r);
}

TEST(ReportCounter, FieldsThatAreNotOursAreRefused) {
  EXPECT_FALSE(parse_counter_field(""));
  EXPECT_FALSE(parse_counter_field("a|b|c|d|e"));
  EXPECT_FALSE(parse_counter_field("a|b|c|d|e|f|pledges_paid"));
  EXPECT_FALSE(parse_counter_field("a|b|c|d|e|pledges"));
}

TEST(ReportCounter, DaysAreUtcDatesAndTheLastMillisecondBelongsToItsDay) {
  // 2027-01-05T00:00:00Z is 1_799_107_200 s.
  const std::int64_t midnight_ms = 1'799'107'200'000;
  EXPECT_EQ(day_text(day_of(midnight_ms)), "2027-01-05");
  EXPECT_EQ(day_text(day_of(midnight_ms - 1)), "2027-01-04");
  EXPECT_EQ(day_text(day_of(0)), "1970-01-01");
  EXPECT_EQ(day_text(day_of(-1)), "1969-12-31");
  EXPECT_EQ(parse_day("2027-01-05"), day_of(midnight_ms));
  EXPECT_EQ(parse_day("2028-02-29"), day_of(midnight_ms) + 420);
  for (auto bad : {"2027-02-29", "2027-1-05", "2027-01-5", "2027/01/05", "27-01-05", "",
                   "2027-13-01", "2027-01-05T00"}) {
    EXPECT_EQ(parse_day(bad), std::nullopt) << bad;
  }
}

TEST(ReportCounter, ADayIsKeptFourHundredDaysAfterItEnds) {
  const auto day = *parse_day("2027-01-05");
  EXPECT_EQ(day_key("sd:", day), "sd:report:2027-01-05");
  EXPECT_EQ(day_expires_at(day), (day + 401) * 86'400);
  // Counted from the moment of the change: 401 days less the part of the day gone.
  const auto tally = tally_for_day("sd:", day * 86'400'000 + 3'600'000);
  EXPECT_EQ(tally.day_key, "sd:report:2027-01-05");
  EXPECT_EQ(tally.keep_seconds, std::to_string(401 * 86'400 - 3'600));
  EXPECT_EQ(day_keep_seconds(day * 86'400'000 + 86'399'999), 400 * 86'400 + 1);
  EXPECT_TRUE(tally.empty());
  EXPECT_EQ(delivery_mark_key("sd:", "k1"), "sd:report:delivered:k1");
}

}  // namespace
}  // namespace supportd::reports
