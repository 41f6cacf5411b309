// The report's rows from the day hashes' fields, and their JSON and CSV.
#include "reports/report_table.hpp"

#include <gtest/gtest.h>

namespace supportd::reports {
namespace {

report_query query(std::vector<report_dimension> by) {
  return {*parse_day("2027-01-04"), *parse_day("2027-01-05"), std::move(by), false};
}

// Two days of a campaign's banner (two variants, two currencies) and its reminders.
void add_days(report_table& t) {
  const report_group a_usd{"winter", "banner", "a", "USD", "month"};
  const report_group b_eur{"winter", "banner", "b", "EUR", "once"};
  const report_group reminder{"winter", "epic", "", "", ""};
  for (int day = 0; day < 2; ++day) {
    t.add(counter_field(a_usd, report_counter::pledges_created), 3);
    t.add(counter_field(a_usd, report_counter::pledges_paid), 1);
    t.add(counter_field(a_usd, report_counter::first_payment_minor), 500);
    t.add(counter_field(a_usd, report_counter::recurring_started), 1);
    t.add(counter_field(b_eur, report_counter::pledges_created), 1);
    t.add(counter_field(b_eur, report_counter::pledges_paid), 1);
    t.add(counter_field(b_eur, report_counter::first_payment_minor), 2000);
  }
  t.add(counter_field(reminder, report_counter::reminders_signed_up), 4);
  t.add(counter_field(reminder, report_counter::reminders_delivered), 3);
  t.add(counter_field(reminder, report_counter::reminders_converted), 1);
  t.add("not|a|field", 9);
}

TEST(ReportTable, ByCampaignAddsUpDaysAndKeepsMoneyPerCurrency) {
  report_table t({report_dimension::campaign});
  add_days(t);
  EXPECT_EQ(t.skipped(), 1);
  auto rows = t.rows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].key, std::vector<std::string>{"winter"});
  EXPECT_EQ(rows[0][report_counter::pledges_created], 8);
  EXPECT_EQ(rows[0][report_counter::pledges_paid], 4);
  EXPECT_EQ(rows[0][report_counter::recurring_started], 2);
  EXPECT_EQ(rows[0][report_counter::reminders_delivered], 3);
  EXPECT_EQ(rows[0].first_payment_minor,
            (std::map<std::string, std::int64_t, std::less<>>{{"EUR", 4000}, {"USD", 1000}}));
  EXPECT_EQ(to_json(query({report_dimension::campaign}), rows),
            R"({"from":"2027-01-04","to":"2027-01-05","by":["campaign"],"rows":[)"
            R"({"campaign":"winter","pledges_created":8,"pledges_paid":4,)"
            R"("pledges_abandoned":0,"pledges_failed":0,)"
            R"("first_payment_minor":{"EUR":4000,"USD":1000},"recurring_started":2,)"
            R"("canceled_within_30d":0,"reminders_signed_up":4,"reminders_delivered":3,)"
            R"("reminders_unsubscribed":0,"reminders_converted":1,)"
            R"("checkout_conversion":0.5000,"reminder_conversion":0.3333}]})");
}

TEST(ReportTable, RowsPerGroupInKeyOrderAsCsv) {
  const auto by = std::vector{report_dimension::component, report_dimension::variant};
  report_table t(by);
  add_days(t);
  auto rows = t.rows();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(to_csv(query(by), rows),
            "component,variant,pledges_created,pledges_paid,pledges_abandoned,pledges_failed,"
            "first_payment_minor_EUR,first_payment_minor_USD,recurring_started,"
            "canceled_within_30d,reminders_signed_up,reminders_delivered,"
            "reminders_unsubscribed,reminders_converted,checkout_conversion,"
            "reminder_conversion\r\n"
            "banner,a,6,2,0,0,0,1000,2,0,0,0,0,0,0.3333,\r\n"
            "banner,b,2,2,0,0,4000,0,0,0,0,0,0,0,1.0000,\r\n"
            "epic,,0,0,0,0,0,0,0,0,4,3,0,1,,0.3333\r\n");
}

TEST(ReportTable, WithoutGroupingOneRowOfTotalsEvenWhenNothingHappened) {
  report_table t({});
  auto rows = t.rows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(to_json(query({}), rows),
            R"({"from":"2027-01-04","to":"2027-01-05","by":[],"rows":[{"pledges_created":0,)"
            R"("pledges_paid":0,"pledges_abandoned":0,"pledges_failed":0,)"
            R"("first_payment_minor":{},"recurring_started":0,"canceled_within_30d":0,)"
            R"("reminders_signed_up":0,"reminders_delivered":0,"reminders_unsubscribed":0,)"
            R"("reminders_converted":0,"checkout_conversion":null,"reminder_conversion":null}]})");
  report_table grouped({report_dimension::campaign});
  EXPECT_TRUE(grouped.rows().empty());
}

}  // namespace
}  // namespace supportd::reports
