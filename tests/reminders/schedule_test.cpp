#include "reminders/schedule.hpp"

#include <gtest/gtest.h>

// Expected instants were computed by hand with GNU date on Debian 12 (tzdata 2025b), e.g.
// `date -u -d '2027-01-31 09:00Z' +%s` and `TZ=America/New_York date -d '2026-03-15 09:00 EDT'
// +%s`, not with the code under test.

namespace supportd::reminders {
namespace {

using namespace std::chrono_literals;

std::shared_ptr<const time_zone> zone(std::string_view name) {
  auto loaded = time_zone::find(name);
  EXPECT_NE(loaded, nullptr) << name;
  return loaded;
}

iso_duration duration(int years, int months, int days, std::int64_t seconds) {
  return {years, months, days, seconds};
}

TEST(ReminderScheduleDuration, ParsesEveryDesignator) {
  EXPECT_EQ(parse_iso_duration("P1D"), duration(0, 0, 1, 0));
  EXPECT_EQ(parse_iso_duration("P7D"), duration(0, 0, 7, 0));
  EXPECT_EQ(parse_iso_duration("P2W"), duration(0, 0, 14, 0));
  EXPECT_EQ(parse_iso_duration("P1M"), duration(0, 1, 0, 0));
  EXPECT_EQ(parse_iso_duration("P1Y"), duration(1, 0, 0, 0));
  EXPECT_EQ(parse_iso_duration("PT30S"), duration(0, 0, 0, 30));
  EXPECT_EQ(parse_iso_duration("PT1M"), duration(0, 0, 0, 60));  // minutes after the T
  EXPECT_EQ(parse_iso_duration("PT36H"), duration(0, 0, 0, 129'600));
  EXPECT_EQ(parse_iso_duration("P1DT12H"), duration(0, 0, 1, 43'200));
  EXPECT_EQ(parse_iso_duration("P1Y2M3W4DT5H6M7S"), duration(1, 2, 25, 18'367));
  EXPECT_EQ(parse_iso_duration("P0D"), duration(0, 0, 0, 0));
  EXPECT_EQ(parse_iso_duration("P007D"), duration(0, 0, 7, 0));
  EXPECT_EQ(parse_iso_duration("P1000Y"), duration(1000, 0, 0, 0));
}

TEST(ReminderScheduleDuration, RefusesEverythingElse) {
  for (auto text : {"",
                    "P",
                    "PT",
                    "1D",
                    "D",
                    "P1",
                    "PD",
                    "P1.5D",
                    "P1,5D",
                    "P-1D",
                    "P+1D",
                    "-P1D",
                    "P1DT",
                    "P1D1Y",  // out of order
                    "P1Y1Y",  // twice
                    "PT1D",   // days after T
                    "P1H",    // hours before T
                    "P1DTT1H",
                    "PT1H1H",
                    "p1d",
                    "P1d",
                    " P1D",
                    "P1D ",
                    "P 1D",
                    "P1X",
                    "P1001Y",
                    "P12001M",
                    "P366001D",
                    "PT31622400001S",
                    "P99999999999999999999D",
                    "P9223372036854775808D"}) {
    EXPECT_FALSE(parse_iso_duration(text)) << text;
  }
}

TEST(ReminderScheduleDuration, AddsMonthsClampedThenDaysThenSeconds) {
  const std::int64_t jan_31_2027 = 1801386000;  // 2027-01-31T09:00:00Z
  EXPECT_EQ(add_duration(jan_31_2027, *parse_iso_duration("P1M")), 1803805200);    // Feb 28
  EXPECT_EQ(add_duration(jan_31_2027, *parse_iso_duration("P1M1D")), 1803891600);  // Mar 1
  EXPECT_EQ(add_duration(1832922000, *parse_iso_duration("P1M")), 1835427600);     // 2028: Feb 29
  EXPECT_EQ(add_duration(1835427600, *parse_iso_duration("P1Y")), 1866963600);     // 2029-02-28
  EXPECT_EQ(add_duration(1806483600, *parse_iso_duration("P1M")), 1809075600);  // Mar 31→Apr 30
  EXPECT_EQ(add_duration(1828861200, *parse_iso_duration("P1M")), 1831539600);  // into 2028

  const std::int64_t jan_5_2027 = 1799139600;  // 2027-01-05T09:00:00Z
  EXPECT_EQ(add_duration(jan_5_2027, *parse_iso_duration("P1D")), 1799226000);
  EXPECT_EQ(add_duration(jan_5_2027, *parse_iso_duration("PT30S")), 1799139630);
  EXPECT_EQ(add_duration(jan_5_2027, *parse_iso_duration("P1DT12H")), 1799269200);
  EXPECT_EQ(add_duration(-1, *parse_iso_duration("PT1S")), 0);
}

TEST(ReminderScheduleRfc3339, ParsesInstantsWithOffsets) {
  const std::int64_t expected = 1799139600;  // 2027-01-05T09:00:00Z
  EXPECT_EQ(parse_rfc3339("2027-01-05T09:00:00Z"), expected);
  EXPECT_EQ(parse_rfc3339("2027-01-05t09:00:00z"), expected);
  EXPECT_EQ(parse_rfc3339("2027-01-05T10:00:00+01:00"), expected);
  EXPECT_EQ(parse_rfc3339("2027-01-05T04:00:00-05:00"), expected);
  EXPECT_EQ(parse_rfc3339("2027-01-05T14:45:00+05:45"), expected);
  EXPECT_EQ(parse_rfc3339("2027-01-05T09:00:00-00:00"), expected);
  EXPECT_EQ(parse_rfc3339("2027-01-05T09:00:00.999999Z"), expected);  // truncated
  EXPECT_EQ(parse_rfc3339("2027-01-06T08:59:00+23:59"), expected);
  EXPECT_EQ(parse_rfc3339("1969-12-31T23:59:59.5Z"), -1);
  EXPECT_EQ(parse_rfc3339("2028-02-29T00:00:00Z"), 1835395200);
  EXPECT_EQ(parse_rfc3339("2000-02-29T00:00:00Z"), 951782400);
  EXPECT_EQ(parse_rfc3339("9999-12-31T23:59:59Z"), 253402300799);
}

TEST(ReminderScheduleRfc3339, RefusesInvalidDatesAndForms) {
  for (auto text : {"",
                    "2027-02-30T09:00:00Z",
                    "2027-02-29T09:00:00Z",  // not a leap year
                    "2100-02-29T09:00:00Z",  // nor is 2100
                    "2027-04-31T09:00:00Z",
                    "2027-13-01T09:00:00Z",
                    "2027-00-10T09:00:00Z",
                    "2027-01-00T09:00:00Z",
                    "2027-01-05T24:00:00Z",
                    "2027-01-05T09:60:00Z",
                    "2027-01-05T09:00:60Z",
                    "2027-01-05 09:00:00Z",
                    "2027-01-05X09:00:00Z",
                    "2027-01-05T09:00:00",
                    "2027-01-05T09:00Z",
                    "2027-01-05T9:00:00Z",
                    "2027-1-5T09:00:00Z",
                    "27-01-05T09:00:00Z",
                    "+2027-01-05T09:00:00Z",
                    "2027-01-05",
                    "2027-01-05T09:00:00.Z",
                    "2027-01-05T09:00:00ZZ",
                    "2027-01-05T09:00:00Z ",
                    "2027-01-05T09:00:00+0100",
                    "2027-01-05T09:00:00+01",
                    "2027-01-05T09:00:00+24:00",
                    "2027-01-05T09:00:00+01:60",
                    "2027-01-05T09:00:00 +01:00",
                    "2027-01-05T09:00:00UTC"}) {
    EXPECT_FALSE(parse_rfc3339(text)) << text;
  }
}

TEST(ReminderScheduleDate, ParsesRealDatesOnly) {
  EXPECT_EQ(parse_date("2027-01-05"), (civil_date{2027, 1, 5}));
  EXPECT_EQ(parse_date("2028-02-29"), (civil_date{2028, 2, 29}));
  for (auto text : {"", "2027-02-29", "2027-04-31", "2027-13-01", "2027-00-01", "2027-01-00",
                    "2027-1-5", "2027/01/05", "20270105", "2027-01-05T09:00:00Z", " 2027-01-05",
                    "2027-01-05 ", "2027-01-5", "02027-01-05"}) {
    EXPECT_FALSE(parse_date(text)) << text;
  }
}

TEST(ReminderScheduleDate, DeliveredAtTheLocalHourAcrossDst) {
  auto london = zone("Europe/London");
  EXPECT_EQ(at_local_hour({2027, 1, 5}, 9, *london), 1799139600);    // 09:00 GMT
  EXPECT_EQ(at_local_hour({2026, 3, 28}, 9, *london), 1774688400);   // the day before: GMT
  EXPECT_EQ(at_local_hour({2026, 3, 29}, 9, *london), 1774771200);   // clocks went forward: BST
  EXPECT_EQ(at_local_hour({2026, 10, 25}, 9, *london), 1792918800);  // back to GMT

  auto ny = zone("America/New_York");
  EXPECT_EQ(at_local_hour({2026, 3, 7}, 9, *ny), 1772892000);   // 09:00 EST
  EXPECT_EQ(at_local_hour({2026, 3, 8}, 9, *ny), 1772974800);   // 09:00 EDT
  EXPECT_EQ(at_local_hour({2026, 3, 8}, 2, *ny), 1772953200);   // skipped: 03:00 EDT
  EXPECT_EQ(at_local_hour({2026, 11, 1}, 1, *ny), 1793509200);  // twice: the first, EDT
}

TEST(ReminderScheduleMonths, EveryMonthKeepsTheLocalTime) {
  auto ny = zone("America/New_York");
  const std::int64_t jan_15 = 1768485600;                   // 2026-01-15 09:00 EST
  EXPECT_EQ(add_months_local(jan_15, 1, *ny), 1771164000);  // 2026-02-15 09:00 EST
  EXPECT_EQ(add_months_local(jan_15, 2, *ny), 1773579600);  // 2026-03-15 09:00 EDT
  EXPECT_EQ(add_months_local(jan_15, 3, *ny), 1776258000);  // 2026-04-15 09:00 EDT
  EXPECT_EQ(add_months_local(1776258000, -1, *ny), 1773579600);
  EXPECT_EQ(add_months_local(jan_15, -1, *ny), 1765807200);     // 2025-12-15 09:00 EST
  EXPECT_EQ(add_months_local(1793451600, 1, *ny), 1796047200);  // Oct 31 EDT → Nov 30 EST

  // The day clamps to the month's end, and leap years have a February 29th.
  EXPECT_EQ(add_months_local(1801404000, 1, *ny), 1803823200);   // 2027-01-31 → 02-28 09:00
  EXPECT_EQ(add_months_local(1801404000, 13, *ny), 1835445600);  // → 2028-02-29 09:00
  EXPECT_EQ(add_months_local(1835445600, 12, *ny), 1866981600);  // → 2029-02-28 09:00

  // Southern hemisphere: summer time in January, winter time in July.
  auto sydney = zone("Australia/Sydney");
  EXPECT_EQ(add_months_local(1768428000, 6, *sydney), 1784070000);  // 09:00 AEDT → 09:00 AEST
}

}  // namespace
}  // namespace supportd::reminders
