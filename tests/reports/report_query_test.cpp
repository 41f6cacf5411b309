// What GET /admin/report accepts, and the problem it answers otherwise.
#include "reports/report_query.hpp"

#include <gtest/gtest.h>

#include "reports/report_counter.hpp"

namespace supportd::reports {
namespace {

report_query accepted(const report_query_text& text) {
  auto parsed = parse_report_query(text);
  if (auto* p = std::get_if<http::problem>(&parsed)) {
    ADD_FAILURE() << p->code << ": " << p->detail;
    return {};
  }
  return std::get<report_query>(parsed);
}

http::problem refused(const report_query_text& text) {
  auto parsed = parse_report_query(text);
  if (auto* p = std::get_if<http::problem>(&parsed)) {
    return *p;
  }
  ADD_FAILURE() << "accepted";
  return {};
}

TEST(ReportQuery, DaysGroupingAndFormat) {
  auto q = accepted({"2027-01-01", "2027-01-31", "campaign,currency", "", ""});
  EXPECT_EQ(q.from_day, *parse_day("2027-01-01"));
  EXPECT_EQ(q.to_day, *parse_day("2027-01-31"));
  EXPECT_EQ(q.by, (std::vector{report_dimension::campaign, report_dimension::currency}));
  EXPECT_FALSE(q.csv);

  EXPECT_TRUE(accepted({"2027-01-01", "2027-01-01", "", "csv", ""}).csv);
  EXPECT_TRUE(accepted({"2027-01-01", "2027-01-01", "", "", "text/csv"}).csv);
  EXPECT_FALSE(accepted({"2027-01-01", "2027-01-01", "", "", "application/json, text/csv"}).csv);
  EXPECT_FALSE(accepted({"2027-01-01", "2027-01-01", "", "json", "text/csv"}).csv);
  EXPECT_TRUE(accepted({"2027-01-01", "2027-01-01", "", "", ""}).by.empty());
  EXPECT_EQ(accepted({"2027-01-01", "2027-01-01", "interval,variant,component", "", ""}).by,
            (std::vector{report_dimension::interval, report_dimension::variant,
                         report_dimension::component}));
}

TEST(ReportQuery, MissingOrMalformedValuesAre400) {
  for (const auto& text :
       {report_query_text{"", "2027-01-01", "", "", ""},
        report_query_text{"2027-01-01", "", "", "", ""},
        report_query_text{"2027-1-1", "2027-01-01", "", "", ""},
        report_query_text{"2027-01-01", "2027-02-30", "", "", ""},
        report_query_text{"2027-01-01", "2027-01-02", "page_url", "", ""},
        report_query_text{"2027-01-01", "2027-01-02", "campaign,", "", ""},
        report_query_text{"2027-01-01", "2027-01-02", "campaign,campaign", "", ""},
        report_query_text{"2027-01-01", "2027-01-02", "", "xml", ""}}) {
    auto p = refused(text);
    EXPECT_EQ(p.status, 400) << text.from << " " << text.to << " " << text.by;
    EXPECT_EQ(p.code, "invalid_report_query");
  }
}

TEST(ReportQuery, AtMostFourHundredDaysInOrder) {
  EXPECT_EQ(accepted({"2026-01-01", "2027-02-04", "", "", ""}).to_day -
                accepted({"2026-01-01", "2027-02-04", "", "", ""}).from_day + 1,
            400);
  auto long_range = refused({"2026-01-01", "2027-02-05", "", "", ""});
  EXPECT_EQ(long_range.status, 422);
  EXPECT_EQ(long_range.code, "report_range_too_long");
  EXPECT_NE(long_range.detail.find("401"), std::string::npos);
  auto backwards = refused({"2027-01-02", "2027-01-01", "", "", ""});
  EXPECT_EQ(backwards.status, 422);
  EXPECT_EQ(backwards.code, "invalid_report_range");
}

}  // namespace
}  // namespace supportd::reports
